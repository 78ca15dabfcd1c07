"""Evaluate guessers against answerers on a keyword list: the project's scoreboard.

    python scripts/evaluate.py --keywords FILE --guesser q20 --guesser hard --answerer flip:0.1 \\
        [--table DIR] [--tree FILE] [--games-per-keyword N] [--seed S] [--jobs J] [--out DIR] [--json]

--keywords: one keyword per line (``keyword|alt|alt`` gives alternative spellings; "#" starts a
comment); "public" means the 579 public things of kaggle-environments. Guessers: q20, greedy,
hard, random (several put side by side on the same answers). Answerers: exact, flip:E,
table:DIR, llm[:MODEL_DIR] (the agent's own answerer, live). --referee plays q20 through the
real kaggle-environments referee instead (agent/main.py's Agent as guesser, its answerer,
flipped for flip:E), as a check; its "seconds" column is then the whole game's wall time.
Writes OUT/games.csv, OUT/summary.json and OUT/solve_curve.png.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--keywords", required=True,
                   help="file with one keyword per line, 'public' (the public things) or 'holdout' (the development hold-out)")
    p.add_argument("--guesser", action="append", choices=["q20", "greedy", "hard", "random"], help="repeatable")
    p.add_argument("--answerer", action="append", help="exact | flip:E | table:DIR | llm[:MODEL_DIR] (our answerer: code, then the LLM) | "
                        "llm-only[:MODEL_DIR] (the LLM answers everything, letters included); repeatable")
    p.add_argument("--answerer-prompt", default="sys_sub",
                   help="prompt of the llm-only answerer (tables.prompts.PROMPTS; 'kaggle' was never used to build the bank)")
    p.add_argument("--types", default="auto", help="answerer types of the guesser: auto (TABLE/types.npz if present), none, or a file")
    p.add_argument("--table", default=str(ROOT / "tables" / "example"))
    p.add_argument("--tree", help="q20's tree (default: TABLE/tree.npz if it fits, else fitted now)")
    p.add_argument("--min-mass", type=float, default=1e-5, help="min-mass of a tree fitted now")
    p.add_argument("--sample", type=int, help="play a seeded random sample of this many keywords")
    p.add_argument("--games-per-keyword", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=1, help="parallel workers (joblib) over keyword chunks")
    p.add_argument("--out", default=str(ROOT / "out" / "eval"))
    p.add_argument("--referee", action="store_true",
                   help="play q20 (the agent of agent/main.py) through the real kaggle-environments referee")
    p.add_argument("--transcripts", action="store_true", help="keep each game's questions, answers and guesses in games.csv")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def referee_games(table_dir, tree, keywords, spec: str, seed: int):
    """Games through the real referee: our agent guesses, the agent's answerer answers.

    spec: exact (table answers), flip:E (those, flipped with probability E) or llm[:MODEL]
    (code then LLM, no table). The other team is passive. Returns a games DataFrame.
    """
    import tempfile

    import numpy as np
    import pandas as pd

    from agent.config import Config
    from agent.core import Agent
    from agent.referee import FlipAnswerer, passive_answerer, passive_guesser, play_game
    from planner.matching import GuessIndex

    tmp = Path(tempfile.mkdtemp(prefix="q20-referee-"))
    tree_path = tree.save(tmp / "tree.npz")
    from planner.table import load_table
    table = load_table(table_dir)
    gi = GuessIndex(table.names, table.keywords["alts"])
    model = None
    if spec == "llm" or spec.startswith("llm:"):
        model = Path(spec.split(":", 1)[1]) if ":" in spec else ROOT / "models" / "qwen1.5b"
    flip = float(spec.split(":", 1)[1]) if spec.startswith("flip:") else 0.0
    if not (spec == "exact" or spec.startswith("flip:") or model):
        raise SystemExit(f"--referee supports exact, flip:E and llm[:MODEL], not {spec!r}")
    guesser = Agent(Config(root=tmp, table=Path(table_dir), tree=tree_path, model=None))
    inner = Agent(Config(root=tmp, table=Path(table_dir), tree=tree_path, model=model, table_answers=model is None))
    answerer = FlipAnswerer(inner, flip, seed=seed) if flip else inner
    rows = []
    for word, alts in keywords:
        t0 = time.perf_counter()
        r = play_game({"keyword": word, "alts": alts, "category": "things"},
                      [guesser, answerer, passive_guesser, passive_answerer])
        rows.append({"keyword": word, "game": 0, "in_universe": bool(gi.matches(word)), "answerable": True,
                     "solved": r.solved, "round": r.round if r.solved else np.nan, "guesses": "|".join(r.guesses),
                     "rounds_played": len(r.guesses), "off_tree_moves": 0,
                     "errors": len([e for e in r.errors if e in (0, 1)]), "seconds": time.perf_counter() - t0})
    return pd.DataFrame(rows)


def read_keywords(spec: str) -> list[tuple[str, list[str]]]:
    """(keyword, alts) pairs from a file, the public list for 'public', the development hold-out
    (tables/holdout_public.csv: public things never in the answer bank) for 'holdout'."""
    if spec == "public":
        from tables.universe import kaggle_file, read_kaggle_keywords
        return [(kw, alts) for _, kw, alts in read_kaggle_keywords(kaggle_file())]
    if spec == "holdout":
        from tables.bank_sources import read_holdout
        return [(kw, []) for kw in read_holdout()]
    path = Path(spec)
    if not path.exists():
        raise SystemExit(f"{path}: file not found")
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [s.strip() for s in line.split("|")]
        if not parts[0]:
            raise SystemExit(f"{path}: line {n}: empty keyword in {line!r}")
        out.append((parts[0], [a for a in parts[1:] if a]))
    if not out:
        raise SystemExit(f"{path}: no keywords")
    return out


def make_answerer(spec: str, table, types=None, prompt: str = "sys_sub"):
    """An answerer for a spec. ``exact`` with answerer types: the exact (code) type's answers,
    i.e. letter questions by code and every other question by the table, rounded to yes/no."""
    from planner.evaluation import TableAnswerer, table_answerer
    from planner.table import load_table
    if spec == "llm" or spec.startswith("llm:"):
        from agent.harness import llm_answerer
        return llm_answerer(spec.split(":", 1)[1] if ":" in spec else None)
    if spec == "llm-only" or spec.startswith("llm-only:"):
        from agent.harness import llm_only_answerer
        return llm_only_answerer(spec.split(":", 1)[1] if ":" in spec else None, prompt=prompt)
    if spec == "exact" and types is not None and "exact" in types.names:
        import numpy as np
        A = types.matrix(table, types.names.index("exact"))
        return TableAnswerer((A >= 0.5).astype(np.float32), "exact")
    return table_answerer(spec, table, load_table=load_table)


def _chunk_play(table, guesser, spec, keywords, tree, kw, answerer=None):
    from planner.evaluation import play_games
    return play_games(table, guesser, answerer or make_answerer(spec, table, kw.get("types")), keywords, tree=tree, **kw)


def main(args) -> dict:
    import pandas as pd

    from planner.evaluation import summarize
    from planner.plots import plot_game_curves

    guessers = args.guesser or ["q20"]
    answerers = args.answerer or ["flip:0.1"]
    sys.path.insert(0, str(ROOT / "scripts"))
    from play import load_game
    t0 = time.perf_counter()
    table, tree, types = load_game(args.table, args.tree, min_mass=args.min_mass, types=args.types)
    keywords = read_keywords(args.keywords)
    if args.sample and args.sample < len(keywords):
        import numpy as np
        pick = np.sort(np.random.default_rng(args.seed).choice(len(keywords), args.sample, replace=False))
        keywords = [keywords[i] for i in pick]
    kw = dict(games_per_keyword=args.games_per_keyword, seed=args.seed, types=types)
    frames = []
    if args.referee:
        if guessers != ["q20"]:
            raise SystemExit("--referee plays the agent, i.e. guesser q20 only")
        for spec in answerers:
            t1 = time.perf_counter()
            df = referee_games(args.table, tree, keywords, spec, args.seed)
            df.insert(0, "answerer", f"referee:{spec}"); df.insert(0, "guesser", "q20")
            df["wall_seconds"] = time.perf_counter() - t1
            frames.append(df)
        answerers = []
    for spec in answerers:
        parallel = args.jobs > 1 and not spec.startswith("llm")
        answerer = None if parallel else make_answerer(spec, table, types, args.answerer_prompt)  # one model load
        for g in guessers:
            t1 = time.perf_counter()
            if parallel:
                from joblib import Parallel, delayed
                chunks = [keywords[i::args.jobs] for i in range(args.jobs)]
                parts = Parallel(n_jobs=args.jobs)(delayed(_chunk_play)(table, g, spec, c, tree, kw) for c in chunks)
                df = pd.concat(parts, ignore_index=True)
            else:
                df = _chunk_play(table, g, spec, keywords, tree, kw, answerer)
            df.insert(0, "answerer", spec); df.insert(0, "guesser", g)
            df["wall_seconds"] = time.perf_counter() - t1
            frames.append(df)
    games = pd.concat(frames, ignore_index=True)
    rows = []
    for (g, a), df in games.groupby(["guesser", "answerer"], sort=False):
        rows.append({"guesser": g, "answerer": a, **summarize(df), "wall_seconds": float(df["wall_seconds"].iloc[0])})
    out = {"keywords": len(keywords), "table": str(args.table), "table_hash": table.hash, "K": table.K, "Q": table.Q,
           "seed": args.seed, "results": rows, "seconds": time.perf_counter() - t0}
    if len(rows) == 1:
        out.update({k: rows[0][k] for k in ("games", "solve_rate_20", "mean_round_solved", "outside_universe", "errors")})
    d = Path(args.out); d.mkdir(parents=True, exist_ok=True)
    drop = ["wall_seconds"] + ([] if args.transcripts or "transcript" not in games else ["transcript"])
    games.drop(columns=drop).to_csv(d / "games.csv", index=False)
    (d / "summary.json").write_text(json.dumps(out, indent=1))
    plot_game_curves(games, d / "solve_curve.png")
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{len(keywords)} keywords x {args.games_per_keyword} game(s); table {table.K} x {table.Q}; "
              f"outside universe: {rows[0]['outside_universe']:.1%}")
        print(f"{'guesser':8s} {'answerer':12s} {'solved<=20':>10s} {'mean win':>9s} {'median':>7s} {'errors':>6s} {'ms/move':>8s}")
        for r in rows:
            print(f"{r['guesser']:8s} {r['answerer']:12s} {r['solve_rate_20']:10.1%} {r['mean_round_solved']:9.2f} "
                  f"{r['median_round_solved']:7.1f} {r['errors']:6d} {r['mean_move_ms']:8.3f}")
        print(f"wrote {d / 'games.csv'}, {d / 'summary.json'}, {d / 'solve_curve.png'} in {out['seconds']:.1f} s")
    return out


if __name__ == "__main__":
    main(make_parser().parse_args())
