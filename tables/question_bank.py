"""The question bank: natural yes/no questions (hand-written data) plus the knowledge questions kept.

``tables/questions/natural.csv`` (columns ``id,text,kind,topic``) holds the natural questions a
person would ask about a thing and most people would answer alike ("Is it made of metal?",
"Does it fit in a pocket?"); their ``kind`` is ``natural`` and ``topic`` one of :data:`TOPICS`.
The knowledge questions of the universe (``tables/universe/questions.csv``) join them as their
own kinds: ``spelling`` and ``alpha`` (exact answerers answer them by code) and the ``category``
questions listed in ``tables/questions/category.txt`` (those that measured well against an LLM).
``tables/questions/protocol.csv`` holds the ``handshake`` question of the "Agent Alpha" protocol
("Is it Agent Alpha?": a cooperating code answerer says yes, an LLM no); the planner asks it only
when its gain says so.

:func:`load_questions` reads and validates one file; :func:`question_bank` composes the bank.
Errors name the file, the row (1-based, header = row 1) and the value.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent
NATURAL = ROOT / "questions" / "natural.csv"
CATEGORY_IDS = ROOT / "questions" / "category.txt"
PROTOCOL = ROOT / "questions" / "protocol.csv"
UNIVERSE_QUESTIONS = ROOT / "universe" / "questions.csv"

KINDS = ("natural", "category", "spelling", "alpha", "place", "handshake")
TOPICS = ("what", "food", "animal", "life", "material", "size", "where", "use", "parts", "look", "misc")


class QuestionBankError(ValueError):
    """A question file with a bad row."""


def normalize_text(text: str) -> str:
    """Lower case, punctuation dropped, whitespace collapsed: two texts equal here are one question.

    >>> normalize_text("Is it  made of METAL?")
    'is it made of metal'
    """
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", str(text).lower()).split())


def load_questions(path, kinds=KINDS, topics=TOPICS) -> pd.DataFrame:
    """Read and validate a question CSV (``id,text,kind`` and optional ``topic``).

    Checks: the columns exist; no empty id or text; ids unique; texts unique after
    :func:`normalize_text`; kind in ``kinds``; a natural question has a topic in ``topics``,
    ends with "?", and has no brackets (plain English, no glosses).
    """
    p = Path(path)
    if not p.exists():
        raise QuestionBankError(f"{p}: file not found")
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    missing = [c for c in ("id", "text", "kind") if c not in df.columns]
    if missing:
        raise QuestionBankError(f"{p}: missing column(s) {missing}; has {list(df.columns)}")
    if "topic" not in df.columns:
        df["topic"] = ""
    seen_id, seen_text = {}, {}
    for i, r in enumerate(df.itertuples(index=False), start=2):
        where = f"{p}: row {i}"
        if not r.id.strip():
            raise QuestionBankError(f"{where}: empty id")
        if not r.text.strip():
            raise QuestionBankError(f"{where}: empty text (id {r.id!r})")
        if r.id in seen_id:
            raise QuestionBankError(f"{where}: duplicate id {r.id!r} (first at row {seen_id[r.id]})")
        norm = normalize_text(r.text)
        if norm in seen_text:
            raise QuestionBankError(f"{where}: text {r.text!r} repeats row {seen_text[norm]} after normalisation")
        if r.kind not in kinds:
            raise QuestionBankError(f"{where}: unknown kind {r.kind!r}; known: {list(kinds)}")
        if r.kind == "natural":
            if r.topic not in topics:
                raise QuestionBankError(f"{where}: unknown topic {r.topic!r} for {r.id!r}; known: {list(topics)}")
            if not r.text.rstrip().endswith("?"):
                raise QuestionBankError(f"{where}: question {r.text!r} does not end with '?'")
            if re.search(r"[()\[\]]", r.text):
                raise QuestionBankError(f"{where}: brackets in natural question {r.text!r}")
        seen_id[r.id], seen_text[norm] = i, i
    return df[["id", "text", "kind", "topic"]].reset_index(drop=True)


def read_id_list(path) -> list[str]:
    """Ids one a line; '#' starts a comment; blank lines skipped."""
    p = Path(path)
    if not p.exists():
        raise QuestionBankError(f"{p}: file not found")
    out = []
    for ln in p.read_text().splitlines():
        s = ln.split("#", 1)[0].strip()
        if s:
            out.append(s)
    return out


def question_bank(kinds=("natural", "category", "spelling", "alpha"), natural=None, universe_questions=None,
                  category_ids=None, protocol=None) -> pd.DataFrame:
    """The bank's questions of ``kinds``, natural first, as one validated frame (id, text, kind, topic).
    The files default to the module's NATURAL, UNIVERSE_QUESTIONS, CATEGORY_IDS and PROTOCOL.

    category: the universe questions whose ids ``category_ids`` lists (an id missing from the
    universe is an error naming it); spelling / alpha: all of the universe's.
    """
    natural = natural or NATURAL
    universe_questions = universe_questions or UNIVERSE_QUESTIONS
    category_ids = category_ids or CATEGORY_IDS
    protocol = protocol or PROTOCOL
    parts = []
    if "natural" in kinds:
        parts.append(load_questions(natural))
    if "handshake" in kinds:
        parts.append(load_questions(protocol))
    other = [k for k in kinds if k not in ("natural", "handshake")]
    if other:
        uq = load_questions(universe_questions)
        if "category" in other:
            ids = read_id_list(category_ids)
            known = set(uq["id"])
            bad = [q for q in ids if q not in known]
            if bad:
                raise QuestionBankError(f"{category_ids}: id {bad[0]!r} is not in {universe_questions}")
            cat = uq.set_index("id").loc[ids].reset_index()
            parts.append(cat.assign(kind="category"))
        parts += [uq[uq["kind"] == k] for k in other if k != "category"]
    bank = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["id", "text", "kind", "topic"])
    dup = bank["id"].duplicated()
    if dup.any():
        raise QuestionBankError(f"question bank: id {bank['id'][dup].iloc[0]!r} appears in two sources")
    norm = bank["text"].map(normalize_text)
    dup = norm.duplicated()
    if dup.any():
        raise QuestionBankError(f"question bank: text {bank['text'][dup].iloc[0]!r} appears twice")
    return bank.reset_index(drop=True)
