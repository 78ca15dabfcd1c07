"""Measure an LLM answer source against the knowledge table: agreement, AUC, per-question fidelity.

    python scripts/measure_noise.py --knowledge tables/example --answers build/answers/qwen1.5b-sys_sub [--json]

--answers is a source dir written by scripts/build_table.py (planner table + mask.npy). Prints the
cell agreement with the knowledge features, the AUC of the source's P(yes) against them, and the
distribution over questions of the fidelity t1 = P(yes | feature yes), t0 = P(no | feature no)
(tables/noise.py: smoothed toward the pooled rates, clipped to [0.01, 0.99], never inverted).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--knowledge", required=True, help="knowledge table dir")
    p.add_argument("--answers", required=True, help="answer source dir (table + mask.npy)")
    p.add_argument("--json", action="store_true")
    return p


def main(args) -> dict:
    import numpy as np

    from planner.table import load_table
    from tables.noise import align, best_threshold_accuracy, compare_sources, source_fidelity

    kn = load_table(args.knowledge)
    src = load_table(args.answers)
    mask_path = Path(args.answers) / "mask.npy"
    if not mask_path.exists():
        raise SystemExit(f"{mask_path}: file not found (not a build_table.py source dir)")
    mask = np.load(mask_path)
    cmp = compare_sources(src, mask, kn)
    fid = source_fidelity(kn, src, mask)
    scored = fid[(fid["n1"] + fid["n0"]) > 0]
    rk, ra, ck, ca = align(kn, src)
    m = mask[np.ix_(ra, ca)]
    thr, acc = best_threshold_accuracy(src.P[np.ix_(ra, ca)][m], kn.P[np.ix_(rk, ck)][m] >= 0.5)
    q = lambda s: {f"p{int(100 * x)}": round(float(s.quantile(x)), 3) for x in (0.1, 0.25, 0.5, 0.75, 0.9)}  # noqa: E731
    out = {"cells": cmp["n"], "agreement": cmp["agreement"], "auc_vs_features": cmp["auc_vs_b"],
           "best_threshold": thr, "agreement_at_best_threshold": acc,
           "questions_scored": int(len(scored)), "keywords_scored": int(mask.any(axis=1).sum()),
           "per_question_agreement": q(scored["agreement"]), "t1": q(scored["t1"]), "t0": q(scored["t0"]),
           "pooled_yes_given_feature_yes": float(scored["yes1"].sum() / max(1, scored["n1"].sum())),
           "pooled_no_given_feature_no": float(scored["no0"].sum() / max(1, scored["n0"].sum()))}
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:30s} {v}")
    return out


if __name__ == "__main__":
    main(make_parser().parse_args())
