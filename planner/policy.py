"""Question-choice policies: a belief model (likelihood matrix) plus a criterion.

A policy maps a batch of beliefs to the next question; the tree fitter, the online walk and
the simulator all call the same :meth:`Policy.choose`, so their choices agree. Registry::

    "entropy"  soft belief (table clipped to [eps, 1-eps]), max expected information gain (q20)
    "hard"     hard elimination on the table rounded to 0/1, most even split (13th place)
    "random"   soft belief, questions in a fixed random order (seeded)
    "horizon"  "entropy" plus kappa x the expected rise of the top-n keyword mass, n = rounds left
               + 2^(c x rounds left) - 1 ("horizon:K[:C]" sets kappa = K bits per unit of mass,
               default 2, and c = C bits per round, default 0)
"""
from __future__ import annotations

from functools import cached_property

import numpy as np

from planner.belief import likelihood_matrix, normalize, posterior
from planner.gain import (binary_entropy, even_split_score, information_gain, keyword_groups, keyword_information_gain,
                          top_mass_gain)
from planner.matching import GuessIndex
from planner.types import single_type

SCORE_TIE = 1e-5     # bits
GUESS_TIE = 1e-9     # relative
SUPPORT_MASS = 1e-6  # belief mass a row may drop before scoring (keywords below SUPPORT_MASS / K)
GATHER_SHARE = 0.5   # score on a gathered row subset when the batch's support is below this share of K
GAME_ROUNDS = 20     # rounds in a game: "rounds left" counts down from here


def truncate(W: np.ndarray, mass: float = SUPPORT_MASS) -> tuple[np.ndarray, np.ndarray]:
    """Drop, per row, the keywords with weight below mass / K (at most ``mass`` in all), renormalize.

    W: (B, K) -> (Wt (B, R), rows (R,)): the batch's surviving keyword indices and the beliefs
    restricted to them. A row's result does not depend on the other rows of the batch.
    """
    keep = W >= mass / W.shape[1]
    rows = np.flatnonzero(keep.any(axis=0))
    return normalize(np.where(keep[:, rows], W[:, rows], 0.0)), rows


