"""Exact expected-turns analysis of a fitted tree, with the baselines beside it.

    python scripts/analyze.py --tree tree.npz --table tables/demo --flip-noise 0.05 --plot out/ --json

Answer model: the table itself (default), --answer-table DIR (same keywords and questions), or
--flip-noise E (the table rounded to 0/1 and flipped with probability E). --baselines fits the
hard-elimination and random-order trees with the same settings and analyzes them on the same
answer model.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tree", required=True)
    p.add_argument("--table", required=True)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--answer-table", help="answers drawn from this table's P")
    g.add_argument("--flip-noise", type=float, help="hardened table flipped with this probability")
    p.add_argument("--baselines", action="store_true", help="also analyze hard-elimination and random-order trees")
    p.add_argument("--horizon", type=int, default=40, help="rounds simulated for games leaving the tree (for E[T])")
    p.add_argument("--mc-games", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--csv", help="per-keyword CSV (default: PLOT/per_keyword.csv when --plot is given)")
    p.add_argument("--plot", help="directory for PNG plots")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def main(args) -> dict:
    from planner.analysis import analyze, answer_matrix
    from planner.table import load_table
    from planner.tree import QuestionTree, load_tree

    table = load_table(args.table)
    tree = load_tree(args.tree, table=table)
    A = answer_matrix(table, flip_noise=args.flip_noise,
                      answer_table=load_table(args.answer_table) if args.answer_table else None)
    kw = dict(horizon=args.horizon, n_mc=args.mc_games, noise=args.flip_noise, seed=args.seed)
    results = {"q20": analyze(tree, table, A, **kw)}
    if args.baselines:
        params = tree.get_params()
        for crit in ("hard", "random"):
            base = QuestionTree(**{**params, "criterion": crit}).fit(table)
            results[crit] = analyze(base, table, A, **kw)
    main_res = results["q20"]
    out = {**main_res.summary(), "keywords": table.K, "questions": table.Q,
           "answer_model": ("flip:%g" % args.flip_noise) if args.flip_noise is not None
           else (f"table:{args.answer_table}" if args.answer_table else "table")}
    if args.baselines:
        out["baselines"] = {k: v.summary() for k, v in results.items() if k != "q20"}
    csv = args.csv or (str(Path(args.plot) / "per_keyword.csv") if args.plot else None)
    if csv:
        Path(csv).parent.mkdir(parents=True, exist_ok=True)
        main_res.per_keyword.to_csv(csv, index=False)
        out["csv"] = csv
    if args.plot:
        from planner.plots import plot_solve_curves, plot_turns_histogram
        d = Path(args.plot); d.mkdir(parents=True, exist_ok=True)
        out["plots"] = [str(plot_solve_curves(results, d / "solve_curve.png", title=f"answers: {out['answer_model']}")),
                        str(plot_turns_histogram(main_res, d / "turns_hist.png"))]
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{table.K} keywords x {table.Q} questions, answers: {out['answer_model']} (noise {main_res.noise:.3f})")
        print(f"{'policy':8s} {'E[turns]':>9s} {'solved<=20':>10s} {'mean win':>9s} {'off-tree':>9s}")
        for k, v in results.items():
            s = v.summary()
            print(f"{k:8s} {s['expected_turns']:9.2f} {s['solve_rate_20']:10.1%} {s['mean_round_solved']:9.2f} {s['off_tree_mass']:9.1%}")
        print(f"noisy-channel bound: {main_res.bound_turns:.2f} questions")
    return out


if __name__ == "__main__":
    main(make_parser().parse_args())
