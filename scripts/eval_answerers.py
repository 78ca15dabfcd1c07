"""Accuracy / AUC of LLM answerers on the hand-labelled check set (tables/checkset.csv).

    python scripts/eval_answerers.py --models smollm2 --prompts all
    python scripts/eval_answerers.py --models qwen1.5b --prompts sys_sub zs --out build/eval
    python scripts/eval_answerers.py --models qwen1.5b --prompts qf_plain --quantize int8 \
        --out tables/answers/calibration                      # a bank source's calibration scores

Check sets (default both): tables/checkset.csv (426 rows, category/place questions, the first
set) and tables/checkset_natural.csv (natural questions of the question bank, by qid). Each
(model, prompt) scores every row (the keyword prefix cached, or the question prefix for a
question-first prompt); prints one line per source with accuracy at 0.5, the best-threshold
accuracy, AUC, accuracy on the trap rows and per category, and writes per-row scores
(<out>/scores_<source>.csv, with the logit margin) and a summary (<out>/summary.json, merged)
that also holds the AUC per check set and per question kind (natural rows: their topic).
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
    p.add_argument("--checkset", nargs="+", default=["tables/checkset.csv", "tables/checkset_natural.csv"])
    p.add_argument("--limit", type=int, default=None, help="first N keywords only (quick runs)")
    p.add_argument("--use-category", action="store_true", help="pass thing/place to the prompt")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--quantize", default=None, choices=["int8"], help="per-channel dynamic int8 (CPU)")
    p.add_argument("--out", default="build/eval")
    return p


def read_checksets(paths):
    """The check sets as one frame: keyword, category, question, answer, trap, set (file stem) and
    kind (a natural row's topic in the question bank, found by its qid; else the set's name).
    A qid the bank does not know, or a question that is not its text, is an error naming the row."""
    import pandas as pd

    from tables.question_bank import question_bank

    bank = question_bank(kinds=("natural",)).set_index("id")
    parts = []
    for path in paths:
        df = pd.read_csv(path, keep_default_na=False, dtype={"trap": int})
        name = Path(path).stem
        df["set"] = name
        if "qid" in df.columns:
            for i, (qid, q) in enumerate(zip(df["qid"], df["question"]), start=2):
                if qid not in bank.index:
                    raise SystemExit(f"{path}: row {i}: qid {qid!r} is not in the question bank")
                if bank.at[qid, "text"] != q:
                    raise SystemExit(f"{path}: row {i}: question {q!r} is not the text of {qid!r}")
            df["kind"] = [bank.at[q, "topic"] for q in df["qid"]]
        else:
            df["qid"], df["kind"] = "", name
        parts.append(df)
    return pd.concat(parts, ignore_index=True)


def evaluate(scores, labels, traps, categories, groups=None) -> dict:
    """Metrics of (n,) scores against (n,) 0/1 labels; traps (n,) bool; categories (n,) str;
    groups: {name: (n,) str} -> an AUC per value of each (e.g. per check set, per question kind)."""
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
    for name, g in (groups or {}).items():
        g = np.asarray(g)
        out[f"auc_by_{name}"] = {v: {"n": int((g == v).sum()), "auc": auc(s[g == v], y[g == v])} for v in sorted(set(g))}
    return out


def main(args) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import numpy as np
    import pandas as pd

    from tables.llm import PROMPTS, QUESTION_FIRST, YesNoScorer

    cs = read_checksets(args.checkset)
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
            margin = np.empty(len(cs))
            t0 = time.perf_counter()
            if p in QUESTION_FIRST:  # the question is the cached prefix
                for q, idx in cs.groupby("question", sort=False).groups.items():
                    idx = np.asarray(idx)
                    cats = cs["category"].iloc[idx].tolist() if args.use_category else None
                    margin[idx] = scorer.score_question(q, cs["keyword"].iloc[idx].tolist(), cats, logit=True)
            else:
                for kw, idx in cs.groupby("keyword", sort=False).groups.items():
                    idx = np.asarray(idx)
                    cat = cs["category"].iloc[idx[0]] if args.use_category else None
                    margin[idx] = scorer.score_block([kw], cs["question"].iloc[idx].tolist(), [cat], logit=True)[0]
            secs = time.perf_counter() - t0
            scores = 1 / (1 + np.exp(-np.clip(margin, -700, 700)))
            res = evaluate(scores, labels, cs["trap"].to_numpy(bool), cs["category"].to_numpy(),
                           groups={"set": cs["set"].to_numpy(), "kind": cs["kind"].to_numpy()})
            res.update(seconds=round(secs, 1), prompts_per_s=round(len(cs) / secs, 2), load_s=round(load_s, 1),
                       use_category=args.use_category)
            src = scorer.name + ("+cat" if args.use_category else "")
            summary[src] = res
            cs.assign(p_yes=scores, logit=margin).to_csv(out / f"scores_{src}.csv", index=False)
            print(f"{src:28s} {res['n']:4d} {res['accuracy']:7.3f} {res['best_accuracy']:7.3f} "
                  f"{res['best_threshold']:5.2f} {res['auc']:6.3f} {res['trap_accuracy']:5.2f} "
                  f"{res.get('accuracy_thing', float('nan')):6.3f} {res.get('accuracy_place', float('nan')):6.3f} "
                  f"{res['prompts_per_s']:6.1f}  " + " ".join(f"{k}:{v['auc']:.3f}" for k, v in res["auc_by_set"].items()),
                  flush=True)
            summary_path.write_text(json.dumps(summary, indent=1))
        del scorer
    return 0


if __name__ == "__main__":
    sys.exit(main(make_parser().parse_args()))