class Policy:
    """Belief model and criterion over one table. Subclasses define ``scores``.

    Hypotheses are (answerer type, keyword) pairs, row t * K + k (``types``: planner.types;
    default the table as the only type, so H = K and everything is per keyword). Beliefs,
    ``prior`` and ``L`` are over the H hypothesis rows; guesses and the analysis are per keyword
    (``keyword_prior``, :meth:`keyword_belief`, :meth:`equivalents`).
    """

    name = "base"

    def __init__(self, table, eps: float = 1e-3, seed: int = 0, types=None):
        self.table = table
        self.eps = eps
        self.seed = seed
        self.types = types if types is not None else single_type()
        self.types.check(table)
        self.T, self.K = self.types.T, table.K
        self.keyword_prior = table.prior
        self.prior = np.kron(self.types.prior, table.prior) if self.T > 1 else table.prior
        self.guess_index = GuessIndex(table.names, table.keywords["alts"])
        self._equiv: dict[int, list[int]] = {}

    @cached_property
    def L(self) -> np.ndarray:
        """(H, Q) float32 likelihood P(yes | hypothesis, q) of the belief model; built on first use."""
        return self._likelihood(self.types.stacked(self.table) if self.T > 1 else self.table.P)

    @cached_property
    def groups(self) -> np.ndarray:
        """(K, T) hypothesis rows of each keyword (:func:`planner.gain.keyword_groups`)."""
        return keyword_groups(np.arange(self.T * self.K) % self.K, self.T)

    def keyword_belief(self, w: np.ndarray) -> np.ndarray:
        """(..., H) joint belief -> (..., K) marginal over keywords."""
        w = np.asarray(w)
        return w if self.T == 1 else w.reshape(*w.shape[:-1], self.T, self.K).sum(axis=-2)

    def type_belief(self, w: np.ndarray) -> np.ndarray:
        """(..., H) joint belief -> (..., T) marginal over answerer types."""
        w = np.asarray(w)
        return w.reshape(*w.shape[:-1], self.T, self.K).sum(axis=-1)

    def _likelihood(self, P):
        return likelihood_matrix(P, self.eps)

    def scores(self, W: np.ndarray, rows: np.ndarray | None = None, rounds_left=None) -> np.ndarray:
        """W: (B, R) beliefs over hypothesis rows ``rows`` (default all H) -> (B, Q) scores, higher
        is better. rounds_left: (B,) rounds of the game left including the one being asked (only
        horizon-aware criteria use it)."""
        raise NotImplementedError

    def _rows(self, M: np.ndarray, rows):
        return M if rows is None else M[rows]

    def choose(self, W: np.ndarray, asked: np.ndarray, rounds_left=None) -> tuple[np.ndarray, np.ndarray]:
        """W: (B, H); asked: (B, Q) bool; rounds_left: (B,) or None (= a whole game). Returns
        (questions (B,), best scores (B,)).

        Already asked questions are excluded (a real answerer repeats its answer, so a repeat
        carries no information). Scores within SCORE_TIE of the best
        count as tied (float rounding differs between batch sizes); ties go to the lowest index.
        Beliefs are truncated first (:func:`truncate`): deep in a game the product over a few
        thousand surviving keywords replaces the one over all K.
        """
        W = np.atleast_2d(W)
        Wt, rows = truncate(np.asarray(W, dtype=np.float64))
        if len(rows) > GATHER_SHARE * W.shape[1]:               # most rows survive: no gather
            full = np.zeros(W.shape, dtype=np.float32)
            full[:, rows] = Wt
            Wt, rows = full, None
        s = self.scores(Wt.astype(np.float32, copy=False), rows, rounds_left=rounds_left)
        s = np.where(np.atleast_2d(asked), -np.inf, s)
        best = s.max(axis=1, keepdims=True)
        q = np.argmax(s >= best - SCORE_TIE, axis=1)
        return q, s[np.arange(len(q)), q]

    def equivalents(self, i: int) -> list[int]:
        """Keywords removed by a wrong guess of keyword i's name."""
        if i not in self._equiv:
            self._equiv[i] = self.guess_index.equivalents(i)
        return self._equiv[i]

    def rows(self, keywords) -> list[int]:
        """Hypothesis rows of some keywords (every type's)."""
        keywords = list(keywords)
        return keywords if self.T == 1 else [t * self.K + k for t in range(self.T) for k in keywords]

    def guess(self, w: np.ndarray) -> int:
        """Most probable keyword (summed over types); w: (H,). Ties (within relative GUESS_TIE) go
        to the lowest index."""
        w = self.keyword_belief(w)
        return int(np.argmax(w >= w.max() * (1 - GUESS_TIE)))

    def belief(self, questions, answers, guesses) -> np.ndarray:
        """(H,) joint posterior after a history (question columns, answers, guess strings), wrong
        guesses removed."""
        removed = [self.rows(self.guess_index.matches(str(g))) for g in guesses]
        return posterior(self.prior, self.L, questions, answers, removed)

    def initial_belief(self) -> np.ndarray:
        return normalize(np.asarray(self.prior, dtype=np.float64))


class EntropyPolicy(Policy):
    """Information about the keyword; with several answerer types, under the answer model mixed by
    the type posterior (:func:`planner.gain.keyword_information_gain`)."""

    name = "entropy"

    @cached_property
    def HL(self) -> np.ndarray:
        """(K, Q) H2(L), built on first use (a walk that stays on the tree never needs it)."""
        return binary_entropy(self.L)

    def scores(self, W, rows=None, rounds_left=None):
        if self.T == 1:
            return information_gain(W, self._rows(self.L, rows), self._rows(self.HL, rows))
        groups = self.groups if rows is None else keyword_groups(np.asarray(rows) % self.K, self.T)
        return keyword_information_gain(W, self._rows(self.L, rows), groups)


class HardPolicy(Policy):
    name = "hard"

    def _likelihood(self, P):
        return (np.asarray(P) >= 0.5).astype(np.float32)

    def scores(self, W, rows=None, rounds_left=None):
        return even_split_score(W, self._rows(self.L, rows))


