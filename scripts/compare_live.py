"""Two tables on the same live games: paired counts and exact tests (planner/paired.py).

    python scripts/compare_live.py --games out/live/games.csv --a build/candC --b build/default [--seed-sample 40 40]

Reads the games.csv files of scripts/live_eval.py (concatenated; a keyword a table played twice
keeps its last game) and prints one JSON object: per keyword set and over all games, each table's
solved count, the discordant games (``a_only``, ``b_only``, with their keywords), the exact sign
test on them, and the paired solve rounds (unsolved = 21; Wilcoxon signed-rank). ``--seed-sample
IN_BANK HOLDOUT`` adds the same figures on live_eval's seeded samples of those sizes (``--seed``):
the goal's figures when the games are a larger run's. ``--list-weighted`` adds, per table (the
games.csv column is the table's directory), the solve rate of a list nobody tuned for
(planner/list_weight.py): w m + (1 - w) h, with m the solved share of the things the table
measured (bank rows, path cells), h the hold-out's, w the share of the hold-out the table would
have measured (tables.measured.list_share); ``difference``: a - b with a paired bootstrap 95%
interval over the games (planner.list_weight.bootstrap_difference).
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
    p.add_argument("--a", required=True, help="table (games.csv column table) counted as a")
    p.add_argument("--b", required=True, help="table counted as b")
    p.add_argument("--seed-sample", type=int, nargs=2, metavar=("IN_BANK", "HOLDOUT"),
                   help="also the figures on live_eval's seeded samples of these sizes")
    p.add_argument("--seed", type=int, default=0, help="--seed-sample: live_eval's --seed")
    p.add_argument("--list-weighted", action="store_true",
                   help="also each table's list-weighted solve rate (the tables are loaded from their dirs)")
    p.add_argument("--json", help="also write the result here")
    return p


def list_weighted(games, a: str, b: str) -> dict:
    """Per table (its games.csv label is its dir) w, m, n_m, h, n_h and rate, and the paired bootstrap
    of the difference a - b (tables.measured.list_weighted, list_difference)."""
    from planner.table import TableError, load_table
    from tables import bank_sources as bs
    from tables.measured import list_difference
    from tables.measured import list_weighted as rate

    out, tabs = {}, {}
    for t in (a, b):
        try:
            tabs[t] = load_table(t)
        except (OSError, TableError) as e:
            raise SystemExit(f"--list-weighted: cannot load table {t!r} (the games.csv table column): {e}") from e
    try:
        for t in (a, b):
            out[t] = rate(games, tabs[t], t, bs.read_holdout())
        out["difference"] = list_difference(games, *((t, tabs[t], out[t]["w"]) for t in (a, b)))
    except ValueError as e:
        raise SystemExit(f"--list-weighted: {e}") from e
    return out


def main(args) -> dict:
    import pandas as pd

    from planner.paired import paired_games

    frames = []
    for f in args.games:
        if not Path(f).exists():
            raise SystemExit(f"--games: no file {f}")
        frames.append(pd.read_csv(f))
    games = pd.concat(frames, ignore_index=True)
    try:
        out = {"a": args.a, "b": args.b, "sets": paired_games(games, args.a, args.b)}
    except ValueError as e:
        raise SystemExit(f"{', '.join(args.games)}: {e}") from e
    if args.seed_sample:
        sys.path.insert(0, str(ROOT / "scripts"))
        import live_eval

        n_in, n_hold = args.seed_sample
        keep = {(s, k) for s, words in live_eval.keyword_sets(n_in, n_hold, args.seed).items() for k, _ in words}
        sample = games[[(s, k) in keep for s, k in zip(games["keywords"], games["keyword"])]]
        out["seed_sample"] = {"in_bank": n_in, "holdout": n_hold, "seed": args.seed,
                              "sets": paired_games(sample, args.a, args.b)}
    if args.list_weighted:
        out["list_weighted"] = list_weighted(games, args.a, args.b)
    text = json.dumps(out, indent=1)
    print(text)
    if args.json:
        from planner.table import atomic_write

        atomic_write(Path(args.json), lambda f: f.write_text(text + "\n"))
    return out


if __name__ == "__main__":
    main(make_parser().parse_args())
