"""Keyword embeddings of the universe's things (tables/embeddings/<source>/), sharded and resumable.

    python scripts/embed_keywords.py --model models/qwen1.5b --commit          # all things, highest prior first
    python scripts/embed_keywords.py --model models/qwen1.5b --limit 5000      # the top 5,000 only
    python scripts/embed_keywords.py --status

The hidden states of a few layers at each keyword's last token in a short template, projected on a
PCA basis fitted once on a seeded sample (tables/embeddings.py). Re-running resumes.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="models/qwen1.5b")
    p.add_argument("--name", default=None, help="source name (default: the model dir's name, + -TEMPLATE unless 'keyword')")
    p.add_argument("--root", default=None, help="embeddings root (default tables/embeddings)")
    p.add_argument("--extra", default="tables/answers/keywords.csv",
                   help="keywords embedded first whatever their prior (the bank's, the hold-out's)")
    p.add_argument("--limit", type=int, default=None, help="embed only the top N things by prior (plus --extra)")
    p.add_argument("--keywords", default=None, help="embed exactly this list (a CSV with a keyword column) instead")
    p.add_argument("--template", default="keyword", help="tables.embeddings.TEMPLATES name")
    p.add_argument("--layers", type=int, nargs="+", default=None,
                   help="hidden-state layers concatenated (default tables.embeddings.LAYERS; -1 = the last)")
    p.add_argument("--order", choices=["hand", "learned"], default="hand",
                   help="things after --extra by the universe's hand prior, or by the learned prior "
                        "(tables/default_table.py, on the committed embeddings): with --limit, the default "
                        "table's cut")
    p.add_argument("--block-size", type=int, default=2000)
    p.add_argument("--dim", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=256, help="keywords per forward pass")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default=None)
    p.add_argument("--dtype", default=None)
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--scheduler", default=None)
    p.add_argument("--max-shards", type=int, default=None)
    p.add_argument("--commit", action="store_true", help="git-commit each shard as it lands")
    p.add_argument("--status", action="store_true", help="print how many keywords are embedded and stop")
    p.add_argument("--no-progress", action="store_true")
    return p


def keyword_list(extra_paths, limit=None, order: str = "hand") -> list:
    """The extra lists' keywords first (those in the universe), then the things by prior (the
    universe's hand prior, or the learned prior of tables/default_table.py)."""
    import pandas as pd

    from tables.embeddings import universe_things

    if order == "learned":
        from tables.default_table import learned_order
        things = learned_order()
    else:
        things = universe_things()["keyword"].tolist()
    known = set(things)
    first = []
    for p in extra_paths:
        if Path(p).exists():
            first += [k for k in pd.read_csv(p, dtype=str, keep_default_na=False)["keyword"] if k in known]
    first = list(dict.fromkeys(first))
    seen = set(first)
    rest = [k for k in (things if limit is None else things[:limit]) if k not in seen]
    return first + rest


def main(args) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from tables.embeddings import ROOT, EmbedJob, load_embeddings
    from tables.scoring import ScorerSpec, run_job

    root = Path(args.root) if args.root else ROOT
    name = args.name or (Path(args.model).name + ("" if args.template == "keyword" else f"-{args.template}"))
    spec = ScorerSpec(model_dir=args.model, prompt="sys_sub", batch_size=args.batch_size, num_threads=args.threads,
                      device=args.device, dtype=args.dtype, name=name)
    extra = [args.extra, "tables/holdout_public.csv"]
    if args.keywords:
        import pandas as pd
        kws = list(dict.fromkeys(pd.read_csv(args.keywords, dtype=str, keep_default_na=False)["keyword"]))
    else:
        kws = keyword_list(extra, args.limit, args.order)
    job = EmbedJob(spec, kws, root=root, block_size=args.block_size, dim=args.dim, template=args.template,
                   **({"layers": tuple(args.layers)} if args.layers else {}))
    if args.status:
        names, Z = load_embeddings(job.source_dir) if job.basis_path.exists() else ([], None)
        print(json.dumps({"source": job.source, "keywords": len(names), "dim": None if Z is None else Z.shape[1],
                          "planned": len(job.keywords), "shards_pending": len(job.pending())}))
        return 0
    commit = None
    if args.commit:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from gitutil import commit_paths

        def commit(path):
            commit_paths([path, job.basis_path], f"embeddings: {job.source} {path.name}")
    summary = run_job(job, n_jobs=args.n_jobs, scheduler=args.scheduler, progress=not args.no_progress,
                      max_shards=args.max_shards, on_shard=commit)
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(make_parser().parse_args()))