class RandomPolicy(Policy):
    name = "random"

    def __init__(self, table, eps: float = 1e-3, seed: int = 0, types=None):
        super().__init__(table, eps, seed, types)
        self.order_score = np.random.default_rng(seed).random(table.Q).astype(np.float32)

    def scores(self, W, rows=None, rounds_left=None):
        return np.broadcast_to(self.order_score, (W.shape[0], self.order_score.size))


class HorizonPolicy(EntropyPolicy):
    """Horizon-aware: information about the keyword plus ``kappa`` times the expected rise of the
    probability that the keyword is among the n most probable, n = rounds left
    (:func:`planner.gain.top_mass_gain`, over the ``candidates`` most probable keywords).

    Early in a game the top-n mass barely moves and the information term decides; in the last
    rounds a question that makes the top few candidates likelier can beat the one that removes
    the most entropy. kappa converts probability mass into bits.
    """

    name = "horizon"

    def __init__(self, table, eps: float = 1e-3, seed: int = 0, types=None, kappa: float = 2.0,
                 bits_per_round: float = 0.0, candidates: int = 256):
        super().__init__(table, eps, seed, types)
        if not kappa >= 0:
            raise ValueError(f"kappa must be >= 0, got {kappa}")
        if not 0 <= bits_per_round <= 1:
            raise ValueError(f"bits per round must be in [0, 1], got {bits_per_round}")
        self.kappa, self.c, self.candidates = float(kappa), float(bits_per_round), int(candidates)

    def top_n(self, rounds_left: int) -> int:
        """Candidates the rounds left can still reach: one guess a round, plus 2^(c r) - 1 that
        c bits of information a round can tell apart (c = 0: n = rounds left)."""
        r = max(1, int(rounds_left))
        return int(r + 2.0 ** (self.c * r) - 1)

    def scores(self, W, rows=None, rounds_left=None):
        ig = super().scores(W, rows)
        if self.kappa == 0:
            return ig
        L = self._rows(self.L, rows)
        rk = (np.arange(W.shape[1]) if rows is None else np.asarray(rows)) % self.K
        groups = self.groups if rows is None else keyword_groups(rk, self.T)
        n = np.full(W.shape[0], GAME_ROUNDS) if rounds_left is None else np.broadcast_to(rounds_left, (W.shape[0],))
        out = np.array(ig, dtype=np.float64, copy=True)
        for b in range(W.shape[0]):
            wt = np.where(groups >= 0, W[b][np.maximum(groups, 0)], 0.0)      # (Kr, T)
            wk = wt.sum(axis=1)
            top = np.argsort(-wk, kind="stable")[:self.candidates]
            top = top[wk[top] > 0]
            if not len(top):
                continue
            g = groups[top]
            num = sum(wt[top, t][:, None] * np.where(g[:, t:t + 1] >= 0, L[np.maximum(g[:, t], 0)], 0.0)
                      for t in range(g.shape[1]))
            m = num / wk[top][:, None]                                         # (M, Q) mixed P(yes)
            out[b] += self.kappa * top_mass_gain(wk[top], m, self.top_n(n[b]))
        return out


POLICIES = {"entropy": EntropyPolicy, "hard": HardPolicy, "random": RandomPolicy, "horizon": HorizonPolicy}


def make_policy(criterion: str, table, eps: float = 1e-3, seed: int = 0, types=None) -> Policy:
    """``criterion``: a POLICIES name, optionally with a parameter after a colon ("horizon:4")."""
    name, _, arg = str(criterion).partition(":")
    if name not in POLICIES:
        raise ValueError(f"unknown criterion {criterion!r}; choose from {sorted(POLICIES)}")
    if arg:
        if name != "horizon":
            raise ValueError(f"criterion {name!r} takes no parameter (got {criterion!r})")
        kappa, _, c = arg.partition(":")
        return HorizonPolicy(table, eps=eps, seed=seed, types=types, kappa=float(kappa), bits_per_round=float(c or 0))
    return POLICIES[name](table, eps=eps, seed=seed, types=types)
