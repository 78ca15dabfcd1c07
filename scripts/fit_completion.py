"""How well the completion model predicts held-out keywords' answers (keyword-folded CV).

    python scripts/fit_completion.py --cv --json

Features: the keyword embeddings the default table's completion uses (tables/embeddings/qwen1.5b-facts,
docs/default_table.md section 13; --embeddings tables/embeddings/qwen1.5b for the prior's); targets: the bank's calibrated
answers averaged over prompt styles (tables/answer_table.bank_cells), on the keywords every
natural question was scored for. Prints auc_mean (per-question AUC against held-out keywords'
hard answers, averaged over questions), auc_pooled, log_loss, ece, baseline_auc (the per-question
base rate, pooled) and keywords_cv, plus per-kind figures; with a second prompt style in the bank,
the three cross-prompt figures: the two prompts' agreement (equal yes rates), the main prompt's
real cells ranking the other's answers (AUC), and the completion's out-of-fold predictions
(trained on the main prompt only) ranking the other's answers (AUC), on the same cells.

    python scripts/fit_completion.py --cv --json --learning-curve 64 128 256

adds "learning_curve": the same CV with each fold's training keywords cut to M (the first M of a
fixed order), and the auc_mean gained per doubling of M: what growing the bank would buy.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cv", action="store_true", help="cross-validate (the only mode)")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--rank", type=int, default=None, help="reduced rank (question factors); default full")
    p.add_argument("--bank-root", default=None)
    p.add_argument("--embeddings", default=None, help="default tables/embeddings/qwen1.5b-facts (tables.embeddings.COMPLETION_SOURCE)")
    p.add_argument("--model", default="kernel", choices=["ridge", "kernel"], help="tables.completion.MODELS (kernel: what the default table uses)")
    p.add_argument("--kernel-taus", type=float, nargs="+", default=None,
                   help="--model kernel: its tau grid (default the model's own, tables.completion.KernelCompletion)")
    p.add_argument("--knowledge", default="build/real",
                   help="knowledge table (make universe) for the baseline on natural questions that have a "
                        "knowledge twin (same text); skipped when absent")
    p.add_argument("--learning-curve", type=int, nargs="+", metavar="M", default=None,
                   help="also fit on the first M training keywords of each fold, for each M, and report the "
                        "out-of-fold metrics and the auc_mean gain per doubling (tables.completion.learning_curve)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    return p


def main(args) -> dict:
    from tables import bank_sources as bs
    from tables.answer_table import bank_cells
    from tables.completion import MODELS, cross_validate, learning_curve, score
    from tables.cross_prompt import main_prompt_cells, other_prompt_cells
    from tables.noise import auc

    cells = main_prompt_cells(args.bank_root, args.embeddings)
    main_name, nat, qids, kws, X = cells.source, cells.questions, cells.qids, cells.keywords, cells.X
    main, cal_main = cells.banks[main_name], cells.cals[main_name]
    sources = [(cells.banks[s], cells.cals[s]) for s in cells.banks]     # main source first
    Y, _ = bank_cells(kws, qids, sources)                       # averaged over prompt styles where scored
    labels = (cells.S >= 0.5).astype(float)                     # held-out answers: the main prompt's
    Model = MODELS[args.model]
    if args.kernel_taus is not None and args.model != "kernel":
        raise SystemExit(f"--kernel-taus applies to --model kernel, not {args.model!r}")
    kernel = {"taus": tuple(args.kernel_taus)} if args.kernel_taus else {}
    factory = (lambda: Model(rank=args.rank, seed=args.seed)) if args.model == "ridge" else (lambda: Model(seed=args.seed, **kernel))  # noqa: E731
    res = cross_validate(factory, X, Y, folds=args.folds, seed=args.seed, groups=nat["topic"].to_numpy(), labels=labels)
    out = {"model": args.model, **({"taus": list(kernel["taus"])} if kernel else {}), "keywords_cv": len(kws), "questions": len(qids), "main_source": main_name,
           "calibrated": cal_main is not None, **res["model"], "baseline_auc": res["baseline"]["auc_pooled"],
           "baseline": res["baseline"],
           "by_kind": {k: {"auc_mean": v["model"]["auc_mean"], "ece": v["model"]["ece"]} for k, v in res["by_kind"].items()}}
    if args.learning_curve:
        out["learning_curve"] = learning_curve(factory, X, Y, args.learning_curve, folds=args.folds, seed=args.seed,
                                               labels=labels)
    if Path(args.knowledge, "P.npy").exists():
        out["knowledge_baseline"] = knowledge_baseline(args.knowledge, kws, nat, res["oof"], labels)
    if cells.others:
        So, m = other_prompt_cells(cells)
        if m.any():
            # completion trained on the main prompt alone, out of fold, against the other prompt's answers
            res_main = cross_validate(factory, X, cells.S, folds=args.folds, seed=args.seed)
            yo = (So[m] >= 0.5).astype(int)
            c = bs.compare_banks(main, cells.banks[cells.others[0]])
            out["cross_prompt"] = {"other_source": cells.others[0], "cells": int(m.sum()),
                                   "agreement_equal_rate": c["agreement_equal_rate"],
                                   "real_cells_auc": float(auc(cells.S[m], yo)),
                                   "completion_auc": float(auc(res_main["oof"][m], yo))}
            rows = m.all(axis=1)                                # keywords the other prompt answered fully
            if rows.sum() >= 2:
                out["cross_prompt"]["completion_vs_other"] = score(res_main["oof"][rows], (So[rows] >= 0.5).astype(float))
    if args.json:
        print(json.dumps(out, default=float))
    else:
        print(json.dumps(out, indent=1, default=float))
    return out


def knowledge_baseline(knowledge_dir, kws, nat, oof, labels) -> dict:
    """On the natural questions whose text is a knowledge question too: mean per-question AUC of the
    knowledge feature (the WordNet table, unsoftened) and of the completion's out-of-fold
    predictions, against the same held-out answers and keywords."""
    import numpy as np

    from planner.table import load_table
    from tables.completion import per_question_auc
    from tables.noise import builder_noise, unsoften
    from tables.question_bank import normalize_text

    kt = load_table(knowledge_dir, mmap=True)
    twin = {normalize_text(t): j for j, t in enumerate(kt.questions["text"])}
    cols = [(i, twin[normalize_text(t)]) for i, t in enumerate(nat["text"]) if normalize_text(t) in twin]
    rows = {k: i for i, k in enumerate(kt.names)}
    have = [i for i, k in enumerate(kws) if k in rows]
    if not cols or len(have) < 2:
        return {"questions": 0}
    nat_i, kt_j = map(list, zip(*cols))
    P = np.asarray(kt.P[[rows[kws[i]] for i in have]])[:, kt_j]
    e = builder_noise(kt)
    F = np.clip(unsoften(P, e[kt_j]), 0, 1) if e is not None else P
    y = labels[np.ix_(have, nat_i)]
    return {"questions": len(cols), "keywords": len(have),
            "knowledge_auc_mean": float(np.nanmean(per_question_auc(F, y))),
            "completion_auc_mean": float(np.nanmean(per_question_auc(oof[np.ix_(have, nat_i)], y)))}


if __name__ == "__main__":
    main(make_parser().parse_args())
