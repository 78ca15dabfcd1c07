"""Accuracy / AUC of LLM answerers on the hand-labelled check set (tables/checkset.csv).

    python scripts/eval_answerers.py --models smollm2 --prompts all
    python scripts/eval_answerers.py --models qwen1.5b --prompts sys_sub zs --out build/eval

Each (model, prompt) scores every row (keyword prefix cached); prints one line per source with
accuracy at 0.5, the best-threshold accuracy, AUC, accuracy on the trap rows and per category,
and writes per-row scores (<out>/scores_<source>.csv) and a summary (<out>/summary.json, merged).
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
    p.add_argument("--models", nargs="+", default=["smollm2"], help="names under --models-dir, or paths")
    p.add_argument("--models-dir", default="models")
    p.add_argument("--prompts", nargs="+", default=["all"], help="prompt names, or 'all'")
    p.add_argument("--checkset", default="tables/checkset.csv")
    p.add_argument("--limit", type=int, default=None, help="first N keywords only (quick runs)")
    p.add_argument("--use-category", action="store_true", help="pass thing/place to the prompt")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--quantize", default=None, choices=["int8"], help="per-channel dynamic int8 (CPU)")
    p.add_argument("--out", default="build/eval")
    return p


def evaluate(scores, labels, traps, categories) -> dict:
    """Metrics of (n,) scores against (n,) 0/1 labels; traps (n,) bool; categories (n,) str."""
    import numpy as np

    from tables.noise import auc, best_threshold_accuracy

    s, y = np.asarray(scores, dtype=float), np.asarray(labels, dtype=int)
    pred = s >= 0.5
    traps = np.asarray(traps, dtype=bool)
    out = {"n": int(len(y)), "accuracy": float((pred == y).mean()), "auc": auc(s, y)}
    out["best_threshold"], out["best_accuracy"] = best_threshold_accuracy(s, y)
    out["trap_accuracy"] = float((pred[traps] == y[traps]).mean()) if traps.any() else None
    out["mean_p_yes"] = float(s.mean())
    for c in sorted(set(categories)):
        m = np.asarray(categories) == c
        out[f"accuracy_{c}"] = float((pred[m] == y[m]).mean())
        out[f"auc_{c}"] = auc(s[m], y[m])
    return out


def main(args) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import numpy as np
    import pandas as pd

    from tables.llm import PROMPTS, YesNoScorer

    cs = pd.read_csv(args.checkset, keep_default_na=False)
    if args.limit:
        keep = cs["keyword"].drop_duplicates().iloc[:args.limit]
        cs = cs[cs["keyword"].isin(keep)].reset_index(drop=True)
    labels = (cs["answer"] == "yes").to_numpy(int)
    prompts = sorted(PROMPTS) if args.prompts == ["all"] else args.prompts
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary_path = out / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    print(f"{'source':28s} {'n':>4s} {'acc@.5':>7s} {'bestacc':>7s} {'thr':>5s} {'AUC':>6s} {'trap':>5s} "
          f"{'thing':>6s} {'place':>6s} {'p/s':>6s}")
    for m in args.models:
        mdir = Path(m) if Path(m).exists() else Path(args.models_dir) / m
        t0 = time.perf_counter()
        scorer = YesNoScorer(mdir, prompt=prompts[0], batch_size=args.batch_size, num_threads=args.threads,
                             quantize=args.quantize)
        load_s = time.perf_counter() - t0
        for p in prompts:
            scorer.prompt = p
            scores = np.empty(len(cs))
            t0 = time.perf_counter()
            for kw, idx in cs.groupby("keyword", sort=False).groups.items():
                idx = np.asarray(idx)
                cat = cs["category"].iloc[idx[0]] if args.use_category else None
                scores[idx] = scorer.score(kw, cs["question"].iloc[idx].tolist(), cat)
            secs = time.perf_counter() - t0
            res = evaluate(scores, labels, cs["trap"].to_numpy(bool), cs["category"].to_numpy())
            res.update(seconds=round(secs, 1), prompts_per_s=round(len(cs) / secs, 2), load_s=round(load_s, 1),
                       use_category=args.use_category)
            src = scorer.name + ("+cat" if args.use_category else "")
            summary[src] = res
            cs.assign(p_yes=scores).to_csv(out / f"scores_{src}.csv", index=False)
            print(f"{src:28s} {res['n']:4d} {res['accuracy']:7.3f} {res['best_accuracy']:7.3f} "
                  f"{res['best_threshold']:5.2f} {res['auc']:6.3f} {res['trap_accuracy']:5.2f} "
                  f"{res.get('accuracy_thing', float('nan')):6.3f} {res.get('accuracy_place', float('nan')):6.3f} "
                  f"{res['prompts_per_s']:6.1f}", flush=True)
            summary_path.write_text(json.dumps(summary, indent=1))
        del scorer
    return 0


if __name__ == "__main__":
    sys.exit(main(make_parser().parse_args()))
