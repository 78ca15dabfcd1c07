"""Combine a knowledge table with LLM answer sources into the planner's soft table, at the measured noise.

    python scripts/combine_table.py --knowledge build/real \
        --answers build/answers/qwen1.5b-sys_sub-all8 build/answers/qwen1.5b-sys_sub-cat12 \
        --calibration build/eval/scores_qwen1.5b-sys_sub.csv --out build/real_combined [--json]

Steps (formulas in tables/LLM.md, "Combining knowledge and LLM answers"):
1. calibrate the sources: Platt scaling fitted on the hand-labelled check set scores written by
   scripts/eval_answerers.py (one --calibration file for all sources, or one per source, or none);
2. measure per-question fidelity t1 = P(yes | feature yes), t0 = P(no | feature no) of the calibrated
   answers against the knowledge features, expected counts, shrunk toward each question kind's
   pooled rates (--prior-strength pseudo-cells); a kind no source scored keeps the default noise
   of tables/knowledge.py (DEFAULT_NOISE) and the report marks it as not measured;
3. P = calibrated LLM answer where a source scored the cell, else the feature softened by (t1, t0).

Writes the table to --out, the per-question fidelity to <out>/fidelity.csv and the measurement
(calibration, pooled rates per kind, fidelity distribution) to <out>/noise.json (also in meta.json).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--knowledge", required=True, help="knowledge table dir (0/1-ish features)")
    p.add_argument("--answers", nargs="+", default=[], help="answer source dirs (build_table.py), priority order")
    p.add_argument("--calibration", nargs="*", default=[],
                   help="check-set scores CSV(s) (eval_answerers.py): one for all sources or one per source; "
                        "none = raw probabilities")
    p.add_argument("--fidelity", default=None,
                   help="apply a fidelity.csv measured elsewhere (e.g. on the real table) instead of measuring here; "
                        "questions it lacks take their kind's pooled rates from it")
    p.add_argument("--prior-strength", type=float, default=10.0, help="pseudo-cells of the per-kind shrinkage")
    p.add_argument("--hard", action="store_true", help="count hard answers (p >= 0.5) instead of expected answers")
    p.add_argument("--extra-questions", action="store_true",
                   help="also append the sources' questions the knowledge table lacks (as LLM-only columns); "
                        "default: keep the knowledge table's questions only")
    p.add_argument("--chunk-rows", type=int, default=8192)
    p.add_argument("--out", required=True, help="output table dir")
    p.add_argument("--json", action="store_true", help="print the measurement as one JSON object")
    return p


def main(args) -> dict:
    import numpy as np

    from planner.table import atomic_write, load_table, save_table
    from tables.knowledge import DEFAULT_NOISE
    from tables.noise import calibrate_scores, combine, sources_fidelity, stack_scored, transfer_fidelity
    from tables.scoring import load_answers

    if len(args.calibration) not in (0, 1, len(args.answers)):
        raise SystemExit(f"--calibration: give 0, 1 or {len(args.answers)} files, got {len(args.calibration)}")
    kn = load_table(args.knowledge, mmap=True)
    cals = [calibrate_scores(c) for c in args.calibration]
    if len(cals) == 1:
        cals = cals * len(args.answers)
    sources = []
    for i, d in enumerate(args.answers):
        t, mask = load_answers(d, mmap=True)
        sources.append((t, mask, cals[i] if cals else None))
    if args.fidelity:
        import pandas as pd

        measured = pd.read_csv(args.fidelity, index_col="id", keep_default_na=False, na_values=[""])
        for col in ("group", "T1", "T0", "t1", "t0"):
            if col not in measured.columns:
                raise SystemExit(f"{args.fidelity}: missing column {col!r} (not a combine_table.py fidelity.csv)")
        fid = transfer_fidelity(measured, kn.questions, kind_defaults=DEFAULT_NOISE)
        for col in ("n1", "n0", "yes1", "no0"):
            fid[col] = 0
        fid["agreement"] = np.nan
    else:
        fid = sources_fidelity(kn, sources, kind_defaults=DEFAULT_NOISE, prior_strength=args.prior_strength,
                               hard=args.hard)
    p, m, F, rows = stack_scored(kn, sources)
    report = {
        "knowledge": str(args.knowledge), "knowledge_hash": kn.meta.get("hash"),
        "sources": [{"dir": str(d), "cells": int(mask.sum()), "keywords": int(mask.any(axis=1).sum()),
                     "calibration": (vars(c) if c is not None else None)} for d, (_, mask, c) in zip(args.answers, sources)],
        "calibration_files": list(args.calibration), "prior_strength": args.prior_strength, "hard": args.hard,
        "fidelity_from": args.fidelity,
        "shared_cells": int(m.sum()), "shared_keywords": int(len(np.unique(rows))),
        "by_kind": {},
    }
    qk = kn.questions["kind"].to_numpy()
    for kind in sorted(set(qk)):
        f = fid[qk == kind]
        scored = f[(f["n1"] + f["n0"]) > 0]
        e_q = 1 - (f["t1"] + f["t0"]) / 2            # mean disagreement the softened feature assumes
        report["by_kind"][kind] = {
            "questions": int(len(f)), "questions_scored": int(len(scored)),
            "cells_feature_yes": int(f["n1"].sum()), "cells_feature_no": int(f["n0"].sum()),
            "pooled_T1": round(float(f["T1"].iloc[0]), 4), "pooled_T0": round(float(f["T0"].iloc[0]), 4),
            "measured": bool((f["source"] != "default").any()) if "source" in f else bool(len(scored)),
            "raw_agreement": (round(float((f["yes1"].sum() + f["no0"].sum()) / (f["n1"].sum() + f["n0"].sum())), 4)
                              if len(scored) else None),
            "t1": {f"p{int(100 * x)}": round(float(f["t1"].quantile(x)), 3) for x in (0.1, 0.5, 0.9)},
            "t0": {f"p{int(100 * x)}": round(float(f["t0"].quantile(x)), 3) for x in (0.1, 0.5, 0.9)},
            "noise": {f"p{int(100 * x)}": round(float(e_q.quantile(x)), 3) for x in (0.1, 0.5, 0.9)},
        }
    table, origin = combine(kn, fid, sources, chunk_rows=args.chunk_rows, extra_questions=args.extra_questions)
    report["cells_from_sources"] = int((origin >= 1).sum())
    report["cells_softened"] = int((origin == 0).sum())
    table.meta.update({"noise": report})
    out = Path(args.out)
    save_table(table, out)
    fid_out = fid.copy()
    fid_out.insert(0, "text", kn.questions["text"].to_numpy())
    atomic_write(out / "fidelity.csv", lambda p_: fid_out.to_csv(p_, index_label="id"))
    atomic_write(out / "noise.json", lambda p_: p_.write_text(json.dumps(report, indent=1)))
    report["out"] = str(out)
    report["table_hash"] = table.hash
    if args.json:
        print(json.dumps(report))
    else:
        print(f"{out}: {table.K} keywords x {table.Q} questions; {report['cells_from_sources']} cells from "
              f"{len(sources)} source(s), the rest softened features")
        for kind, r in report["by_kind"].items():
            print(f"  {kind:10s} questions {r['questions']:5d} (scored {r['questions_scored']:5d})  "
                  f"T1 {r['pooled_T1']:.3f}  T0 {r['pooled_T0']:.3f}  noise p10/p50/p90 "
                  f"{r['noise']['p10']}/{r['noise']['p50']}/{r['noise']['p90']}")
    return report


if __name__ == "__main__":
    main(make_parser().parse_args())
