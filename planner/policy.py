"""Question-choice policies: a belief model (likelihood matrix) plus a criterion.

A policy maps a batch of beliefs to the next question; the tree fitter, the online walk and
the simulator all call the same :meth:`Policy.choose`, so their choices agree. Registry::

    "entropy"  soft belief (table clipped to [eps, 1-eps]), max expected information gain (q20)
    "hard"     hard elimination on the table rounded to 0/1, most even split (13th place)
    "random"   soft belief, questions in a fixed random order (seeded)
"""
from __future__ import annotations

import numpy as np

from planner.belief import likelihood_matrix, normalize
from planner.gain import binary_entropy, even_split_score, information_gain
from planner.matching import GuessIndex

SCORE_TIE = 1e-5     # bits
GUESS_TIE = 1e-9     # relative


class Policy:
    """Belief model and criterion over one table. Subclasses define ``scores``."""

    name = "base"

    def __init__(self, table, eps: float = 1e-3, seed: int = 0):
        self.table = table
        self.eps = eps
        self.seed = seed
        self.prior = table.prior
        self.L = self._likelihood(table.P)
        self.guess_index = GuessIndex(table.names, table.keywords["alts"])
        self._equiv: dict[int, list[int]] = {}

    def _likelihood(self, P):
        return likelihood_matrix(P, self.eps)

    def scores(self, W: np.ndarray) -> np.ndarray:
        """W: (B, K) beliefs -> (B, Q) scores, higher is better."""
        raise NotImplementedError

    def choose(self, W: np.ndarray, asked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """W: (B, K); asked: (B, Q) bool. Returns (questions (B,), best scores (B,)).

        Already asked questions are excluded (a real answerer repeats its answer, so a repeat
        carries no information). Scores within SCORE_TIE of the best
        count as tied (float rounding differs between batch sizes); ties go to the lowest index.
        """
        W = np.atleast_2d(W)
        s = self.scores(W.astype(np.float32, copy=False))
        s = np.where(np.atleast_2d(asked), -np.inf, s)
        best = s.max(axis=1, keepdims=True)
        q = np.argmax(s >= best - SCORE_TIE, axis=1)
        return q, s[np.arange(len(q)), q]

    def equivalents(self, i: int) -> list[int]:
        """Keywords removed by a wrong guess of keyword i's name."""
        if i not in self._equiv:
            self._equiv[i] = self.guess_index.equivalents(i)
        return self._equiv[i]

    def guess(self, w: np.ndarray) -> int:
        """Most probable keyword; w: (K,). Ties (within relative GUESS_TIE) go to the lowest index."""
        return int(np.argmax(w >= w.max() * (1 - GUESS_TIE)))

    def initial_belief(self) -> np.ndarray:
        return normalize(np.asarray(self.prior, dtype=np.float64))


class EntropyPolicy(Policy):
    name = "entropy"

    def __init__(self, table, eps: float = 1e-3, seed: int = 0):
        super().__init__(table, eps, seed)
        self.HL = binary_entropy(self.L)

    def scores(self, W):
        return information_gain(W, self.L, self.HL)


class HardPolicy(Policy):
    name = "hard"

    def _likelihood(self, P):
        return (np.asarray(P) >= 0.5).astype(np.float32)

    def scores(self, W):
        return even_split_score(W, self.L)


class RandomPolicy(Policy):
    name = "random"

    def __init__(self, table, eps: float = 1e-3, seed: int = 0):
        super().__init__(table, eps, seed)
        self.order_score = np.random.default_rng(seed).random(table.Q).astype(np.float32)

    def scores(self, W):
        return np.broadcast_to(self.order_score, (W.shape[0], self.order_score.size))


POLICIES = {"entropy": EntropyPolicy, "hard": HardPolicy, "random": RandomPolicy}


def make_policy(criterion: str, table, eps: float = 1e-3, seed: int = 0) -> Policy:
    if criterion not in POLICIES:
        raise ValueError(f"unknown criterion {criterion!r}; choose from {sorted(POLICIES)}")
    return POLICIES[criterion](table, eps=eps, seed=seed)
