"""The answer bank (tables/answers/): extend it with real LLM answers, or report what it holds.

    python scripts/answer_bank.py --status --json          # questions_natural, keywords, cells, sources, agreement
    python scripts/answer_bank.py --extend main --commit   # score the main source's pending shards, commit each
    python scripts/answer_bank.py --extend chat            # the second prompt style (first 100 keywords)
    python scripts/answer_bank.py --make-keywords          # write keywords.csv + the public hold-out (once)
    python scripts/answer_bank.py --add-learned 2000       # + the top of the learned prior (then --extend main)

Sources are named presets (``tables.bank_sources.SOURCES``); ``--model/--prompt/--quantize/
--limit-keywords`` override a preset. Shards land in tables/answers/<source>/shards/ atomically;
re-running the same command resumes (finished shards are skipped, a killed one is redone).
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
    act.add_argument("--status", action="store_true", help="what the bank holds")
    act.add_argument("--extend", metavar="SOURCE", help="score a source's pending shards (a preset name)")
    act.add_argument("--make-keywords", action="store_true", help="write keywords.csv and the public hold-out")
    act.add_argument("--add-learned", type=int, metavar="N",
                     help="append the N most probable things of the learned prior (the default table's cut, "
                          "hold-out and listed ones skipped) to keywords.csv: what --extend scores next")
    p.add_argument("--json", action="store_true", help="--status: one JSON object")
    p.add_argument("--root", default=None, help="bank root (default tables/answers)")
    p.add_argument("--model", default=None, help="override the preset's model dir")
    p.add_argument("--prompt", default=None, help="override the preset's prompt")
    p.add_argument("--quantize", default=None, choices=["none", "int8"], help="override the preset's quantization")
    p.add_argument("--name", default=None, help="source name (default <model>[-int8]-<prompt>)")
    p.add_argument("--limit-keywords", type=int, default=None, help="score only the first N keywords of the list")
    p.add_argument("--kinds", nargs="+", default=None, help="question kinds (default: the preset's)")
    p.add_argument("--limit-questions", type=int, default=None, help="score only the first N questions (quick runs)")
    p.add_argument("--block-size", type=int, default=20, help="keywords per shard (keep it: shard names depend on it)")
    p.add_argument("--batch-size", type=int, default=64, help="suffixes per forward pass")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default=None)
    p.add_argument("--dtype", default=None)
    p.add_argument("--n-jobs", type=int, default=1, help="joblib workers (or LocalCluster workers)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, or 'local'")
    p.add_argument("--max-shards", type=int, default=None, help="stop after N shards")
    p.add_argument("--commit", action="store_true", help="git-commit each shard as it lands")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--n-prior", type=int, default=230, help="--make-keywords: keywords drawn by prior")
    p.add_argument("--n-public", type=int, default=80, help="--make-keywords: public things (outside the hold-out)")
    p.add_argument("--n-holdout", type=int, default=100, help="--make-keywords: public things held out")
    p.add_argument("--seed", type=int, default=0)
    return p


def _commit(path: Path) -> None:
    """git add + commit one shard and its source.json."""
    from gitutil import commit_paths

    commit_paths([path, path.parent.parent / "source.json"], f"answer bank: {path.parent.parent.name} {path.name}")


def main(args) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from tables import bank_sources as bs

    root = Path(args.root) if args.root else None
    if args.make_keywords:
        out = bs.make_keywords(root=root, n_prior=args.n_prior, n_public=args.n_public,
                               n_holdout=args.n_holdout, seed=args.seed)
        print(json.dumps({k: str(v) for k, v in out.items()}, indent=1))
        return 0
    if args.add_learned is not None:
        from tables.default_table import learned_things

        added = bs.add_keywords(learned_things(seed=args.seed), args.add_learned, origin="learned", root=root)
        print(json.dumps({"added": len(added), "first": added["keyword"].head(5).tolist(),
                          "last": added["keyword"].tail(3).tolist()}))
        return 0
    if args.status:
        st = bs.status(root=root)
        if args.json:
            print(json.dumps(st))
        else:
            print(bs.format_status(st))
        return 0
    from tables.scoring import run_job

    job = bs.make_job(args.extend, root=root, model=args.model, prompt=args.prompt, quantize=args.quantize,
                      name=args.name, limit=args.limit_keywords, kinds=args.kinds, block_size=args.block_size,
                      batch_size=args.batch_size, threads=args.threads, device=args.device, dtype=args.dtype)
    if args.limit_questions:
        job.questions = job.questions.iloc[:args.limit_questions].reset_index(drop=True)
    summary = run_job(job, n_jobs=args.n_jobs, scheduler=args.scheduler, progress=not args.no_progress,
                      max_shards=args.max_shards, on_shard=_commit if args.commit else None)
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(make_parser().parse_args()))
