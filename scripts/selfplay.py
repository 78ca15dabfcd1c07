"""Self-play through the real referee: our guesser with our answerer, and with a noisy one.

    python scripts/selfplay.py --table tables/example --tree TREE [--model models/smollm2] \
        [--games 50] [--flip 0.1] [--holdout 0.2] [--seed 0] [--json out.json]
    python scripts/selfplay.py --spelling --games 50        # stand-in table, no world knowledge

Keywords: a seeded sample of the public "things" of kaggle-environments. Team 1 is ours
(guesser + answerer), team 2 a passive pair that never wins, so team 1's result is its own.
Modes: "self" (our answerer), "flip" (our answerer, each answer flipped with probability
--flip). --kinds K.. restricts the guesser to questions of those kinds (e.g. "category", so
that the answerer's table lookup or LLM is exercised). --holdout F removes a fraction F of the played keywords from the guesser's table
(walked online, no tree), so that the out-of-universe rule can be measured on keywords it
cannot name; the answerer keeps the full table. Prints one line per game with -v and a
summary per mode: solve rate within 20, mean winning round, errors, slowest move,
first-move time, and how often the out-of-universe rule fired.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--table", help="table directory")
    src.add_argument("--spelling", action="store_true", help="public keywords x spelling questions (built here)")
    p.add_argument("--tree", help="tree file fitted on --table (default: walk online)")
    p.add_argument("--model", help="HF model directory for the LLM (answers off the table, final guesses)")
    p.add_argument("--games", type=int, default=50, help="keywords per mode")
    p.add_argument("--flip", type=float, default=0.1, help="flip probability of the noisy answerer (0: skip)")
    p.add_argument("--holdout", type=float, default=0.0, help="fraction of played keywords removed from the guesser's table")
    p.add_argument("--kinds", nargs="+", help="guesser asks only questions of these kinds (e.g. category); tree refitted")
    p.add_argument("--in-table", action="store_true", help="sample only public keywords that are in the table")
    p.add_argument("--no-table-answers", action="store_true", help="answerer: exact + LLM only")
    p.add_argument("--ood-noise", type=float, default=None, help="answer noise assumed by the out-of-universe rule")
    p.add_argument("--ood-z", type=float, default=None, help="z threshold of the out-of-universe rule")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="write the summary and per-game rows here")
    p.add_argument("-v", "--verbose", action="store_true", help="one line per game")
    return p


# --- set-up ---------------------------------------------------------------------------------

def pick_keywords(table, n: int, seed: int, in_table: bool) -> list[dict]:
    """A seeded sample of the public keywords (optionally only those the table can name)."""
    import numpy as np

    from agent.spelling_table import public_keywords
    from planner.matching import GuessIndex

    pool = public_keywords()
    if in_table:
        gi = GuessIndex(table.names, table.keywords["alts"])
        pool = [e for e in pool if gi.matches(e["keyword"])]
    idx = np.random.default_rng(seed).permutation(len(pool))[:n]
    return [pool[i] for i in idx]


def holdout_table(table, entries, frac: float, seed: int, out: Path):
    """Save ``table`` minus a seeded fraction of ``entries`` (by the referee rule); returns
    (path, set of held-out keywords)."""
    import numpy as np

    from planner.matching import GuessIndex
    from planner.table import make_table, save_table

    rng = np.random.default_rng(seed + 1)
    chosen = [e["keyword"] for e in entries if rng.random() < frac]
    gi = GuessIndex(table.names, table.keywords["alts"])
    drop = sorted({i for k in chosen for i in gi.matches(k)})
    keep = np.setdiff1d(np.arange(table.K), drop)
    kw = table.keywords.iloc[keep]
    t = make_table(kw["keyword"].tolist(), table.P[keep], prior=kw["prior"].to_numpy(),
                   questions=table.questions["text"].tolist(), alts=kw["alts"].tolist(),
                   categories=kw["category"].tolist(), kinds=table.questions["kind"].tolist(),
                   meta={"source": "holdout", "dropped": len(drop)})
    save_table(t, out / "holdout_table")
    return out / "holdout_table", set(chosen)


def kinds_table(table, kinds, out: Path):
    """Save ``table`` restricted to questions of ``kinds`` and fit its tree; returns (dir, tree)."""
    from planner.table import make_table, save_table
    from planner.tree import QuestionTree

    cols = [j for j, k in enumerate(table.questions["kind"]) if k in set(kinds)]
    if not cols:
        raise SystemExit(f"no questions of kinds {kinds}; the table has {sorted(set(table.questions['kind']))}")
    kw, qs = table.keywords, table.questions.iloc[cols]
    t = make_table(kw["keyword"].tolist(), table.P[:, cols], prior=kw["prior"].to_numpy(),
                   questions=qs["text"].tolist(), alts=kw["alts"].tolist(), categories=kw["category"].tolist(),
                   kinds=qs["kind"].tolist(), meta={"source": "kinds", "kinds": list(kinds)})
    save_table(t, out / "kinds_table")
    QuestionTree().fit(t).save(out / "kinds_tree.npz")
    return out / "kinds_table", out / "kinds_tree.npz"


# --- playing --------------------------------------------------------------------------------

def play_mode(name, entries, guesser, answerer, held: set, verbose: bool) -> dict:
    """Play every entry with team 1 = (guesser, answerer); summary + rows."""
    from agent.referee import passive_answerer, passive_guesser, play_game

    rows = []
    for e in entries:
        before, t0 = guesser.counts(), time.perf_counter()
        r = play_game(e, [guesser, answerer, passive_guesser, passive_answerer])
        rows.append(game_row(e, r, before, guesser.counts(), e["keyword"] in held, time.perf_counter() - t0))
        if verbose:
            w = rows[-1]
            print(f"  [{name}] {e['keyword']!r:28} {'solved r%-2d' % r.round if r.solved else 'unsolved':11} "
                  f"ood_turns={w['ood_turns']} min_z={w['min_z']} llm={w['llm_guesses']} errors={r.errors} "
                  f"last={w['last_guess']!r}", flush=True)
    return summarize(name, rows)


def game_row(e, r, before: dict, after: dict, held_out: bool, seconds: float) -> dict:
    """One game's row: result, out-of-universe turns and z-scores, LLM use, move times."""
    zs = after["z"][len(before["z"]):]
    delta = {k: after["guess"].get(k, 0) - before["guess"].get(k, 0) for k in ("ood", "llm")}
    slow = ("LLM call exceeded", "LLM still loading", "still running")
    return {"keyword": e["keyword"], "held_out": held_out, "solved": r.solved, "round": r.round,
            "errors": r.errors, "ood_turns": delta["ood"], "llm_guesses": delta["llm"],
            "final_z": round(zs[-1], 2) if zs else None, "min_z": round(min(zs), 2) if zs else None,
            "llm_fallbacks": sum(m in t for t in r.stderr[0] for m in slow),
            "guesser_s": r.move_s[0], "answerer_s": r.move_s[1], "game_s": seconds,
            "last_guess": r.guesses[-1] if r.guesses else ""}


