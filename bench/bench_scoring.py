"""build_table throughput: naive batched prompts vs the keyword-prefix KV cache, same run, same model.

    python bench/bench_scoring.py [--model models/smollm2] [--prompts sys_sub fs] [--keywords 4] [--questions 64]

For each prompt, scores keywords x questions (the checkset's distinct questions) both ways,
interleaved keyword by keyword so machine load hits both paths alike; prints prompts/s for each,
the speed-up ratio and the largest score difference, as JSON lines.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KEYWORDS = ["banana", "paris", "whale", "hammer", "guitar", "tomato", "spider", "mount everest"]


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="models/smollm2")
    p.add_argument("--prompts", nargs="+", default=["sys_sub", "fs"])
    p.add_argument("--keywords", type=int, default=4, help="how many keywords (up to 8)")
    p.add_argument("--questions", type=int, default=64, help="questions per keyword")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--checkset", default="tables/checkset.csv")
    return p


def main(args) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import numpy as np
    import pandas as pd

    from tables.llm import YesNoScorer

    qs = pd.read_csv(args.checkset)["question"].drop_duplicates().tolist()[:args.questions]
    kws = KEYWORDS[:args.keywords]
    scorer = YesNoScorer(args.model, batch_size=args.batch_size, num_threads=args.threads)
    scorer.score(kws[0], qs[:4])  # warm-up
    for prompt in args.prompts:
        scorer.prompt = prompt
        scorer._last_prefix = None  # start cold: the first keyword pays its full prefix
        t_cached = t_naive = 0.0
        diff = 0.0
        for kw in kws:
            t0 = time.perf_counter()
            a = scorer.score(kw, qs)
            t1 = time.perf_counter()
            b = scorer.score_naive(kw, qs)
            t2 = time.perf_counter()
            t_cached += t1 - t0
            t_naive += t2 - t1
            diff = max(diff, float(np.abs(a - b).max()))
        n = len(kws) * len(qs)
        res = {"model": Path(args.model).name, "prompt": prompt, "prompts": n, "batch_size": args.batch_size,
               "threads": args.threads, "naive_prompts_per_s": round(n / t_naive, 2),
               "cached_prompts_per_s": round(n / t_cached, 2), "speedup": round(t_naive / t_cached, 2),
               "max_abs_diff": diff, "naive_s": round(t_naive, 2), "cached_s": round(t_cached, 2),
               "load_avg": os.getloadavg()[0]}
        print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(make_parser().parse_args()))
