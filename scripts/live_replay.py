"""Replay recorded live games under other tables: how each table's belief takes the same answers.

    python scripts/live_replay.py --games out/live/games.csv --table build/default --table build/bias [--json out.json]

For every game of the games.csv files (scripts/live_eval.py), the recorded questions and answers
are fed to each table's belief (its answerer types, TABLE/types.npz; the game's wrong guesses
removed) and the true keyword's rank and log2 probability read at the end of the game
(planner.evaluation.replay_games). One JSON line a
table: games replayed, median rank, shares in the top 1 / 10 / 20, mean log2 probability.
``--by-prior 500 1500 3000 6000`` adds one line a table with the games grouped by the keyword's rank
in the table's prior (solved share, median end rank, mean end log2 p per band): how much of a
result the prior decides. ``--bank-predicted`` replays each table a second time with every main-bank
keyword's natural cells predicted out of fold (tables.dev_games.bank_predicted): games of bank
things as if the bank had never measured them, the rest of the table unchanged -- what measured
cells are worth on the same games and answers. With it, ``--refine TOP/CELLS[/RULE[/TURNS]]``
(repeatable; TURNS ``both``: plan again after each wrong guess, as the agent's ask turn does)
replays the bank-predicted table round by round with refinement (planner.evaluation.replay_refined;
measuring a bank thing's cell gives the bank's, another thing's a draw of what measuring does on
average: tables.dev_games.bank_measure) and the guesser's own guesses: which refinement rule wins
back most of what measured cells are worth. ``--as-built`` replays the same refinement settings on
the table as built too (the bank keywords' cells measured, never chosen for measuring): what a rule
costs the games of things the bank measured.

What it does not measure: which questions a table would have asked (the questions are the
recorded table's), so it isolates the answer model from question choice. The answers are the
live answerer's; use it to understand live results, not to tune a table to that answerer.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--games", action="append", required=True, help="games.csv of a live run (repeatable)")
    p.add_argument("--table", action="append", required=True, help="table dir to replay under (repeatable)")
    p.add_argument("--types", nargs="+", help="only these answerer types of each table (e.g. llm exact)")
    p.add_argument("--keywords", help="only the games of this keyword set (games.csv column keywords)")
    p.add_argument("--cells", action="store_true",
                   help="also: how each answerer type's natural cells predict the recorded answers "
                        "(planner.evaluation.cell_calibration; one line a type)")
    p.add_argument("--by-prior", nargs="+", type=int, metavar="EDGE",
                   help="also: games by band of the keyword's prior rank (band edges, ascending)")
    p.add_argument("--bank-predicted", action="store_true",
                   help="also replay each table with its main-bank keywords' natural cells predicted out of fold")
    p.add_argument("--folds", type=int, default=5, help="--bank-predicted: folds by keyword")
    p.add_argument("--bank-root", help="--bank-predicted: the answer banks' folder (default tables/answers)")
    p.add_argument("--refine", action="append", metavar="TOP/CELLS[/RULE[/TURNS]]",
                   help="--bank-predicted: replay with refinement at this setting (repeatable; RULE leaders, "
                        "contradiction or suspects; TURNS guess or both; the table alone is always replayed first)")
    p.add_argument("--as-built", action="store_true",
                   help="--refine: also replay the settings on the table as built (bank keywords measured)")
    p.add_argument("--json", help="also write the results here")
    return p


def main(args) -> list:
    import numpy as np
    import pandas as pd

    from planner.evaluation import by_prior_band, cell_calibration, recorded_cells, replay_games, replay_refined
    from planner.refine import Refiner, parse_setting
    from planner.table import load_table
    from planner.types import table_types
    from planner.walk import Walker

    if args.refine and not args.bank_predicted:
        raise SystemExit("--refine replays refinement on the bank-predicted table: add --bank-predicted")
    if args.as_built and not args.refine:
        raise SystemExit("--as-built replays --refine settings on the table as built: add --refine")
    for setting in args.refine or []:
        try:
            parse_setting(setting)
        except ValueError as e:
            raise SystemExit(f"--refine: {e}") from e
    games = pd.concat([pd.read_csv(f) for f in args.games], ignore_index=True)
    if args.keywords:
        games = games[games["keywords"] == args.keywords]
    out = []

    def report(label, table, types):
        df = replay_games(Walker(table, None, types=types), games)
        r = df["rank"].to_numpy()
        out.append({"table": label, "types": types.names if types is not None else None, "games": int(len(df)),
                    "median_rank": float(np.median(r)) if len(r) else None,
                    **{f"top{n}": round(float((r < n).mean()), 4) if len(r) else None for n in (1, 10, 20)},
                    "mean_log2_p": round(float(df["log2_p"].mean()), 3) if len(r) else None})
        print(json.dumps(out[-1]), flush=True)
        if args.by_prior:
            out.append({"table": label, "by_prior_rank": by_prior_band(df, edges=sorted(args.by_prior))})
            print(json.dumps(out[-1]), flush=True)
        if args.cells:
            cells = recorded_cells(table, games)
            cells = cells[cells["kind"] == "natural"]
            k, q = cells["k"].to_numpy(), cells["q"].to_numpy()
            for t, name in enumerate(types.names if types is not None else ["table"]):
                P = types.matrix(table, t) if types is not None else table.P
                out.append({"table": label, "type": name, "cells": "natural",
                            **cell_calibration(P[k, q], cells["answer"].to_numpy())})
                print(json.dumps(out[-1]), flush=True)

    for tdir in args.table:
        table = load_table(tdir)
        types = table_types(tdir, table)
        if args.types and types is not None:
            types = types.subset(args.types)
        report(tdir, table, types)
        if args.bank_predicted:
            from tables.dev_games import bank_predicted

            t2, types2, held = bank_predicted(table, types, folds=args.folds, bank_root=args.bank_root)
            label = f"{tdir} (bank predicted: {len(held)} keywords, {args.folds} folds)"
            report(label, t2, types2)
            if args.refine:
                from tables.dev_games import bank_measure

                nat = (table.questions["kind"] == "natural").to_numpy()
                measure = bank_measure(table, t2, held)
                runs = [(label, t2, types2, np.zeros(t2.K, bool))]
                if args.as_built:
                    runs.append((f"{tdir} (as built: {len(held)} bank keywords measured)", table, types,
                                 np.isin(table.names, held)))
                for lab, tab, ty, measured in runs:
                    for setting in ["0/0/leaders", *args.refine]:
                        top, cells, rule, turns = parse_setting(setting)
                        refiner = Refiner(measure, nat, measured, top=top, budget=cells, rule=rule,
                                          P=tab.P, turns=turns) if top and cells else None
                        df = replay_refined(Walker(tab, None, types=ty), games, refiner)
                        out.append({"table": lab, "refine": setting, "games": int(len(df)),
                                    "solved": int(df["solved"].sum()), "median_rank": float(df["rank"].median()),
                                    "refined_cells": round(float(df["refined_cells"].mean()), 1)})
                        print(json.dumps(out[-1]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main(make_parser().parse_args())
