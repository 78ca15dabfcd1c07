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


def keyword_groups(row_keyword: np.ndarray, n_types: int) -> np.ndarray:
    """Rows of each keyword, by type: (Kr, T) int, -1 where a keyword has no row of that type.

    row_keyword: (R,) keyword id of each hypothesis row, rows ordered type-major (a gathered
    subset of t * K + k keeps that order). Keywords appear in order of first occurrence.

    >>> keyword_groups(np.array([3, 5, 3]), 2).tolist()
    [[0, 2], [1, -1]]
    """
    row_keyword = np.asarray(row_keyword)
    uniq, first, inv = np.unique(row_keyword, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")                 # keywords by first occurrence
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[order] = np.arange(len(uniq))
    g = np.full((len(uniq), n_types), -1, dtype=np.int64)
    slot = np.zeros(len(uniq), dtype=np.int64)
    for r, k in enumerate(rank[inv]):
        g[k, slot[k]] = r
        slot[k] += 1
    return g


def _rows(idx: np.ndarray):
    """A run of consecutive row indices as a slice (a view, no gather), other index arrays as they are."""
    if len(idx) and idx[-1] - idx[0] == len(idx) - 1 and (np.diff(idx) == 1).all():
        return slice(int(idx[0]), int(idx[-1]) + 1)
    return idx


def keyword_information_gain(W: np.ndarray, L: np.ndarray, groups: np.ndarray,
                             chunk: int = 1 << 22) -> np.ndarray:
    """I(keyword; answer) of every question when hypotheses are (keyword, answerer type).

    W: (B, R) beliefs over hypothesis rows; L: (R, Q) P(yes | row); groups: (Kr, T) rows of each
    keyword (-1 = none, :func:`keyword_groups`). The answer model of keyword k is the mixture
    m_kq = sum_t W[t,k] L[t,k,q] / w_k with w_k = sum_t W[t,k], so

        I = H2(W @ L) - sum_k w_k H2(m_kq),

    computed in keyword chunks of at most ``chunk`` (B x keywords x Q) elements. With one type
    this is :func:`information_gain`. Returns (B, Q), clipped at 0.
    """
    Lf = np.asarray(L)
    dt = np.result_type(np.asarray(W).dtype, Lf.dtype, np.float32)   # float32 in, float32 work
    W = np.atleast_2d(np.asarray(W, dtype=dt))
    B, Q = W.shape[0], Lf.shape[1]
    if groups.shape[1] == 1 and (groups[:, 0] >= 0).all():
        return information_gain(W[:, groups[:, 0]], Lf[groups[:, 0]])
    p_yes = np.clip(W @ Lf.astype(dt, copy=False), 0.0, 1.0)        # (B, Q)
    cond = np.zeros((B, Q), dtype=dt)
    step = max(1, chunk // max(1, B * Q))
    complete = bool((groups >= 0).all())                            # every keyword has every type's row
    for s in range(0, len(groups), step):
        g = groups[s:s + step]                                      # (kc, T)
        if complete:                                                # plain sums, no masked scatter
            r = _rows(g[:, 0])
            wt = W[:, r]                                            # (B, kc)
            wk = wt.copy()
            num = wt[:, :, None] * Lf[r].astype(dt, copy=False)[None]
            tmp = np.empty_like(num) if g.shape[1] > 1 else None
            for t in range(1, g.shape[1]):
                r = _rows(g[:, t])
                wt = W[:, r]
                wk += wt
                num += np.multiply(wt[:, :, None], Lf[r].astype(dt, copy=False)[None], out=tmp)
        else:
            num = np.zeros((B, len(g), Q), dtype=dt)
            wk = np.zeros((B, len(g)), dtype=dt)
            for t in range(g.shape[1]):
                have = g[:, t] >= 0
                rows = g[have, t]
                wt = W[:, rows]                                     # (B, kh)
                wk[:, have] += wt
                num[:, have] += wt[:, :, None] * Lf[rows].astype(dt, copy=False)[None]
        # m = num / w_k in place; where w_k = 0 the keyword weighs 0 in the sum, so m is left at 0
        m = np.divide(num, wk[:, :, None], out=num, where=wk[:, :, None] > 0)
        cond += np.einsum("bk,bkq->bq", wk, binary_entropy(m))
    return np.maximum(binary_entropy(p_yes) - cond, 0.0)


def keyword_information_gain_naive(W: np.ndarray, L: np.ndarray, row_keyword: np.ndarray) -> np.ndarray:
    """Reference: loop over questions; the entropy drop of the keyword marginal. W: (R,) -> (Q,)."""
    def H(v):
        v = v[v > 0]
        return float(-(v * np.log2(v)).sum())

    W = np.asarray(W, dtype=np.float64)
    keys = np.unique(row_keyword)

    def marginal(v):
        return np.array([v[row_keyword == k].sum() for k in keys])

    out = np.zeros(L.shape[1])
    for q in range(L.shape[1]):
        col = L[:, q].astype(np.float64)
        py = float(W @ col)
        exp_h = 0.0
        for p_ans, lik in ((py, col), (1 - py, 1 - col)):
            if p_ans > 0:
                exp_h += p_ans * H(marginal(W * lik / p_ans))
        out[q] = H(marginal(W)) - exp_h
    return out


def top_mass(v: np.ndarray, n: int) -> np.ndarray:
    """Sum of the ``n`` largest entries along axis -2: v (..., M, Q) -> (..., Q)."""
    M = v.shape[-2]
    n = int(min(max(n, 1), M))
    if n == M:
        return v.sum(axis=-2)
    return np.partition(v, M - n, axis=-2)[..., M - n:, :].sum(axis=-2)


def top_mass_gain(w: np.ndarray, m: np.ndarray, n: int) -> np.ndarray:
    """Expected rise of the top-n keyword mass after each question's answer.

    w: (M,) keyword beliefs (a candidate subset is fine: keywords outside it are taken to stay
    outside the top n); m: (M, Q) P(yes | keyword, q) under the (mixed) answer model; n >= 1.
    After answer a the unnormalized posterior is w * m_a and its top-n mass, weighted by
    P(a), is the top-n sum of w * m_a itself, so

        gain_q = top_n(w * m[:, q]) + top_n(w * (1 - m[:, q])) - top_n(w)   >= 0

    (the top-n sum is convex in the belief). Returns (Q,).

    >>> top_mass_gain(np.array([.5, .3, .2]), np.array([[1.], [0.], [0.]]), 1).round(3).tolist()
    [0.3]
    """
    w = np.asarray(w, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    now = np.sort(w)[::-1][:max(n, 1)].sum()
    wm = w[:, None] * m
    return np.maximum(top_mass(wm, n) + top_mass(w[:, None] - wm, n) - now, 0.0)
