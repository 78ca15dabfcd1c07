"""The development hold-out against a table that measured the top of its prior (tables/holdout_path.py,
docs/default_table.md section 28): a copy of a table with the measured path cells of the hold-out
things that rank within R of its prior, R by default the table's own path reach. For evaluation
only; refit its tree, then play the hold-out on it:

    python scripts/holdout_top_path.py --table build/default --out build/defaultR
    python scripts/fit_tree.py --table build/defaultR --out build/defaultR/tree.npz --min-mass 1e-3 --mc-games 0
    python scripts/live_eval.py --table build/defaultR --table build/default --holdout 100 --holdout-only
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_parser() -> argparse.ArgumentParser:
    from tables.holdout_path import HOLDOUT_CELLS

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--table", required=True, help="table dir built with path cells (report.json path_cells)")
    p.add_argument("--out", required=True, help="output table dir")
    p.add_argument("--cells", default=str(HOLDOUT_CELLS), help="measured cells csv (keyword, qid, logit)")
    p.add_argument("--max-rank", type=int, default=None, help="R (default: the table's path reach)")
    return p


def main(args) -> dict:
    from tables.holdout_path import holdout_top_table

    try:
        res = holdout_top_table(args.table, args.out, args.cells, args.max_rank)
    except ValueError as e:
        raise SystemExit(f"holdout_top_path: {e}") from e
    print(json.dumps({**res, "hash": res["hash"][:8]}))
    return res


if __name__ == "__main__":
    main(make_parser().parse_args())
