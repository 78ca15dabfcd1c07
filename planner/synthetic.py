"""Synthetic tables for tests and benchmarks.

Each keyword has hidden binary features F (K, Q); the table holds the softened
P = F (1 - e) + (1 - F) e, which is also exactly what a flip-e answerer produces.
"""
from __future__ import annotations

import numpy as np

from planner.table import Table, make_table


def make_synthetic(K: int, Q: int, noise: float = 0.05, seed: int = 0, prior_skew: float = 0.0,
                   rate_range: tuple[float, float] = (0.05, 0.5)) -> Table:
    """A random table. Question q says yes for a fraction r_q ~ U(rate_range) of keywords.

    prior_skew s > 0 gives a Zipf prior p(rank) ~ (rank + 1)^-s over a random order of keywords.
    """
    if K < 2 or Q < 1:
        raise ValueError(f"need K >= 2 and Q >= 1, got K={K}, Q={Q}")
    if not 0.0 <= noise < 0.5:
        raise ValueError(f"noise must be in [0, 0.5), got {noise}")
    rng = np.random.default_rng(seed)
    rates = rng.uniform(*rate_range, size=Q)
    F = rng.random((K, Q), dtype=np.float32) < rates.astype(np.float32)
    P = np.where(F, np.float32(1 - noise), np.float32(noise))
    prior = None
    if prior_skew > 0:
        prior = np.empty(K)
        prior[rng.permutation(K)] = (np.arange(K) + 1.0) ** -prior_skew
    names = [f"kw{i:06d}" for i in range(K)]
    return make_table(names, P, prior=prior,
                      meta={"source": "synthetic", "K": K, "Q": Q, "noise": noise, "seed": seed,
                            "prior_skew": prior_skew})


def make_halving(bits: int, noise: float = 0.0) -> Table:
    """K = 2**bits keywords and ``bits`` questions; question j asks for bit j of the index."""
    K = 2 ** bits
    F = (np.arange(K)[:, None] >> np.arange(bits)[None, :]) & 1
    P = np.where(F == 1, 1.0 - noise, noise).astype(np.float32)
    names = [f"kw{i:06d}" for i in range(K)]
    texts = [f"Is bit {j} of its number set?" for j in range(bits)]
    return make_table(names, P, questions=texts, meta={"source": "halving", "bits": bits, "noise": noise})
