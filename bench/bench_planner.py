"""Planner benchmarks: fit time (and its scaling), move latency on/off the tree, exact analysis.

Every figure is measured in this process, with its baseline in the same run:
- fit: level-batched (batch_size=256) vs one node per matrix product (batch_size=1);
- moves: tree lookup vs the online computation the tree replaces;
- analysis: exact propagation + Monte Carlo, on the same tree.

    python bench/bench_planner.py [--quick] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.analysis import analyze, answer_matrix, path_history  # noqa: E402
from planner.synthetic import make_synthetic  # noqa: E402
from planner.tree import LEAF, QuestionTree  # noqa: E402
from planner.walk import Walker  # noqa: E402


def _time(fn, repeat=1):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter(); out = fn(); best = min(best, time.perf_counter() - t0)
    return best, out


def bench_fit(K, Q, noise=0.05, min_mass=1e-4, depth=20, baseline=False):
    t = make_synthetic(K, Q, noise=noise, seed=0)
    sec, tree = _time(lambda: QuestionTree(max_depth=depth, min_mass=min_mass).fit(t))
    row = {"K": K, "Q": Q, "nodes": tree.node_count_, "fit_s": sec}
    if baseline:
        base, _ = _time(lambda: QuestionTree(max_depth=depth, min_mass=min_mass, batch_size=1).fit(t))
        row.update(fit_unbatched_s=base, speedup=base / sec)
    return t, tree, row


def bench_moves(t, tree, n=200, seed=0):
    """Median per-move latency: next question + next guess, on the tree and online (tree=None)."""
    rng = np.random.default_rng(seed)
    on, off = Walker(t, tree), Walker(t, None)
    inner = np.flatnonzero((tree.question_ != LEAF) & (tree.depth_ > 0))
    nodes = rng.choice(inner, size=min(n, len(inner)), replace=False)
    hist = [path_history(tree, int(x), t.names) for x in nodes]

    def lat(w):
        out = []
        for qs, ans, gs in hist:
            t0 = time.perf_counter()
            w.next_question(qs, ans, gs); w.next_guess(qs, ans, gs[:-1])
            out.append(time.perf_counter() - t0)
        return float(np.median(out)) * 1e3, float(np.max(out)) * 1e3

    (on_med, on_max), (off_med, off_max) = lat(on), lat(off)
    return {"move_on_tree_ms": on_med, "move_on_tree_max_ms": on_max, "move_off_tree_ms": off_med,
            "move_off_tree_max_ms": off_max, "off_over_on": off_med / on_med}


def bench_analysis(t, tree, noise=0.05, n_mc=2000):
    sec, res = _time(lambda: analyze(tree, t, answer_matrix(t, flip_noise=noise), n_mc=n_mc))
    return {"analysis_s": sec, "keywords": t.K, "solve_rate_20": res.solve_rate_20,
            "expected_turns": res.expected_turns, "bound_turns": res.bound_turns}


def make_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smaller tables (a smoke run)")
    p.add_argument("--json", action="store_true")
    return p


def main(args):
    K, Q = (2000, 400) if args.quick else (10000, 2000)
    out = {}
    t, tree, out["fit"] = bench_fit(K, Q)
    out["moves"] = bench_moves(t, tree)
    out["analysis"] = bench_analysis(t, tree)
    # baseline for the fit: one node per product, on a smaller table so it finishes
    _, _, out["fit_vs_unbatched"] = bench_fit(K // 4, Q // 4, baseline=True)
    sizes = [(K // 4, Q // 2), (K // 2, Q // 2), (K, Q // 2), (K // 2, Q // 4), (K // 2, Q)]
    out["scaling"] = [bench_fit(k, q)[2] for k, q in sizes]
    if args.json:
        print(json.dumps(out))
    else:
        f, m, a, b = out["fit"], out["moves"], out["analysis"], out["fit_vs_unbatched"]
        print(f"fit K={f['K']} Q={f['Q']} depth 20 min-mass 1e-4: {f['fit_s']:.1f} s, {f['nodes']} nodes")
        print(f"fit batched vs one node per product (K={b['K']} Q={b['Q']}): {b['fit_s']:.2f} s vs "
              f"{b['fit_unbatched_s']:.2f} s = {b['speedup']:.1f}x")
        print(f"move on tree: median {m['move_on_tree_ms']:.2f} ms (max {m['move_on_tree_max_ms']:.2f}); "
              f"off tree: median {m['move_off_tree_ms']:.1f} ms (max {m['move_off_tree_max_ms']:.1f}); "
              f"ratio {m['off_over_on']:.0f}x")
        print(f"exact analysis of {a['keywords']} keywords: {a['analysis_s']:.1f} s "
              f"(solve rate {a['solve_rate_20']:.3f}, E[T] {a['expected_turns']:.2f}, bound {a['bound_turns']:.2f})")
        print("fit scaling:  K      Q   nodes   seconds  s/node(ms)")
        for r in out["scaling"]:
            print(f"         {r['K']:6d} {r['Q']:5d} {r['nodes']:7d} {r['fit_s']:8.2f} {1e3 * r['fit_s'] / r['nodes']:8.3f}")
    return out


if __name__ == "__main__":
    main(make_parser().parse_args())
