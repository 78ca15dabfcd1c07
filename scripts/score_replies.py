"""Tables' cells against recorded live replies: docs/default_table.md section 21's step 1.

    python scripts/score_replies.py --table build/candC --table build/default [--replies docs/live_answers.csv] [--all-keywords]

For each table, its natural cells at every (keyword, question) of the replies file (a live_eval
memo: keyword, question, answer) whose keyword is a thing of the development hold-out (never in the
bank; ``--all-keywords``: every keyword the table holds), scored as hard answers
(planner.evaluation.cell_calibration): cells, AUC, log-loss, the share on the other side of 0.5,
the cells' mean beside the yes rate, and the answerer's yes-bias against the table (the logit shift
that fits its answers best, planner.evaluation.answer_shift, with the log-loss there). ``--prompt``:
only the replies of that prompt (a file holding several answerers). One JSON line a table. The
replies are the test answerer's: this says how well a table predicts it, and is for deciding
between built tables, not fitting one.
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
    p.add_argument("--table", action="append", required=True, help="table dir (repeatable)")
    p.add_argument("--replies", default=str(ROOT / "docs" / "live_answers.csv"), help="live replies (memo csv)")
    p.add_argument("--prompt", default=None, help="only the replies whose prompt column is this (default all rows)")
    p.add_argument("--all-keywords", action="store_true", help="every keyword of the replies, not only the hold-out's")
    return p


def main(args) -> list:
    import pandas as pd

    from planner.evaluation import answer_shift, cell_calibration, reply_cells
    from planner.table import load_table
    from tables.bank_sources import read_holdout

    if not Path(args.replies).exists():
        raise SystemExit(f"--replies: no file {args.replies}")
    replies = pd.read_csv(args.replies, dtype=str, keep_default_na=False)
    if args.prompt is not None:
        if "prompt" not in replies.columns:
            raise SystemExit(f"{args.replies}: --prompt {args.prompt!r} given but the file has no prompt column")
        have = sorted(set(replies["prompt"]))
        replies = replies[replies["prompt"] == args.prompt]
        if replies.empty:
            raise SystemExit(f"{args.replies}: no reply of prompt {args.prompt!r} (the file has {have})")
    if not args.all_keywords:
        replies = replies[replies["keyword"].isin(set(read_holdout()))]
    out = []
    for tdir in args.table:
        try:
            cells = reply_cells(load_table(tdir, mmap=True), replies)
        except ValueError as e:
            raise SystemExit(f"{args.replies}: {e}") from e
        cells = cells[cells["kind"] == "natural"]
        cal = cell_calibration(cells["p"].to_numpy(), cells["answer"].to_numpy())
        out.append({"table": tdir, "keywords": int(cells["keyword"].nunique()), "cells": cal["n"],
                    **{k: round(cal[k], 4) for k in ("auc", "log_loss", "other_side", "mean_p", "yes_rate")}})
        shift, ll = answer_shift(cells["p"].to_numpy(), cells["answer"].to_numpy())
        out[-1].update(shift=round(shift, 3), log_loss_shifted=round(ll, 4))
        print(json.dumps(out[-1]), flush=True)
    return out


if __name__ == "__main__":
    main(make_parser().parse_args())
