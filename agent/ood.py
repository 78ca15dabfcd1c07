"""Out-of-universe detection: are the answers implausible for every likely table keyword?

The rule (all in nats). For a candidate keyword k and the n answered table questions, the
table gives p_j = P(yes | k, q_j). The opponent's answerer is modelled as flipping each
answer with probability e on top of that (``Config.answer_noise``), so it says yes with
p'_j = (1 - e) p_j + e (1 - p_j). The answers' log-likelihood is

    ll_k = sum_j log p'_j  (yes)   or   log(1 - p'_j)  (no)

and, were k the keyword, ll_k would have mean  mu_k = -sum_j H(p'_j)  and variance
var_k = sum_j p'_j (1 - p'_j) log^2(p'_j / (1 - p'_j)). Its z-score is
z_k = (ll_k - mu_k) / sqrt(var_k). The rule fires when at least ``min_answers`` answers are in
and every one of the ``top`` most probable candidates (posterior, wrong guesses removed) has
z_k < z_threshold (default -3: each such candidate would need answers ~3 standard deviations
less likely than its own noise predicts). Example: 10 certain questions, e = 0.1: mu = -3.25,
sd = 2.08, and the rule needs 4 contradictions out of 10 for the best candidate.

Then the guesser stops trusting the table's guesses and asks the LLM.

Defaults (agent/config.py): e = 0.05, z < -2.5, >= 8 answers, top 20. Chosen with
``scripts/selfplay.py --table tables/example --games 50 --holdout 0.3 --ood-noise E``, which
reports for each threshold the games that would fire: at e = 0.05, z = -2.5 it fired in 0/37
table-keyword games and 5/13 held-out ones with our exact answerer, 2/37 and 7/13 with answers
flipped at 10%; e = 0.1, z = -3 never fired on held-out keywords. A held-out keyword whose
nearest table keywords contradict only one or two answers cannot be told from a table
keyword with one or two flipped answers: the rule is a late, conservative signal.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_TINY = 1e-9


@dataclass
class OodResult:
    """fired: the rule's verdict; best_z: the highest z among the top candidates; n: answers used."""
    fired: bool
    best_z: float
    n: int


def answer_zscores(P: np.ndarray, answers: np.ndarray, noise: float) -> np.ndarray:
    """z-scores of the answers' log-likelihood per candidate.

    P: (M, n) P(yes) of M candidates on the n answered questions; answers: (n,) bool.
    Returns (M,) float64; +inf-free (variance floored).

    >>> answer_zscores(np.array([[1.0, 1.0], [0.0, 0.0]]), np.array([True, True]), 0.1).round(2)
    array([ 0.47, -4.24])
    """
    p = np.clip((1 - noise) * P.astype(np.float64) + noise * (1 - P), _TINY, 1 - _TINY)
    a = np.asarray(answers, dtype=bool)[None, :]
    ll = np.where(a, np.log(p), np.log1p(-p)).sum(axis=1)
    mu = (p * np.log(p) + (1 - p) * np.log1p(-p)).sum(axis=1)
    var = (p * (1 - p) * np.log(p / (1 - p)) ** 2).sum(axis=1)
    return (ll - mu) / np.sqrt(var + 1e-6)


def out_of_universe(P: np.ndarray, belief: np.ndarray, qids, answers, *, noise: float = 0.1,
                    z_threshold: float = -3.0, min_answers: int = 8, top: int = 20) -> OodResult:
    """Apply the rule. P: (K, Q) table; belief: (K,) posterior; qids/answers: the history
    (entries with a None question or answer are skipped)."""
    pairs = [(q, a) for q, a in zip(qids, answers) if q is not None and a is not None]
    n = len(pairs)
    if n < min_answers or not np.any(belief > 0):
        return OodResult(False, float("nan"), n)
    cols = np.array([q for q, _ in pairs])
    ans = np.array([a for _, a in pairs], dtype=bool)
    k = min(top, int((belief > 0).sum()))
    cand = np.argpartition(-belief, k - 1)[:k]
    z = answer_zscores(np.asarray(P[cand][:, cols]), ans, noise)
    best = float(z.max())
    return OodResult(best < z_threshold, best, n)
