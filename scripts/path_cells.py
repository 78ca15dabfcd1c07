"""Path cells (tables/path_cells.py): score the natural cells the agent asks a thing, for things the
bank has no row for, in the order of the table's prior.

    python scripts/path_cells.py --add 200                      # list the next 200 things of build/default's prior
    python scripts/path_cells.py --extend --commit              # pick (self-play) and score the pending blocks
    python scripts/path_cells.py --status

The things listed skip the bank's keywords and the development hold-out. Re-running --extend
resumes (finished shards are kept); --commit git-commits each shard as it lands.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    act = p.add_mutually_exclusive_group(required=True)
    act.add_argument("--add", type=int, metavar="N", help="append the next N things of the table's prior to the list")
    act.add_argument("--extend", action="store_true", help="pick and score the pending blocks")
    act.add_argument("--status", action="store_true", help="what the path source holds")
    p.add_argument("--table", default="build/default", help="the agent that picks the cells (table dir with tree.npz)")
    p.add_argument("--root", default=None, help="bank root (default tables/answers)")
    p.add_argument("--games", type=int, default=8, help="self-play games a thing")
    p.add_argument("--cells", type=int, default=40, help="at most this many cells a thing")
    p.add_argument("--block-size", type=int, default=20, help="things a shard")
    p.add_argument("--max-shards", type=int, default=None, help="stop after this many shards")
    p.add_argument("--n-jobs", type=int, default=1, help="joblib workers")
    p.add_argument("--threads", type=int, default=2, help="torch threads a worker")
    p.add_argument("--device", default=None, help="torch device (e.g. cuda)")
    p.add_argument("--dtype", default=None, help="torch dtype (e.g. bfloat16 on a GPU)")
    p.add_argument("--commit", action="store_true", help="git-commit each shard as it lands")
    p.add_argument("--no-progress", action="store_true")
    return p


def _commit(path: Path) -> None:
    from gitutil import commit_paths

    src = path.parent.parent
    commit_paths([path, src / "source.json", src / "keywords.csv"], f"path cells: {src.name} {path.name}")


def main(args) -> dict:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from tables import bank_sources as bs
    from tables.answer_bank import load_bank, read_bank_keywords
    from tables.path_cells import add_path_keywords, make_path_job

    root = bs._root(args.root)
    src = root / bs.path_source()
    if args.add is not None:
        from planner.table import load_table

        bank = read_bank_keywords(root / "keywords.csv")["keyword"].tolist()
        added = add_path_keywords(load_table(args.table), args.add, src, bank_keywords=bank, holdout=bs.read_holdout())
        out = {"added": len(added), "first": added[:5], "last": added[-3:]}
    elif args.status:
        listed = read_bank_keywords(src / "keywords.csv")["keyword"].tolist() if (src / "keywords.csv").exists() else []
        b = load_bank(src) if (src / "source.json").exists() else None
        out = {"source": src.name, "listed": len(listed), "keywords_scored": len(b.keywords) if b else 0,
               "cells": b.cells if b else 0, "shards": len(list((src / "shards").glob("*.npz")))}
    else:
        from tables.scoring import run_job

        job = make_path_job(args.table, root=args.root, block_size=args.block_size, games=args.games,
                            cells=args.cells, threads=args.threads, device=args.device, dtype=args.dtype)
        if not job.keywords:
            raise SystemExit(f"{src / 'keywords.csv'}: no things listed; run --add N first")
        out = run_job(job, n_jobs=args.n_jobs, progress=not args.no_progress, max_shards=args.max_shards,
                      on_shard=_commit if args.commit else None)
    print(json.dumps(out, default=str))
    return out


if __name__ == "__main__":
    main(make_parser().parse_args())
