"""Moves that need no table, no tree and no model: the last line of defence.

Used when the tree/table are missing or a component raised. The questions are generic and
the guesses are common things, so a game still goes on with valid moves.
"""
from __future__ import annotations

from planner.matching import normalize

QUESTIONS = (
    "Is it a living thing?", "Is it an animal?", "Is it a plant?", "Is it food or a drink?",
    "Is it a man-made object?", "Is it bigger than a person?", "Is it used indoors?",
    "Is it made of metal?", "Is it electronic?", "Is it used in a kitchen?", "Is it a tool?",
    "Is it a vehicle?", "Is it worn on the body?", "Is it found outdoors?", "Is it a place?",
    "Is it soft?", "Is it used for entertainment?", "Is it found in an office?",
    "Is it smaller than a shoebox?", "Is it made of wood?",
)
GUESSES = (
    "phone", "car", "dog", "apple", "chair", "book", "computer", "tree", "cat", "table",
    "water", "house", "bed", "shoe", "pen", "bottle", "clock", "bread", "flower", "television",
)


def question(asked: list[str]) -> str:
    """The first generic question not asked yet (cycling once they are all used)."""
    seen = set(asked)
    for q in QUESTIONS:
        if q not in seen:
            return q
    return QUESTIONS[len(asked) % len(QUESTIONS)]


def guess(guessed: list[str]) -> str:
    """The first common thing not guessed yet."""
    seen = {normalize(g) for g in guessed}
    for g in GUESSES:
        if normalize(g) not in seen:
            return g
    return GUESSES[len(guessed) % len(GUESSES)]
