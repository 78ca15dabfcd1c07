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
    g.add_argument("--answer-type", help="answers drawn from this answerer type's matrix (TABLE/types.npz)")
    p.add_argument("--baselines", action="store_true", help="also analyze hard-elimination and random-order trees")
    p.add_argument("--types", default="auto", help="the tree's answerer types: auto (TABLE/types.npz if present), none, or a file")
    p.add_argument("--type-weight", action="append", metavar="NAME=W", help="prior weight of an answerer type (as fitted)")
    p.add_argument("--by-type", action="store_true",
                   help="solve-within-20 against every answerer type and their prior-weighted mix, for this tree "
                        "and for a single-type tree (the table alone) fitted with the same settings")
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
    from planner.types import parse_weights, table_types

    table = load_table(args.table)
    tree = load_tree(args.tree, table=table)
    types = table_types(args.table, table, args.types, parse_weights(args.type_weight))
    if args.answer_type:
        if types is None or args.answer_type not in types.names:
            raise SystemExit(f"--answer-type {args.answer_type!r}: no such type in {args.table}/types.npz")
        A = types.matrix(table, types.names.index(args.answer_type))
    else:
        A = answer_matrix(table, flip_noise=args.flip_noise,
                          answer_table=load_table(args.answer_table) if args.answer_table else None)
    kw = dict(horizon=args.horizon, n_mc=args.mc_games, noise=args.flip_noise, seed=args.seed)
    if args.by_type:
        return by_type(tree, table, types, kw, args)
    results = {"q20": analyze(tree, table, A, types=types, **kw)}
    if args.baselines:
        params = tree.get_params()
        for crit in ("hard", "random"):
            base = QuestionTree(**{**params, "criterion": crit}).fit(table)
            results[crit] = analyze(base, table, A, **kw)
    main_res = results["q20"]
    out = {**main_res.summary(), "keywords": table.K, "questions": table.Q,
           "types": tree.types_["names"], "type_prior": tree.types_["prior"],
           "answer_model": ("flip:%g" % args.flip_noise) if args.flip_noise is not None
           else (f"table:{args.answer_table}" if args.answer_table else
                 (f"type:{args.answer_type}" if args.answer_type else "table"))}
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


def by_type(tree, table, types, kw, args) -> dict:
    """Solve-within-20 of this tree and of a single-type tree against each answerer type and the
    mix (a game's answerer is one type throughout: the mix is the prior-weighted mean)."""
    from planner.analysis import analyze
    from planner.tree import QuestionTree

    if types is None:
        raise SystemExit("--by-type needs answerer types (TABLE/types.npz or --types FILE)")
    trees = {"typed": (tree, types),
             "single": (QuestionTree(**{**tree.get_params(), "progress": False}).fit(table), None)}
    rows = {}
    for name, (t, ty) in trees.items():
        r = {}
        for i, tn in enumerate(types.names):
            a = analyze(t, table, types.matrix(table, i), types=ty, **kw)
            r[tn] = {"solve_rate_20": a.solve_rate_20, "expected_turns": a.expected_turns,
                     "mean_round_solved": a.mean_round_solved}
        r["mix"] = {"solve_rate_20": float(sum(p * r[tn]["solve_rate_20"] for p, tn in zip(types.prior, types.names)))}
        rows[name] = r
    out = {"keywords": table.K, "questions": table.Q, "types": types.names, "type_prior": types.prior.tolist(),
           "criterion": tree.criterion, "by_type": rows}
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{table.K} keywords x {table.Q} questions; types {dict(zip(types.names, types.prior.round(3)))}")
        print(f"{'planner':8s} " + " ".join(f"{n:>12s}" for n in [*types.names, "mix"]) + "   (solved within 20)")
        for name, r in rows.items():
            print(f"{name:8s} " + " ".join(f"{r[n]['solve_rate_20']:12.1%}" for n in [*types.names, "mix"]))
    return out


if __name__ == "__main__":
    main(make_parser().parse_args())