def summarize(name, rows) -> dict:
    """Solve rate, mean winning round, errors, timings and out-of-universe counts of a mode."""
    import numpy as np

    solved = [r for r in rows if r["solved"]]
    moves = [s for r in rows for s in r["guesser_s"] + r["answerer_s"]]
    in_rows = [r for r in rows if not r["held_out"]]
    out_rows = [r for r in rows if r["held_out"]]
    return {
        "mode": name, "games": len(rows), "solved": len(solved),
        "solve_rate": len(solved) / max(1, len(rows)),
        "mean_winning_round": float(np.mean([r["round"] for r in solved])) if solved else None,
        "referee_errors": sum(len(r["errors"]) for r in rows),
        "slowest_move_s": max(moves) if moves else None,
        "first_guesser_move_s": rows[0]["guesser_s"][0] if rows and rows[0]["guesser_s"] else None,
        "first_answerer_move_s": rows[0]["answerer_s"][0] if rows and rows[0]["answerer_s"] else None,
        "ood_fired_games_in_table": sum(r["ood_turns"] > 0 for r in in_rows), "in_table_games": len(in_rows),
        "ood_fired_games_held_out": sum(r["ood_turns"] > 0 for r in out_rows), "held_out_games": len(out_rows),
        "held_out_solved": sum(r["solved"] for r in out_rows),
        "median_final_z_in_table": _median([r["final_z"] for r in in_rows]),
        "median_final_z_held_out": _median([r["final_z"] for r in out_rows]),
        "fire_rate_by_z": {t: [sum(r["min_z"] is not None and r["min_z"] < t for r in rows_)
                               for rows_ in (in_rows, out_rows)] for t in (-1.5, -2.0, -2.5, -3.0, -3.5)},
        "llm_guesses": sum(r["llm_guesses"] for r in rows),
        "llm_guess_fallbacks": sum(r["llm_fallbacks"] for r in rows),
    }


