"""build_table throughput: naive batched prompts vs the keyword-prefix KV cache, same run, same model.

    python bench/bench_scoring.py [--model models/smollm2] [--prompts sys_sub fs] [--keywords 4] [--questions 64]

For each prompt, scores keywords x questions (the checkset's distinct questions) three ways --
naive (full prompts, left-padded batches), prefix-cached "padded" (prefix KV broadcast to each row)
and prefix-cached "packed" (suffixes packed into one sequence, prefix KV shared) -- interleaved
keyword by keyword so machine load hits all paths alike; prints prompts/s for each, the speed-ups
over naive and the largest score difference, as JSON lines.
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
        t = {"packed": 0.0, "padded": 0.0, "naive": 0.0}
        diff = 0.0
        for kw in kws:
            scores = {}
            for mode in ("packed", "padded", "naive"):
                t0 = time.perf_counter()
                if mode == "naive":
                    scores[mode] = scorer.score_naive(kw, qs)
                else:
                    scorer.cache_mode = mode
                    scores[mode] = scorer.score(kw, qs)
                t[mode] += time.perf_counter() - t0
            diff = max(diff, float(np.abs(scores["packed"] - scores["naive"]).max()),
                       float(np.abs(scores["padded"] - scores["naive"]).max()))
        n = len(kws) * len(qs)
        res = {"model": Path(args.model).name, "prompt": prompt, "prompts": n, "batch_size": args.batch_size,
               "threads": args.threads, "naive_prompts_per_s": round(n / t["naive"], 2),
               "padded_cached_prompts_per_s": round(n / t["padded"], 2),
               "packed_cached_prompts_per_s": round(n / t["packed"], 2),
               "speedup_padded": round(t["naive"] / t["padded"], 2), "speedup_packed": round(t["naive"] / t["packed"], 2),
               "max_abs_diff": diff, "seconds": {k: round(v, 2) for k, v in t.items()},
               "load_avg": round(os.getloadavg()[0], 2)}
        print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(make_parser().parse_args()))
