"""Build the default table (tables/default_table.py) from committed data: no LLM runs.

    python scripts/build_default_table.py --out build/default [--n-keywords 5000]
    python scripts/build_default_table.py --sweep 1000 2000 5000 10000 --json   # choose N by analysis

Writes OUT/ (a planner table: keywords.csv, questions.csv, P.npy, meta.json), OUT/types.npz (the
llm and exact answerer types) and OUT/report.json (prior CV, completion CV, floors, coverage).
--sweep builds the table for each N, fits its tree and reports solve-within-20 at the table's
own answer model beside the coverage of the public things and of the development hold-out, and
per answerer type ``holdout_est``: the mean over hold-out things of P(solved within 20) of their
keyword in the table (0 outside it), the figure N is chosen by.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="build/default")
    p.add_argument("--n-keywords", type=int, default=12000, help="things kept, by the learned prior (12000: the smallest N whose top holds 95%% of the hold-out, docs/default_table.md)")
    p.add_argument("--sweep", type=int, nargs="+", help="build and analyze these N instead (nothing saved)")
    p.add_argument("--bank-root", default=None, help="answer bank root (default tables/answers)")
    p.add_argument("--embeddings", default=None, help="embeddings source dir (default tables/embeddings/qwen1.5b)")
    p.add_argument("--completion-embeddings", default=None,
                   help="embeddings dir of the completion model's features (the prior keeps --embeddings); default "
                        "tables/embeddings/qwen1.5b-facts (docs/default_table.md section 13), or --embeddings when "
                        "that is given; 'same' = --embeddings")
    p.add_argument("--exact-weight", type=float, default=0.2, help="prior weight of the exact (code) answerer type")
    p.add_argument("--min-mass", type=float, default=1e-4, help="--sweep: tree min-mass")
    p.add_argument("--sweep-types", action="store_true",
                   help="--sweep: plan with the answerer types (slower); default the table alone (the llm type)")
    p.add_argument("--completion", default="kernel", choices=["ridge", "kernel"], help="completion model")
    p.add_argument("--kernel-taus", type=float, nargs="+", default=None,
                   help="the kernel completion's tau grid (tables.completion.KernelCompletion taus; default its own)")
    p.add_argument("--mc-games", type=int, default=1000, help="--sweep: Monte-Carlo games off the tree")
    p.add_argument("--bias-types", action="store_true",
                   help="answerer types by yes-bias: one per greedy LLM source of the bank (tables/bias_types.py)")
    p.add_argument("--per-question-bias", action="store_true",
                   help="--bias-types: each type also gets its source's yes-bias per question")
    p.add_argument("--path-keywords", type=int, default=None, metavar="N",
                   help="put in the path cells of the path source's first N keywords (tables/path_cells.py; default none)")
    p.add_argument("--path-rows", action="store_true",
                   help="the path cells also train the completion, each question on the rows that measured it "
                        "(tables/path_completion.py; needs --path-keywords; docs/default_table.md section 34)")
    p.add_argument("--shift-types", default=None, metavar="S1,S2,...",
                   help="answerer types along this grid of yes-bias shifts in logits, e.g. -2,0,2,4 (0 = the table; "
                        "tables/bias_types.py shift_types, docs/default_table.md 25)")
    p.add_argument("--shift-center-weight", type=float, default=0.5,
                   help="--shift-types: the share of the LLM types' weight on shift 0 (the rest split evenly)")
    p.add_argument("--soft-completion", action="store_true",
                   help="completion cells on the measured cells' scale (a Platt map fitted on out-of-fold "
                        "predictions against the bank's soft cells; docs/default_table.md 12)")
    p.add_argument("--truthful-weight", type=float, default=0.0,
                   help="prior weight of two more LLM types, half each: the bank's calibrated cells before the unseen-prompt map (truthful) and half way to it (llm_half)")
    p.add_argument("--no-unseen-map", action="store_true",
                   help="keep the bank prompts' own answers: no map to the development prompt (tables/reliability.py)")
    p.add_argument("--bank-keywords", type=int, default=None,
                   help="use only the main bank source's first N keywords (the bank as it stood at N; make default "
                        "pins 360, docs/default_table.md section 18); default all")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    return p


def matched_rows(table, *word_lists) -> tuple[list[list[int]], ...]:
    """Per word list, per word, the table rows the referee's rule accepts it for (empty: outside
    the table); one referee index serves every list."""
    from planner.matching import GuessIndex

    gi = GuessIndex(table.names, table.keywords["alts"])
    return tuple([gi.matches(w) for w in words] for words in word_lists)


def coverage(rows) -> dict:
    """How many words (``matched_rows`` output) the table accepts for some keyword."""
    hit = [bool(r) for r in rows]
    return {"n": len(rows), "covered": int(sum(hit)), "share": sum(hit) / max(1, len(rows))}


def holdout_estimate(analysis, rows) -> float:
    """Mean over words (``matched_rows`` output) of the exact analysis' P(solved within 20 |
    keyword) of the keyword the referee would accept (0 for a word outside the table): the
    hold-out solve rate expected at the table's own answer model, coverage included."""
    p = analysis.per_keyword["p_solved_20"].to_numpy()
    return float(np.mean([max((p[i] for i in r), default=0.0) for r in rows]))


