"""A stand-in table for development: the public keywords x spelling questions.

The keywords are kaggle-environments' public "things" (read from its keywords.py as data,
without importing the package, which would pull torch); the questions are the spelling forms
agent.exact answers, and ``P`` is that exact answer softened to ``1 - noise`` / ``noise``.
Games against our own answerer are therefore consistent with the table: a test of the whole
pipeline (tree walk, referee, answer parsing, guess matching), not of world knowledge.

    from agent.spelling_table import public_keywords, spelling_table
    table = spelling_table(public_keywords())
"""
from __future__ import annotations

import ast
import importlib.util
import json
import re
import string
from pathlib import Path

import numpy as np


def keywords_file() -> Path:
    """kaggle-environments' llm_20_questions/keywords.py (raises if the package is absent)."""
    spec = importlib.util.find_spec("kaggle_environments")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("kaggle_environments is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "envs" / "llm_20_questions" / "keywords.py"


def public_keywords(path=None) -> list[dict]:
    """[{"keyword", "alts", "category"}] from keywords.py, in file order, first of each name kept."""
    tree = ast.parse(Path(path or keywords_file()).read_text())
    raw = next(n.value.value for n in tree.body if isinstance(n, ast.Assign)
               and any(getattr(t, "id", "") == "KEYWORDS_JSON" for t in n.targets))
    out, seen = [], set()
    for cat in json.loads(raw):
        for w in cat["words"]:
            if w["keyword"] not in seen:
                seen.add(w["keyword"])
                out.append({"keyword": w["keyword"], "alts": list(w.get("alts", [])), "category": cat["category"]})
    return out


def _letters(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())


def _words(name: str) -> int:
    return len(re.findall(r"[^\W_]+", name.lower()))


def spelling_questions(names) -> list[tuple[str, object]]:
    """(text, truth) pairs: alphabetical cuts at every name, first/last letter, letter ranges,
    words and length. ``truth(name) -> bool`` is the definition of agent/exact.py, written out
    directly (tests check that exact_answer agrees)."""
    cuts = sorted({n.strip().lower() for n in names})
    qs = [(f'Does the keyword (in lowercase) precede "{w}" in alphabetical order?',
           lambda n, w=w: n.strip().lower() < w) for w in cuts]
    qs += [(f"Does the keyword start with the letter {c.upper()}?", lambda n, c=c: _letters(n)[:1] == c)
           for c in string.ascii_lowercase]
    qs += [(f"Does the keyword end with the letter {c.upper()}?", lambda n, c=c: _letters(n)[-1:] == c)
           for c in string.ascii_lowercase]
    qs += [(f"Does the keyword start with a letter between {a.upper()} and {b.upper()}?",
            lambda n, a=a, b=b: a <= _letters(n)[:1] <= b)
           for a, b in (("a", "f"), ("g", "m"), ("n", "s"), ("t", "z"), ("a", "m"), ("n", "z"))]
    qs += [("Is the keyword one word?", lambda n: _words(n) == 1),
           ("Is the keyword two words?", lambda n: _words(n) == 2)]
    qs += [(f"Does the keyword have more than {k} letters?", lambda n, k=k: len(_letters(n)) > k)
           for k in range(3, 16)]
    return qs


def spelling_table(entries, noise: float = 0.02):
    """A planner Table over ``entries`` (public_keywords() rows) with spelling questions."""
    from planner.table import make_table

    names = [e["keyword"] for e in entries]
    qs = spelling_questions(names)
    F = np.array([[truth(n) for _, truth in qs] for n in names], dtype=bool)   # (K, Q)
    P = np.where(F, 1.0 - noise, noise).astype(np.float32)
    return make_table(names, P, questions=[t for t, _ in qs], alts=[e["alts"] for e in entries],
                      categories=[e["category"] for e in entries], kinds=["spelling"] * len(qs),
                      meta={"source": "agent.spelling_table", "noise": noise})


def write_spelling_files(out, entries=None, noise: float = 0.02):
    """Save the spelling table and its fitted tree under ``out``; returns (table_dir, tree_path)."""
    from planner.table import save_table
    from planner.tree import QuestionTree

    out = Path(out)
    table = spelling_table(public_keywords() if entries is None else entries, noise=noise)
    save_table(table, out / "table")
    QuestionTree().fit(table).save(out / "tree.npz")
    return out / "table", out / "tree.npz"
