"""The small committed example table: the Kaggle public "things" x a few hundred questions."""
from __future__ import annotations

import numpy as np
import pandas as pd

from tables import knowledge

EXAMPLE_QUOTAS = {"category": 0.6, "spelling": 0.25, "alpha": 0.15}


def split_entropy(F: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """(Q,) binary entropy (bits) of the prior mass on each question's yes side. F: (K, Q); prior: (K,)."""
    m = np.clip(prior @ F, 1e-12, 1 - 1e-12)
    return -(m * np.log2(m) + (1 - m) * np.log2(1 - m))


def pick_questions(qs: pd.DataFrame, F: np.ndarray, prior: np.ndarray, n: int, quotas=None) -> np.ndarray:
    """Sorted column indices: per kind, the ``quotas[kind] * n`` most even splits of the prior,
    then the most even of the rest until ``n`` (or every column) is taken."""
    quotas = quotas or EXAMPLE_QUOTAS
    ent = split_entropy(F, prior)
    out = []
    for kind, share in quotas.items():
        cols = np.flatnonzero(qs["kind"].to_numpy() == kind)
        cols = cols[np.argsort(-ent[cols], kind="stable")]
        out += cols[: int(round(share * n))].tolist()
    rest = [j for j in np.argsort(-ent, kind="stable") if j not in set(out)]
    out += rest[: max(0, n - len(out))]
    return np.array(sorted(out), dtype=int)


def example_table(wn, universe: pd.DataFrame, prior: np.ndarray, rows, n_questions: int = 300):
    """A planner Table of ``universe.iloc[rows]`` (prior renormalized) x ``n_questions`` knowledge questions."""
    from planner.table import Table

    sub = universe.iloc[rows].reset_index(drop=True)
    p = prior[rows] / prior[rows].sum()
    qs, F = knowledge.build_questions(wn, sub, p, n_alpha=63, min_category_count=3, min_count=3, min_mass=1e-3)
    cols = pick_questions(qs, F, p, n_questions)
    qs = qs.iloc[cols].reset_index(drop=True)
    P = knowledge.soften(np.ascontiguousarray(F[:, cols]), knowledge.noise_vector(qs))
    kw = pd.DataFrame({"keyword": sub["keyword"], "alts": sub["alts"], "category": sub["category"], "prior": p})
    meta = {"builder": "scripts/build_universe.py --example-out", "noise_defaults": knowledge.DEFAULT_NOISE,
            "description": "Kaggle public things (kaggle-environments 1.14.17) x knowledge questions"}
    return Table(kw, qs, P, meta=meta)