def completion_params(args) -> dict | None:
    """The completion model's parameters the command line sets (None: the model's defaults)."""
    if args.kernel_taus is None:
        return None
    if args.completion != "kernel":
        raise SystemExit(f"--kernel-taus applies to --completion kernel, not {args.completion!r}")
    if min(args.kernel_taus) <= 0:
        raise SystemExit(f"--kernel-taus: every tau must be > 0, got {args.kernel_taus}")
    return {"taus": tuple(args.kernel_taus)}


def shift_grid(args):
    """--shift-types parsed (None when not given); a bad grid exits with the reason."""
    from tables.bias_types import parse_shifts

    if args.shift_types is None:
        return None
    try:
        return parse_shifts(args.shift_types)
    except ValueError as e:
        raise SystemExit(f"--shift-types: {e}") from None


def completion_dir(args):
    """The completion's embeddings dir: --completion-embeddings; None (= the prior's) for 'same' or
    when only --embeddings is given; else the committed default."""
    from tables.embeddings import COMPLETION_SOURCE, ROOT as EMB_ROOT

    if args.completion_embeddings == "same" or (args.completion_embeddings is None and args.embeddings):
        return None
    return args.completion_embeddings or EMB_ROOT / COMPLETION_SOURCE


def main(args) -> dict:
    import pandas as pd

    from planner.table import save_table
    from planner.types import TYPES_FILE, save_types
    from tables import bank_sources as bs
    from tables.default_table import build_default_table

    log = (lambda m: None) if args.json else (lambda m: print(m, flush=True))
    public = pd.read_csv(bs.PUBLIC, dtype=str, keep_default_na=False)["keyword"].tolist()
    holdout = bs.read_holdout()
    kw = dict(bank_root=args.bank_root, embeddings_dir=args.embeddings, completion_embeddings=completion_dir(args), exact_weight=args.exact_weight,
              seed=args.seed, progress=log, completion=args.completion, unseen=not args.no_unseen_map,
              truthful_weight=args.truthful_weight, bias_types=args.bias_types,
              per_question_bias=args.per_question_bias, soft_completion=args.soft_completion,
              bank_keywords=args.bank_keywords, completion_params=completion_params(args),
              shifts=shift_grid(args), shift_center_weight=args.shift_center_weight, path_keywords=args.path_keywords,
              path_rows=args.path_rows)
    if args.sweep:
        from planner.analysis import analyze
        from planner.tree import QuestionTree

        rows = []
        for n in args.sweep:
            t0 = time.perf_counter()
            table, types, rep = build_default_table(n, **kw)
            plan = types if args.sweep_types else None
            pub_rows, held_rows = matched_rows(table, public, holdout)
            tree = QuestionTree(min_mass=args.min_mass).fit(table, types=plan)
            res = {}
            for i, name in enumerate(types.names):
                a = analyze(tree, table, types.matrix(table, i), types=plan, n_mc=args.mc_games, seed=args.seed)
                res[name] = {"solve_rate_20": a.solve_rate_20, "expected_turns": a.expected_turns,
                             "public_est": holdout_estimate(a, pub_rows),
                             "holdout_est": holdout_estimate(a, held_rows)}
            rows.append({"n_keywords": table.K, "questions": table.Q, "nodes": tree.node_count_, "by_type": res,
                         "public_coverage": coverage(pub_rows)["share"],
                         "holdout_coverage": coverage(held_rows)["share"],
                         "seconds": round(time.perf_counter() - t0, 1)})
            log(json.dumps(rows[-1]))
        out = {"sweep": rows, "prior": rep["prior"], "completion_cv": rep["completion_cv"]}
    else:
        table, types, rep = build_default_table(args.n_keywords, **kw)
        d = Path(args.out)
        save_table(table, d)
        save_types(types, d / TYPES_FILE)
        pub_rows, held_rows = matched_rows(table, public, holdout)
        rep["coverage"] = {"public": coverage(pub_rows), "holdout": coverage(held_rows)}
        (d / "report.json").write_text(json.dumps(rep, indent=1, default=float))
        out = {"out": str(d), "K": table.K, "Q": table.Q, "hash": table.hash, **rep}
    if args.json:
        print(json.dumps(out, default=float))
    else:
        print(json.dumps({k: v for k, v in out.items() if k not in ("completion_cv",)}, indent=1, default=float))
    return out


if __name__ == "__main__":
    main(make_parser().parse_args())