def _median(xs):
    import numpy as np
    xs = [x for x in xs if x is not None]
    return float(np.median(xs)) if xs else None


def print_summary(s: dict, answer_counts: dict) -> None:
    mwr = f"{s['mean_winning_round']:.2f}" if s["mean_winning_round"] is not None else "-"
    print(f"[{s['mode']}] solved {s['solved']}/{s['games']} ({s['solve_rate']:.0%}) within 20; "
          f"mean winning round {mwr}; referee errors {s['referee_errors']}, agent exceptions {s['agent_exceptions']}")
    print(f"[{s['mode']}] slowest move {s['slowest_move_s']:.3f} s; first move: guesser {s['first_guesser_move_s']:.3f} s, "
          f"answerer {s['first_answerer_move_s']:.3f} s")
    print(f"[{s['mode']}] out-of-universe rule fired in {s['ood_fired_games_in_table']}/{s['in_table_games']} games "
          f"on table keywords, {s['ood_fired_games_held_out']}/{s['held_out_games']} held-out "
          f"(held-out solved {s['held_out_solved']}); median z at the last guess: table "
          f"{s['median_final_z_in_table']}, held-out {s['median_final_z_held_out']}; "
          f"games that would fire at z threshold t (table, held-out): {s['fire_rate_by_z']}; LLM guesses {s['llm_guesses']} "
          f"(LLM too slow or loading on {s['llm_guess_fallbacks']} turns); answers by source {answer_counts}")


def main(args) -> dict:
    from agent.config import Config
    from agent.core import Agent
    from agent.referee import FlipAnswerer
    from agent.spelling_table import write_spelling_files
    from planner.table import load_table

    tmp = Path(tempfile.mkdtemp(prefix="q20-selfplay-"))
    table_dir, tree = (write_spelling_files(tmp) if args.spelling else (Path(args.table), args.tree and Path(args.tree)))
    table = load_table(table_dir)
    if tree is not None:
        from planner.tree import load_tree
        load_tree(tree, table)              # refuse a stale tree here rather than walk online silently
    entries = pick_keywords(table, args.games, args.seed, args.in_table)
    held: set = set()
    guess_table, guess_tree = table_dir, tree
    if args.kinds:
        guess_table, guess_tree = kinds_table(table, args.kinds, tmp)
    if args.holdout > 0:
        guess_table, held = holdout_table(load_table(guess_table), entries, args.holdout, args.seed, tmp)
        guess_tree = None
    model = Path(args.model) if args.model else None
    cfg = Config(root=tmp, table=table_dir, tree=tree, model=model, table_answers=not args.no_table_answers)
    gcfg = cfg.with_(table=guess_table, tree=guess_tree)
    if args.ood_noise is not None:
        gcfg = gcfg.with_(answer_noise=args.ood_noise)
    if args.ood_z is not None:
        gcfg = gcfg.with_(ood_z=args.ood_z)
    print(f"table {table_dir} ({table.K} x {table.Q}), tree {guess_tree}, model {model}, "
          f"{len(entries)} keywords (seed {args.seed}), held out {len(held)}; out-of-universe rule: noise "
          f"{gcfg.answer_noise}, z < {gcfg.ood_z}, >= {gcfg.ood_min_answers} answers, top {gcfg.ood_top}", flush=True)
    out = {"args": vars(args), "modes": []}
    modes = [("self", None)] + ([("flip", args.flip)] if args.flip > 0 else [])
    for name, p in modes:
        guesser, answerer = Agent(gcfg), Agent(cfg)
        ans = answerer if p is None else FlipAnswerer(answerer, p, seed=args.seed)
        s = play_mode(name if p is None else f"flip {p}", entries, guesser, ans, held, args.verbose)
        s["agent_exceptions"] = guesser.stats["errors"] + answerer.stats["errors"]
        counts = answerer.counts()["answer"]
        print_summary(s, counts)
        out["modes"].append({**s, "answer_sources": counts})
    from agent.llm import join_all
    join_all()
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str))
    return out


if __name__ == "__main__":
    main(make_parser().parse_args())
