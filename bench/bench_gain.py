"""The question-gain kernel against its previous implementation, in the same run.

- keyword_information_gain (two answerer types, every keyword with both rows, as in self-play and
  tree fitting on the default table): plain sums of the type rows vs a masked scatter per type.

The two are checked equal (bit for bit) before they are timed; best of ``--repeat``. (An in-place
rewrite of binary_entropy was tried beside it and measured no faster: 66 against 63 ms on 12,000 x
941 cells, so it was not kept.)

    python bench/bench_gain.py [--quick] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.gain import binary_entropy, keyword_groups, keyword_information_gain  # noqa: E402

def baseline_keyword_gain(W, L, groups, chunk=1 << 22):
    """planner.gain.keyword_information_gain before the complete-groups path (masked scatter)."""
    dt = np.float32
    B, Q = W.shape[0], L.shape[1]
    p_yes = np.clip(W @ L, 0.0, 1.0)
    cond = np.zeros((B, Q), dtype=dt)
    step = max(1, chunk // max(1, B * Q))
    for s in range(0, len(groups), step):
        g = groups[s:s + step]
        num = np.zeros((B, len(g), Q), dtype=dt)
        wk = np.zeros((B, len(g)), dtype=dt)
        for t in range(g.shape[1]):
            have = g[:, t] >= 0
            rows = g[have, t]
            wt = W[:, rows]
            wk[:, have] += wt
            num[:, have] += wt[:, :, None] * L[rows][None]
        m = np.divide(num, wk[:, :, None], out=np.full_like(num, 0.5), where=wk[:, :, None] > 0)
        cond += np.einsum("bk,bkq->bq", wk, binary_entropy(m))
    return np.maximum(binary_entropy(p_yes) - cond, 0.0)


def _best(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter(); fn(); best = min(best, time.perf_counter() - t0)
    return best


def main(args):
    K, Q, B = (3000, 300, 4) if args.quick else (12000, 941, 8)       # the default table's K x Q
    rng = np.random.default_rng(0)
    L = rng.random((2 * K, Q)).astype(np.float32)
    W = rng.random((B, 2 * K)).astype(np.float32) ** 4
    W[:, : K // 10] = 0                                                  # truncated rows
    W /= W.sum(1, keepdims=True)
    groups = keyword_groups(np.arange(2 * K) % K, 2)
    out = {"K": K, "Q": Q, "B": B}
    assert np.array_equal(keyword_information_gain(W, L, groups), baseline_keyword_gain(W, L, groups))
    for name, new, old in (("keyword_gain", lambda: keyword_information_gain(W, L, groups),
                            lambda: baseline_keyword_gain(W, L, groups)),):
        n, o = _best(new, args.repeat), _best(old, args.repeat)
        out[name] = {"new_s": n, "baseline_s": o, "speedup": o / n}
    if args.json:
        print(json.dumps(out))
    else:
        for name in ("keyword_gain",):
            r = out[name]
            print(f"{name} (K={K}, Q={Q}, B={B}): {r['new_s'] * 1e3:.0f} ms vs baseline {r['baseline_s'] * 1e3:.0f} ms"
                  f" = {r['speedup']:.2f}x (outputs equal)")
    return out


def make_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smaller arrays (a smoke run)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", action="store_true")
    return p


if __name__ == "__main__":
    main(make_parser().parse_args())
