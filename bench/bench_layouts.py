"""Answer-bank throughput: the question-first layouts against keyword-first sys_sub, on the SAME cells.

    python bench/bench_layouts.py [--model models/qwen1.5b] [--layouts sys_sub qf_sub qf_plain]
                                  [--keywords 32] [--questions 12] [--int8]

Scores the same keywords (the bank's list) x natural questions (every n-th of the question bank)
with each layout through ``YesNoScorer.score_block`` -- keyword-first prompts cache the keyword
prefix and run the questions as suffixes, question-first prompts cache instructions + question
and run the keywords as suffixes -- in rounds (a keyword block per layout per round) so machine
load hits every layout alike. ``--int8`` adds each layout with per-channel dynamic int8 (a second
model load). Prints one JSON line per layout: cells/s, the ratio to the first layout's fp32 cells/s
(the baseline of this run), and the mean suffix tokens per cell (what a cell costs on a
compute-bound CPU).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="models/qwen1.5b")
    p.add_argument("--layouts", nargs="+", default=["sys_sub", "qf_sub", "qf_plain"],
                   help="prompts; the first is the baseline")
    p.add_argument("--keywords", type=int, default=32, help="keywords (the bank list's first N)")
    p.add_argument("--questions", type=int, default=12, help="natural questions (spread over the bank)")
    p.add_argument("--rounds", type=int, default=2, help="keyword blocks, each scored by every layout in turn")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--int8", action="store_true", help="also time each layout with per-channel int8")
    return p


def suffix_tokens(scorer, keywords, questions) -> float:
    """Mean tokens per cell after the cached prefix, as score_block groups the cells."""
    from tables.llm import QUESTION_FIRST, common_prefix_len, render_prompt

    tok = scorer.tokenizer
    enc = lambda k, q: tok.encode(render_prompt(tok, scorer.prompt, k, q), add_special_tokens=False)  # noqa: E731
    groups = ([[enc(k, q) for k in keywords] for q in questions] if scorer.prompt in QUESTION_FIRST
              else [[enc(k, q) for q in questions] for k in keywords])
    total = 0
    for g in groups:
        L = min(common_prefix_len(g), min(len(s) for s in g) - 1)
        total += sum(len(s) - L for s in g)
    return total / (len(keywords) * len(questions))


def main(args) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import pandas as pd

    from tables.answer_bank import read_bank_keywords
    from tables.llm import YesNoScorer
    from tables.question_bank import question_bank

    kws = read_bank_keywords("tables/answers/keywords.csv")["keyword"].tolist()[:args.keywords]
    nat = question_bank(kinds=("natural",))["text"].tolist()
    qs = nat[::max(1, len(nat) // args.questions)][:args.questions]
    blocks = [kws[i::args.rounds] for i in range(args.rounds)]
    variants = [(p, None) for p in args.layouts] + ([(p, "int8") for p in args.layouts] if args.int8 else [])
    secs = {v: 0.0 for v in variants}
    scorers = {}
    for quant in dict.fromkeys(q for _, q in variants):
        scorers[quant] = YesNoScorer(args.model, batch_size=args.batch_size, num_threads=args.threads, quantize=quant)
        scorers[quant].score_block(kws[:2], qs[:2])  # warm-up
    for block in blocks:
        for v in variants:
            sc = scorers[v[1]]
            sc.prompt, sc._last_prefix = v[0], None  # cold: each layout pays its own prefixes
            t0 = time.perf_counter()
            sc.score_block(block, qs)
            secs[v] += time.perf_counter() - t0
    n = len(kws) * len(qs)
    base = n / secs[variants[0]]
    for v in variants:
        sc = scorers[v[1]]
        sc.prompt = v[0]
        rate = n / secs[v]
        print(json.dumps({"model": Path(args.model).name, "layout": v[0], "quantize": v[1], "cells": n,
                          "cells_per_s": round(rate, 2), "ratio_to_baseline": round(rate / base, 2),
                          "baseline": variants[0][0], "suffix_tokens_per_cell": round(suffix_tokens(sc, kws, qs), 1),
                          "seconds": round(secs[v], 1), "load_avg": round(os.getloadavg()[0], 2)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(make_parser().parse_args()))
