"""Fit the greedy entropy tree of a table and save it.

    python scripts/fit_tree.py --table tables/demo --out tree.npz [--depth 20] [--min-mass 1e-4] [--json]

--json prints one JSON object: nodes, fit_seconds, and expected_turns / solve_rate_20 from the
analysis with the table itself as the answer model.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--table", required=True, help="table directory")
    p.add_argument("--out", required=True, help="tree file to write (.npz; a .json summary goes beside it)")
    p.add_argument("--depth", type=int, default=20, help="maximum depth (rounds)")
    p.add_argument("--min-mass", type=float, default=1e-4, help="prune nodes reached with lower probability")
    p.add_argument("--max-nodes", type=int, default=None)
    p.add_argument("--criterion", default="entropy",
                   help="entropy | hard | random | horizon[:KAPPA[:C]] (planner.policy)")
    p.add_argument("--types", default="auto", help="answerer types: auto (TABLE/types.npz if present), none, or a file")
    p.add_argument("--type-weight", action="append", metavar="NAME=W", help="prior weight of an answerer type; repeatable")
    p.add_argument("--eps", type=float, default=1e-3, help="likelihood floor of the soft belief")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mc-games", type=int, default=2000, help="Monte-Carlo games for mass leaving the tree")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def main(args) -> dict:
    from planner.analysis import analyze, answer_matrix
    from planner.table import load_table
    from planner.tree import QuestionTree
    from planner.types import parse_weights, table_types

    table = load_table(args.table)
    types = table_types(args.table, table, args.types, parse_weights(args.type_weight))
    tree = QuestionTree(criterion=args.criterion, max_depth=args.depth, min_mass=args.min_mass,
                        max_nodes=args.max_nodes, eps=args.eps, seed=args.seed, progress=not args.json)
    tree.fit(table, types=types)
    tree.save(args.out)
    res = analyze(tree, table, answer_matrix(table), n_mc=args.mc_games, seed=args.seed, types=types)
    out = {"nodes": tree.node_count_, "fit_seconds": round(tree.fit_seconds_, 3),
           "types": tree.types_["names"], "type_prior": tree.types_["prior"],
           "max_depth_reached": int(tree.depth_.max()), "table_hash": table.hash,
           **{k: res.summary()[k] for k in ("expected_turns", "solve_rate_20", "mean_round_solved", "off_tree_mass", "bound_turns")}}
    if args.json:
        print(json.dumps(out))
    else:
        print(f"fitted {out['nodes']} nodes in {out['fit_seconds']:.1f} s -> {args.out}")
        print(f"answers from the table itself: expected turns {out['expected_turns']:.2f}, "
              f"solved within 20: {out['solve_rate_20']:.1%}, bound {out['bound_turns']:.2f}")
    return out


if __name__ == "__main__":
    main(make_parser().parse_args())
