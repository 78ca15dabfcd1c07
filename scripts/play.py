"""Play 20 Questions against q20 in the terminal: think of a thing, answer y / n / ? (unsure).

    python scripts/play.py [--table DIR] [--tree FILE] [--show] [--feedback FILE]

Each round q20 asks a question and then guesses; confirm the guess with y or deny it with n.
When q20 fails it asks what the thing was; a game whose thing is in the table shows the
questions where your answers disagreed with the table and is appended to the feedback file
(JSON lines, format in docs/formats.md). Ctrl-C or end of input quits.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_TABLE = ROOT / "build" / "default"     # `make default` builds it from committed data
DEFAULT_FEEDBACK = ROOT / "out" / "feedback.jsonl"
ANSWERS = {"y": True, "yes": True, "n": False, "no": False, "?": None, "u": None, "unsure": None}


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--table", default=str(DEFAULT_TABLE), help="table directory (default: build/default, the answer-model table; tables/example is the small knowledge table)")
    p.add_argument("--tree", help="fitted tree (default: TABLE/tree.npz, else fitted now)")
    p.add_argument("--show", action="store_true", help="show the top 5 candidates and the bits of each answer")
    p.add_argument("--feedback", default=str(DEFAULT_FEEDBACK), help="JSON-lines file that failed games go to")
    p.add_argument("--rounds", type=int, default=20)
    return p


def load_game(table_dir, tree_path=None, min_mass=1e-4, types="auto"):
    """(table, tree, types): the answerer types of the table dir (TABLE/types.npz, or None), and
    the given tree, TABLE/tree.npz when it fits the table and types, else a fresh fit."""
    from planner.table import load_table
    from planner.tree import QuestionTree, TableMismatchError, load_tree
    from planner.types import table_types

    table = load_table(table_dir)
    ty = table_types(table_dir, table, types)
    path = Path(tree_path) if tree_path else Path(table_dir) / "tree.npz"
    if path.exists():
        try:
            tree = load_tree(path, table=table)
            tree.check_types(ty)
            return table, tree, ty
        except TableMismatchError:
            if tree_path:
                raise
    return table, QuestionTree(max_depth=20, min_mass=min_mass).fit(table, types=ty), ty


def ask(prompt: str, inp, out, choices=ANSWERS):
    """Prompt until the reply is one of ``choices``; EOFError when the input ends."""
    while True:
        out.write(prompt); out.flush()
        line = inp.readline()
        if not line:
            raise EOFError
        key = line.strip().lower()
        if key in choices:
            return choices[key]
        out.write("  please answer y (yes), n (no) or ? (unsure)\n")


def play(table, tree, inp, out, *, show=False, rounds=20, feedback=None, types=None) -> dict:
    """One game over the streams ``inp``/``out``. Returns the game record."""
    from planner.matching import GuessIndex
    from planner.session import Session
    from planner.walk import Walker

    s = Session(Walker(table, tree, types=types))
    out.write(f"Think of a thing or a place. I know {table.K} of them and have {rounds} rounds.\n")
    solved = None
    record_rounds = []
    for r in range(1, rounds + 1):
        q = s.next_question()
        a = ask(f"Q{r}: {s.question_text(q)} [y/n/?] ", inp, out)
        bits = s.answer(q, a)
        if show:
            out.write(f"  that answer gave {bits:+.2f} bits; top: " +
                      ", ".join(f"{n} {p:.1%}" for n, p in s.top(5)) + "\n")
        g = table.names[s.next_guess()]
        ok = ask(f"   My guess: {g}. Right? [y/n] ", inp, out, {"y": True, "yes": True, "n": False, "no": False})
        record_rounds.append({"question_id": str(table.questions["id"].iloc[q]), "question": s.question_text(q),
                              "answer": None if a is None else ("yes" if a else "no"), "guess": g})
        if ok:
            solved = r
            out.write(f"Got it in {r} round{'s' * (r > 1)}!\n")
            break
        s.wrong_guess(g)
    record = {"time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
              "table_hash": table.hash, "solved_round": solved, "rounds": record_rounds, "keyword": None,
              "in_universe": None, "disagreements": []}
    if solved is None:
        out.write("I give up. My best candidates were: " + ", ".join(f"{n} ({p:.1%})" for n, p in s.top(5)) + "\n")
        out.write("What was it? (empty to skip) "); out.flush()
        line = inp.readline()
        word = line.strip() if line else ""
        if word:
            hits = GuessIndex(table.names, table.keywords["alts"]).matches(word)
            record.update(keyword=word, in_universe=bool(hits))
            if hits:
                k = hits[0]
                dis = s.disagreements(k)
                record["disagreements"] = dis
                out.write(f"'{table.names[k]}' is in my table; your answers disagreed with it on {len(dis)} question(s):\n")
                for d in dis:
                    out.write(f"  {d['question']} you said {d['answer']}, table says P(yes)={d['table_p_yes']:.2f}\n")
            else:
                out.write(f"'{word}' is not among the things I know.\n")
            if feedback:
                append_feedback(feedback, record)
                out.write(f"Saved this game to {feedback}.\n")
    return record


def append_feedback(path, record: dict) -> None:
    """Append one JSON line (one write call, so a line is never half written by this process)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")


def main(args, inp=None, out=None) -> int:
    inp, out = inp or sys.stdin, out or sys.stdout
    if not Path(args.table).exists():
        raise SystemExit(f"{args.table}: no table there; `make default` builds the default one "
                         f"(or pass --table tables/example)")
    try:
        table, tree, types = load_game(args.table, args.tree)
        play(table, tree, inp, out, show=args.show, rounds=args.rounds, feedback=args.feedback, types=types)
    except (KeyboardInterrupt, EOFError):
        out.write("\nBye.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(make_parser().parse_args()))
