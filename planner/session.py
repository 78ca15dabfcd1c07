"""One game as the guesser, move by move: the state behind play.py and the agent.

Wraps a :class:`~planner.walk.Walker` with the history of one game and the quantities a person
wants to see: the top candidates and how much each answer told (bits).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def entropy_bits(w: np.ndarray) -> float:
    """H(w) in bits of a normalized (K,) vector."""
    p = w[w > 0]
    return float(-(p * np.log2(p)).sum())


@dataclass
class Session:
    """History of one game. questions: column ids; answers: True/False/None; guesses: strings."""

    walker: object
    questions: list = field(default_factory=list)
    answers: list = field(default_factory=list)
    guesses: list = field(default_factory=list)
    info_bits: list = field(default_factory=list)

    @property
    def round(self) -> int:
        return len(self.answers)

    def belief(self) -> np.ndarray:
        return self.walker.belief(self.questions, self.answers, self.guesses)

    def next_question(self) -> int:
        return self.walker.next_question(self.questions, self.answers, self.guesses).index

    def question_text(self, q: int) -> str:
        return str(self.walker.table.questions["text"].iloc[q])

    def answer(self, q: int, answer: bool | None) -> float:
        """Record the answer to question q; returns the bits it gave (entropy drop, may be < 0)."""
        before = entropy_bits(self.belief())
        self.questions.append(q)
        self.answers.append(answer)
        bits = before - entropy_bits(self.belief())
        self.info_bits.append(bits)
        return bits

    def next_guess(self) -> int:
        return self.walker.next_guess(self.questions, self.answers, self.guesses).index

    def wrong_guess(self, name: str) -> None:
        self.guesses.append(name)

    def top(self, n: int = 5) -> list[tuple[str, float]]:
        """The n most probable keywords (excluding wrong guesses) with their probabilities."""
        w = self.belief()
        idx = np.argsort(-w, kind="stable")[:n]
        names = self.walker.table.names
        return [(names[i], float(w[i])) for i in idx if w[i] > 0]

    def disagreements(self, keyword_index: int, threshold: float = 0.5) -> list[dict]:
        """Answered questions where the answer contradicts the table's row for ``keyword_index``."""
        P = self.walker.table.P
        out = []
        for q, a in zip(self.questions, self.answers):
            if a is None:
                continue
            p = float(P[keyword_index, q])
            if (a and p < threshold) or (not a and p > threshold):
                out.append({"question_id": str(self.walker.table.questions["id"].iloc[q]),
                            "question": self.question_text(q), "answer": "yes" if a else "no", "table_p_yes": p})
        return out
