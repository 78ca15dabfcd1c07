"""Posterior over keywords: prior x product of answer likelihoods, wrong guesses removed.

All functions are pure. Weights are kept normalized after every step (rescaling), so no
underflow builds up over 20 answers.
"""
from __future__ import annotations

import numpy as np


def likelihood_matrix(P: np.ndarray, eps: float) -> np.ndarray:
    """P: (K, Q) -> (K, Q) float32 clipped to [eps, 1 - eps] (eps = 0 keeps hard zeros)."""
    if not 0.0 <= eps < 0.5:
        raise ValueError(f"eps must be in [0, 0.5), got {eps}")
    return np.clip(np.asarray(P, dtype=np.float32), eps, 1.0 - eps)


def normalize(w: np.ndarray) -> np.ndarray:
    """w: (..., K) nonnegative -> rows summing to 1; an all-zero row stays zero."""
    s = w.sum(axis=-1, keepdims=True)
    return np.divide(w, s, out=np.zeros_like(w), where=s > 0)


def update(w: np.ndarray, col: np.ndarray, answer: bool | None) -> np.ndarray:
    """Bayes update for one answer. w: (K,), col: (K,) = P(yes | k); None (unparsed) changes nothing.

    >>> update(np.array([.5, .5]), np.array([.9, .1]), True)
    array([0.9, 0.1])
    """
    if answer is None:
        return w
    lik = col if answer else 1.0 - col
    return normalize(w * lik)


def update_rows(W: np.ndarray, L: np.ndarray, questions: np.ndarray, yes: np.ndarray) -> np.ndarray:
    """Bayes update of a batch: W: (B, K) beliefs, L: (K, Q), questions: (B,), yes: (B,) bool -> (B, K).

    A row whose answer contradicts every keyword (possible only with hard likelihoods) keeps its
    belief, as :func:`posterior` does.
    """
    col = L[:, questions].T.astype(np.float64)                     # (B, K)
    Wn = W * np.where(np.asarray(yes, bool)[:, None], col, 1.0 - col)
    dead = Wn.sum(axis=1) <= 0
    Wn[dead] = W[dead]
    return normalize(Wn)


def remove(w: np.ndarray, idx) -> np.ndarray:
    """Zero the keywords in ``idx`` (a wrong guess and its referee-equivalents) and renormalize."""
    w = w.copy()
    w[list(idx)] = 0.0
    return normalize(w)


def posterior(prior: np.ndarray, L: np.ndarray, questions, answers, removed=()) -> np.ndarray:
    """The posterior after a whole history.

    prior: (K,); L: (K, Q) likelihoods; questions: column index or None per answered round;
    answers: True/False/None per round; removed: iterable of index lists (wrong guesses).
    If the answers contradict every keyword (possible only with eps = 0), the belief restarts
    from the prior without the removed keywords.
    """
    w = normalize(np.asarray(prior, dtype=np.float64))
    for q, a in zip(questions, answers):
        if q is None or a is None:
            continue
        w2 = update(w, L[:, q], a)
        w = w2 if w2.any() else w
    removed = [i for idx in removed for i in idx]
    if removed:
        w = remove(w, removed)
    return w
