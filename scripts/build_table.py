"""Score keyword x question cells with an LLM into a source's answers dir (sharded, resumable).

    python scripts/build_table.py --model models/smollm2 --prompt sys_sub --table TABLE_DIR \
        --keywords-sample 200 --seed 0 --out build/answers [--n-jobs 2 | --scheduler local|ADDRESS]

Keywords/questions come from a planner table dir (--table) or from --keywords / --questions files
(CSV with a keyword / text column, or .txt one per line). Shards go to
<out>/<source>/shards/<job>/ and the assembled answers (planner table + mask.npy) to <out>/<source>/,
source = <model dir name>-<prompt>. Re-running the same command resumes; nothing finished is redone.
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
    p.add_argument("--model", required=True, help="HF model dir (e.g. models/qwen1.5b) or a .gguf file")
    p.add_argument("--prompt", default="sys_sub", help="prompt template (tables.llm.PROMPTS)")
    p.add_argument("--name", default=None, help="source name (default <model dir name>-<prompt>)")
    p.add_argument("--table", help="planner table dir to read keywords.csv and questions.csv from")
    p.add_argument("--keywords", help="keyword list (CSV with a keyword column, or .txt)")
    p.add_argument("--questions", help="question list (CSV with a text column, or .txt)")
    p.add_argument("--keywords-sample", type=int, default=None, help="score only N sampled keyword rows")
    p.add_argument("--sample-by-prior", action="store_true", help="sample rows proportionally to the prior")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--question-kinds", nargs="+", default=None, help="score only questions of these kinds")
    p.add_argument("--use-category", action="store_true", help="pass the keyword's category to the prompt")
    p.add_argument("--out", default="build/answers", help="answers root (one dir per source)")
    p.add_argument("--block-size", type=int, default=8, help="keywords per shard")
    p.add_argument("--batch-size", type=int, default=32, help="questions per forward pass")
    p.add_argument("--threads", type=int, default=2, help="torch threads per worker")
    p.add_argument("--device", default=None)
    p.add_argument("--dtype", default=None, help="torch dtype name, e.g. float32, bfloat16")
    p.add_argument("--n-jobs", type=int, default=1, help="joblib workers (or LocalCluster workers)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, or 'local' for a LocalCluster")
    p.add_argument("--max-shards", type=int, default=None, help="stop after N shards (resume later)")
    p.add_argument("--assemble-partial", action="store_true",
                   help="assemble the finished shards even when some remain (with --max-shards 0: compute nothing)")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(args) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from tables.scoring import Job, ScorerSpec, read_keywords, read_questions, run_job, sample_rows

    kw_src = args.keywords or args.table
    q_src = args.questions or args.table
    if not kw_src or not q_src:
        raise SystemExit("need --table, or both --keywords and --questions")
    keywords, questions = read_keywords(kw_src), read_questions(q_src)
    if args.question_kinds:
        questions = questions[questions["kind"].isin(args.question_kinds)].reset_index(drop=True)
        if questions.empty:
            raise SystemExit(f"no question of kind(s) {args.question_kinds} in {q_src}")
    rows = sample_rows(len(keywords), args.keywords_sample, args.seed,
                       weights=keywords["prior"].fillna(1.0).to_numpy() if args.sample_by_prior else None)
    spec = ScorerSpec(model_dir=str(args.model), prompt=args.prompt, batch_size=args.batch_size,
                      num_threads=args.threads, device=args.device, dtype=args.dtype, name=args.name)
    job = Job(spec, keywords, questions, rows, out=args.out, block_size=args.block_size,
              use_category=args.use_category)
    summary = run_job(job, n_jobs=args.n_jobs, scheduler=args.scheduler, progress=not args.no_progress,
                      max_shards=args.max_shards, assemble_partial=args.assemble_partial)
    summary["config"] = {k: v for k, v in vars(args).items()}
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(make_parser().parse_args()))
