"""Live games against an LLM answerer whose prompt never built the answer bank: docs/results_live.md.

    python scripts/live_eval.py --table build/default [--old-table tables/example] [--prompt kaggle] \\
        [--in-bank 40] [--holdout 40] [--seed 0] [--out out/live]

Keywords: public things in the answer bank (``origin == public`` in tables/answers/keywords.csv),
and things of the development hold-out (tables/holdout_public.csv, never in the bank), each a
seeded sample. Answerer: the LLM alone (``llm-only``: it answers letter questions too) with
``--prompt`` (default ``kaggle``, a starter-notebook wording the bank never used). Guessers: q20
on each table given (its TABLE/tree.npz when it fits, else fitted now), on the SAME answers (one
memo of the answerer's replies across tables). ``--refine off`` (default) plays as the agent
ships (refinement off since docs/default_table.md section 19); ``--refine on`` as the agent does
with ``Q20_REFINE_CELLS=8``: each turn a game measures asked questions for keywords the table only
predicts, with the bank's prompt (the agent's rule and turns unless ``--refine-rule`` /
``--refine-turns`` say; planner/refine.py, tables/refine_llm.py; ``--refine both`` plays every
table with and without it).
Writes OUT/games.csv (with transcripts), OUT/summary.json and the markdown page (OUT/results_live.md
unless --page names another, e.g. docs/results_live.md).
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def make_parser() -> argparse.ArgumentParser:
    from planner.refine import RULES, TURNS

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--table", action="append", help="table dirs to play (default build/default and tables/example)")
    p.add_argument("--model", default=str(ROOT / "models" / "qwen1.5b"))
    p.add_argument("--prompt", default="kaggle", help="the answerer's prompt (tables.prompts.PROMPTS)")
    p.add_argument("--in-bank", type=int, default=40, help="public things in the answer bank to play")
    p.add_argument("--holdout", type=int, default=40, help="hold-out things to play")
    p.add_argument("--path-public", type=int, default=0,
                   help="public things with path cells and no bank row to play (tables/path_cells.py; default none)")
    p.add_argument("--holdout-only", action="store_true",
                   help="play only the hold-out set (the same sample as a full run with these sizes and seed)")
    p.add_argument("--refine", choices=("off", "on", "both"), default="off",
                   help="measure cells during games (on, as the agent with Q20_REFINE_CELLS=8), not (off, the agent as shipped), or play both")
    p.add_argument("--refine-rule", choices=RULES, default=None,
                   help="which cells refinement measures (planner/refine.py; agent default)")
    p.add_argument("--refine-top", type=int, default=None, help="keywords considered (default: the rule's own, planner.refine.RULE_TOP)")
    p.add_argument("--refine-cells", type=int, default=None, help="cells a game measures a turn (default agent.config.REFINE_CELLS_ON)")
    p.add_argument("--refine-turns", choices=TURNS, default=None,
                   help="measure at the guess turn only, or at both turns of a round (agent default)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(ROOT / "out" / "live"))
    p.add_argument("--page", default=None,
                   help="markdown page to write (default OUT/results_live.md; the committed page "
                        "docs/results_live.md is written only when named: docs/default_table.md has its command)")
    p.add_argument("--transcripts", type=int, default=3, help="games per group shown on the page")
    p.add_argument("--memo", default=None,
                   help="file of the answerer's replies, read back and appended (default OUT/answers.csv): a rerun, or "
                        "another table on the same keywords, asks the LLM only what it never asked")
    p.add_argument("--seed-memo", action="append", default=[],
                   help="games.csv of an earlier run with the SAME model and prompt: its transcripts' replies go into the memo")
    return p


def stable_sample(items, n: int, seed: int, stream: int, keep=None) -> list:
    """The first ``n`` of ``items`` (those in ``keep``, if given) in a permutation seeded by
    (seed, stream), sorted case-insensitively. The permutation covers all of ``items``, so a sample
    does not depend on the other set's size; and when ``keep`` grows (the bank gains keywords),
    every thing of the new sample that the old ``keep`` held was in the old sample too, so two runs
    can be compared on the things they share."""
    import numpy as np

    items = list(items)
    order = np.random.default_rng([seed, stream]).permutation(len(items))
    picked = [items[i] for i in order if keep is None or items[i] in keep][:n]
    return sorted(picked, key=str.lower)


def keyword_sets(n_bank: int, n_hold: int, seed: int, n_path: int = 0) -> dict:
    """{"in-bank public": [...], "hold-out": [...], "path public": [...]}, seeded samples (keyword,
    alts=[]); each set has its own random stream (:func:`stable_sample`), so the hold-out sample of
    a seed is the same whatever the bank holds. "path public": public things with path cells
    (tables/path_cells.py: listed in the path source and scored), no bank row."""
    import pandas as pd

    from tables import bank_sources as bs
    from tables.answer_bank import list_sources, load_bank

    kw = pd.read_csv(bs.ROOT / "keywords.csv", dtype=str, keep_default_na=False)
    main = bs.make_job(bs.MAIN).source
    scored = set(load_bank(bs.ROOT / main).keywords) if main in list_sources(bs.ROOT) else set()
    pub = [k for k, o in zip(kw["keyword"], kw["origin"]) if o == "public"]
    pick_bank = stable_sample(pub, n_bank, seed, 0, keep=scored)
    pick_hold = stable_sample(bs.read_holdout(), n_hold, seed, 1)
    sets = {"in-bank public": [(k, []) for k in pick_bank], "hold-out": [(k, []) for k in pick_hold]}
    if n_path:
        path = bs.path_source()
        if path not in list_sources(bs.ROOT):
            raise SystemExit(f"--path-public: no path source {path!r} in {bs.ROOT} (scripts/path_cells.py)")
        public = {k.lower() for k in pd.read_csv(bs.PUBLIC, dtype=str, keep_default_na=False)["keyword"]}
        have = [k for k in load_bank(bs.ROOT / path).keywords if k.lower() in public and k not in scored]
        sets["path public"] = [(k, []) for k in stable_sample(have, n_path, seed, 2)]
    return sets


def make_refiner(table, model, threads: int, top: int, cells: int, scorers: dict, rule: str = "leaders",
                 turns: str = "guess"):
    """A Refiner for ``table`` measuring with ``model`` (one scorer per prompt, shared), or None
    when the table has no refine spec."""
    from planner.refine import Refiner
    from tables.refine_llm import CellMeasure, refine_masks, refine_spec

    spec = refine_spec(table)
    if spec is None:
        return None
    if spec.prompt not in scorers:
        from tables.llm import YesNoScorer
        scorers[spec.prompt] = YesNoScorer(model, prompt=spec.prompt, num_threads=threads)
    refinable, measured = refine_masks(table, spec)
    return Refiner(CellMeasure(scorers[spec.prompt], spec, table), refinable, measured, top=top, budget=cells,
                   rule=rule, P=table.P, turns=turns)


def main(args) -> dict:
    import pandas as pd

    from agent.config import REFINE_CELLS_ON, Config
    from agent.harness import llm_only_answerer, memo_answerer
    from planner.evaluation import play_games, summarize
    from planner.table import atomic_write
    from play import load_game

    tables = args.table or [str(ROOT / "build" / "default"), str(ROOT / "tables" / "example")]
    sets = keyword_sets(args.in_bank, args.holdout, args.seed, args.path_public)
    if args.holdout_only:
        sets = {k: v for k, v in sets.items() if k == "hold-out"}
    sets = {k: v for k, v in sets.items() if v}          # --holdout 0: the in-bank set alone
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    memo_path = Path(args.memo) if args.memo else out / "answers.csv"
    seed_memo(memo_path, args.seed_memo, Path(args.model).name, args.prompt)
    answerer = memo_answerer(llm_only_answerer(args.model, prompt=args.prompt, num_threads=args.threads),
                             memo_path, Path(args.model).name, args.prompt)
    d = Config(root=ROOT)
    rule = d.refine_rule if args.refine_rule is None else args.refine_rule
    top = d.with_(refine_rule=rule).refine_keywords() if args.refine_top is None else args.refine_top
    cells = REFINE_CELLS_ON if args.refine_cells is None else args.refine_cells
    turns = d.refine_turns if args.refine_turns is None else args.refine_turns
    modes = {"off": [False], "on": [True], "both": [False, True]}[args.refine]
    frames, rows, scorers, played = [], [], {}, {}
    t0 = time.perf_counter()
    for tdir in tables:
        table, tree, types = load_game(tdir)
        for refine in modes:
            refiner = make_refiner(table, args.model, args.threads, top, cells, scorers, rule, turns) if refine else None
            if refine and refiner is None:
                print(f"{tdir}: no refine spec in its meta; played without refinement", flush=True)
                continue
            label = f"{tdir} +refine:{rule} {top}/{cells}/{turns}" if refiner is not None else tdir
            played[label] = table
            for name, kws in sets.items():
                t1 = time.perf_counter()
                df = play_games(table, "q20", answerer, kws, tree=tree, types=types, seed=args.seed, refiner=refiner)
                df.insert(0, "keywords", name)
                df.insert(0, "table", label)
                frames.append(df)
                rows.append({"table": label, "K": table.K, "Q": table.Q, "keywords": name, **summarize(df),
                             "refined_cells": float(df["refined_cells"].mean()),
                             "refine_llm_s": round(refiner.measure.seconds_, 1) if refiner is not None else 0.0,
                             "seconds": round(time.perf_counter() - t1, 1)})
                print(json.dumps({**rows[-1], "llm_answers": answerer.counts["llm"],
                                  "memo_answers": answerer.counts["memo"]}), flush=True)
                games = pd.concat(frames, ignore_index=True)
                atomic_write(out / "games.csv", lambda f: games.to_csv(f, index=False))   # after every group
    lists = list_rates(games, played)
    summary = {"prompt": args.prompt, "model": str(args.model), "seed": args.seed, "results": rows, "list_weighted": lists,
               "llm_answers": answerer.counts["llm"], "memo_answers": answerer.counts["memo"], "memo": str(memo_path),
               "seconds": round(time.perf_counter() - t0, 1)}
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    write_page(Path(args.page) if args.page else out / "results_live.md", games, rows, args, lists)
    return summary


def list_rates(games, played: dict) -> dict:
    """{label: tables.measured.list_weighted} for every table whose games hold both things it
    measured and the hold-out; the others are left out, each with a line saying why."""
    from tables import bank_sources as bs
    from tables.measured import list_weighted

    out = {}
    for label, table in played.items():
        try:
            out[label] = list_weighted(games, table, label, bs.read_holdout())
        except ValueError as e:
            print(f"list-weighted rate of {label} left out: {e}", flush=True)
    return out


def seed_memo(memo_path: Path, games_files, model: str, prompt: str) -> None:
    """Append to the memo the replies in earlier runs' transcripts (games.csv files played with
    this model and prompt) that it does not hold yet."""
    import pandas as pd

    from agent.harness import memo_answerer, memo_rows_from_games, read_memo

    if not games_files:
        return
    have = read_memo(memo_path, model, prompt)
    known = {}
    for f in games_files:
        for kw, q, a in memo_rows_from_games(pd.read_csv(f)):
            known.setdefault((kw, q), a)
    todo = {k: a for k, a in known.items() if k not in have}
    add = memo_answerer(lambda kw, q: todo[(kw, q)], memo_path, model, prompt)
    for kw, q in todo:
        add(kw, q)
    print(f"memo {memo_path}: {len(have)} replies held, {len(todo)} added from {len(games_files)} games file(s)", flush=True)


def write_page(path: Path, games, rows, args, lists=None) -> None:
    lines = ["# Live games against an LLM answerer the bank never saw", "",
             "Written by", "", "    " + " ".join(["python", "scripts/live_eval.py", *map(shlex.quote, sys.argv[1:])]), "",
             f"Answerer: `{Path(args.model).name}` with the `{args.prompt}` prompt, answering every question itself "
             "(letters included, no code, no table); the answer bank was built with other prompts. "
             "Guesser: q20 on each table, every table on the same answers (one memo of the answerer's replies). "
             f"Seed {args.seed}.", "",
             "| table | keywords | games | solved <= 20 | mean winning round | outside universe | cells measured a game | errors |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| `{r['table']}` ({r['K']} x {r['Q']}) | {r['keywords']} | {r['games']} | {r['solve_rate_20']:.1%} | "
                     f"{r['mean_round_solved']:.2f} | {r['outside_universe']:.1%} | {r.get('refined_cells', 0):.1f} | {r['errors']} |")
    if lists:
        lines += ["", "## A list nobody tuned for", "",
                  "The things a table measured (bank rows, path cells) solve at m, the hold-out at h; a list written "
                  "elsewhere lies a share w inside the measured top of the prior (the hold-out's share, each thing "
                  "counted by how many of its prior neighbours the table measured), so it solves at about "
                  "w m + (1 - w) h (planner/list_weight.py, docs/default_table.md section 27).", "",
                  "| table | w | measured things solved (m) | hold-out solved (h) | list-weighted |", "|---|---|---|---|---|"]
        for label, d in lists.items():
            lines.append(f"| `{label}` | {d['w']:.3f} | {d['m']:.1%} of {d['n_m']} | {d['h']:.1%} of {d['n_h']} | "
                         f"**{d['rate']:.1%}** |")
    lines += ["", "## Transcripts", ""]
    for (tdir, name), df in games.groupby(["table", "keywords"], sort=False):
        for _, g in df.head(args.transcripts).iterrows():
            res = f"solved in round {int(g['round'])}" if g["solved"] else "not solved"
            lines += [f"**{g['keyword']}** (`{tdir}`, {name}): {res}", ""]
            lines += [f"    {t}" for t in str(g["transcript"]).split(" || ")] + [""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(make_parser().parse_args())
