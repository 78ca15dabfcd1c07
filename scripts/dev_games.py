"""Development games with no LLM run: the second prompt style's keywords played as hold-out things.

    python scripts/dev_games.py --table build/default --refine 0/0 --refine 8/8 --refine 64/8/contradiction [--json out.json]
    python scripts/dev_games.py --table build/bias --types llm exact --type-weight llm=0.8   # a types subset

tables/dev_games.py: those keywords' natural cells become out-of-fold completion predictions, the
second style's greedy answers answer, and the main source's cells stand in for the LLM's
measurements during the game (``--refine TOP/CELLS[/RULE]``, RULE ``leaders`` (default),
``contradiction`` or ``suspects``, planner/refine.py; 0/0 = no refinement). Guesser: ``greedy``
(online, the table changed so the tree does not fit). One JSON line per setting.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--table", default=str(ROOT / "build" / "default"))
    p.add_argument("--refine", action="append", help="TOP/CELLS[/RULE[/TURNS]] per setting (TURNS guess or both; default 0/0 and 8/8)")
    p.add_argument("--types", nargs="+", help="play with only these answerer types of the table (e.g. llm exact)")
    p.add_argument("--type-weight", action="append", default=[], help="NAME=W: a type's prior weight (repeatable)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="also write the results here")
    return p


def parse_setting(s: str) -> tuple[int, int, str, str]:
    from planner.refine import parse_setting as parse

    try:
        return parse(s)
    except ValueError as e:
        raise SystemExit(f"--refine: {e}") from e


def main(args) -> list:
    from planner.evaluation import play_games, summarize
    from planner.table import load_table
    from planner.types import parse_weights, table_types
    from tables.dev_games import dev_setup

    table = load_table(args.table)
    types = table_types(args.table, table)
    if args.types:
        types = types.subset(args.types)
    if args.type_weight:
        types = types.with_weights(parse_weights(args.type_weight))
    setup = dev_setup(table, types, seed=args.seed)
    setup.report["types"] = dict(zip(setup.types.names, setup.types.prior.round(3).tolist())) if setup.types else None
    print(json.dumps(setup.report), flush=True)
    out = []
    for top, cells, rule, turns in map(parse_setting, args.refine or ["0/0", "8/8"]):
        t0 = time.perf_counter()
        df = play_games(setup.table, "greedy", setup.answerer, setup.keywords, types=setup.types, seed=args.seed,
                        refiner=setup.refiner(top, cells, rule, turns))
        s = summarize(df)
        out.append({"top": top, "cells": cells, "rule": rule, "turns": turns, "games": s["games"], "solved": int(df["solved"].sum()),
                    "solve_rate_20": s["solve_rate_20"], "mean_round_solved": s["mean_round_solved"],
                    "refined_cells_mean": float(df["refined_cells"].mean()), "seconds": round(time.perf_counter() - t0, 1)})
        print(json.dumps(out[-1]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"report": setup.report, "results": out}, indent=1))
    return out


if __name__ == "__main__":
    main(make_parser().parse_args())
