"""Question scores: expected information gain, and the even-split score of hard elimination.

Vectorized over all questions (and a batch of beliefs) as matrix products; no loop over
questions. Entropies are in bits.
"""
from __future__ import annotations

import numpy as np

_TINY = 1e-12


def binary_entropy(p: np.ndarray, chunk_rows: int = 4096) -> np.ndarray:
    """Elementwise H2(p) in bits, 0 at p in {0, 1}; same shape and float dtype as p.

    A 2-D input is processed in blocks of ``chunk_rows`` rows, so the temporaries stay small
    (a 118k x 3.3k table needs one output array, not five).
    """
    p = np.asarray(p)
    if p.ndim == 2 and p.shape[0] > chunk_rows:
        out = np.empty(p.shape, dtype=p.dtype if np.issubdtype(p.dtype, np.floating) else np.float64)
        for s in range(0, p.shape[0], chunk_rows):
            out[s:s + chunk_rows] = binary_entropy(p[s:s + chunk_rows])
        return out
    dt = p.dtype if np.issubdtype(p.dtype, np.floating) else np.float64
    q = np.clip(p.astype(dt, copy=False), _TINY, 1 - _TINY)
    h = -(q * np.log2(q) + (1 - q) * np.log2(1 - q))
    return np.where((p <= 0) | (p >= 1), 0, h).astype(dt, copy=False)


def information_gain(w: np.ndarray, L: np.ndarray, HL: np.ndarray | None = None) -> np.ndarray:
    """Expected information gain I(keyword; answer) of every question.

    w: (K,) or (B, K) normalized beliefs; L: (K, Q) P(yes | k, q); HL: (K, Q) = H2(L), optional
    precomputed. Returns (Q,) or (B, Q): H2(w @ L) - w @ H2(L), clipped at 0.

    Two keywords with L in {0, 1} differing on q and w = (.5, .5) give 1 bit; L = 0.5 gives 0.
    """
    if HL is None:
        HL = binary_entropy(L)
    w = np.asarray(w, dtype=L.dtype)
    p_yes = w @ L                       # (B, Q)
    cond = w @ HL                       # (B, Q)
    return np.maximum(binary_entropy(np.clip(p_yes, 0.0, 1.0)) - cond, 0.0)


def information_gain_naive(w: np.ndarray, L: np.ndarray) -> np.ndarray:
    """Reference: loop over questions, expected entropy drop of the posterior. w: (K,) -> (Q,)."""
    def H(v):
        v = v[v > 0]
        return float(-(v * np.log2(v)).sum())

    w = np.asarray(w, dtype=np.float64)
    out = np.zeros(L.shape[1])
    for q in range(L.shape[1]):
        col = L[:, q].astype(np.float64)
        py = float(w @ col)
        exp_h = 0.0
        for p_ans, lik in ((py, col), (1 - py, 1 - col)):
            if p_ans > 0:
                exp_h += p_ans * H(w * lik / p_ans)
        out[q] = H(w) - exp_h
    return out


def even_split_score(w: np.ndarray, L: np.ndarray) -> np.ndarray:
    """-|P(yes) - 1/2| of every question: 0 is a perfect halving. w: (K,) or (B, K) -> (Q,) or (B, Q)."""
    w = np.asarray(w, dtype=L.dtype)
    return -np.abs(w @ L - 0.5)
