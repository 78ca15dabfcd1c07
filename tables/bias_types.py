"""Answerer types by yes-bias: what an LLM answerer *says*, not what is true.

The table's natural cells are calibrated on the hand-labelled check set: P(the true answer is
yes). An LLM answerer decodes greedily (yes when its yes-vs-no margin is positive) and small
LLMs say yes far more often than the truth does: the bank's main prompt says yes to 62% of its
cells while its calibrated cells average 0.24. A belief that reads every "yes" as P(truth) kills
the right keyword after a few biased answers.

Here each greedy LLM source the bank holds becomes an answerer type whose natural cells are the
table's cells passed through a Platt map fitted to that source's *greedy answers*
(:func:`fit_source_maps`), one map for bank cells and one for completion cells:

* bank cells: the table's cells from the *other* prompt styles (never the source's own, which
  would fit its threshold exactly), on the keywords both scored;
* completion cells: out-of-fold predictions of the completion model (:func:`oof_completion`, by
  keyword), on the source's keywords outside ``exclude`` (the development games' keywords, whose
  answerer must stay unseen).

The belief is joint over (type, keyword), so which bias a game faces its answers tell. A type
keeps its maps (``AnswererType.maps``): a cell measured during the game (planner/refine.py) or
predicted for a development keyword (tables/dev_games.py) is mapped the same way.

Pure numpy; banks, embeddings and the completion model class come from the caller.
"""
from __future__ import annotations

import numpy as np


def oof_completion(keywords, qids, sources, Z, zrow, Model, floor, folds: int = 5, seed: int = 0):
    """(keywords kept, (n, Q) float32 out-of-fold predictions clipped to [floor, 1 - floor]).

    ``keywords``: candidates (those with every question scored and an embedding are kept, in
    order); each fold's model is fitted on the other folds' calibrated bank cells (``sources``
    averaged), so no keyword's own answers predict it."""
    from tables.answer_table import bank_cells
    from tables.completion import keyword_folds

    kw = [k for k in keywords if k in zrow]
    S, _ = bank_cells(kw, qids, sources)
    full = ~np.isnan(S).any(axis=1)
    kw = [k for k, f in zip(kw, full) if f]
    X, Y = Z[[zrow[k] for k in kw]], S[full]
    out = np.zeros(Y.shape, dtype=np.float32)
    f = np.asarray(floor, dtype=np.float64)[None, :]
    for train, test in keyword_folds(len(kw), folds, seed=seed):
        m = Model(seed=seed).fit(X[train], Y[train])
        out[test] = np.clip(m.predict_proba(X[test]), f, 1 - f)
    return kw, out


def fit_source_maps(answers, table_sources, oof_kw, oof, qids, floor, exclude=()) -> dict:
    """Maps from the table's cells to one source's greedy answers.

    answers: the source's bank (``grid``); table_sources: [(bank, calibration)] the table's bank
    cells come from, minus the source itself; oof_kw / oof: :func:`oof_completion`'s output;
    floor (Q,): the table's per-question floor. Returns {"bank": Calibration | None,
    "completion": Calibration, "report": {...}} (bank None when no other source shares keywords).
    """
    from tables.answer_table import bank_cells
    from tables.reliability import fit_unseen_map, hard_answers

    lo, hi = np.asarray(floor)[None, :], 1 - np.asarray(floor)[None, :]
    out, rep = {"bank": None}, {"source": answers.source}
    shared = [k for k in answers.keywords if any(k in set(b.keywords) for b, _ in table_sources)]
    if shared and table_sources:
        S, n = bank_cells(shared, qids, table_sources)
        A = hard_answers(answers, shared, qids)
        A = np.where(n > 0, A, np.nan)
        out["bank"], rep["bank_cells"] = fit_unseen_map(np.clip(S, lo, hi), A)
        rep["bank_cells"]["keywords"] = len(shared)
    skip = set(exclude)
    rows = [i for i, k in enumerate(oof_kw) if k in set(answers.keywords) and k not in skip]
    if not rows:
        raise ValueError(f"source {answers.source!r}: none of its keywords has an out-of-fold prediction "
                         f"outside the {len(skip)} excluded keywords")
    kws = [oof_kw[i] for i in rows]
    out["completion"], rep["completion_cells"] = fit_unseen_map(oof[rows], hard_answers(answers, kws, qids))
    rep["completion_cells"]["keywords"] = len(kws)
    out["report"] = rep
    return out


def map_cells(P, origin, maps: dict, floor) -> np.ndarray:
    """(N, Q) float32: natural cells ``P`` through a type's maps ({"bank": (a, b), "completion":
    (a, b)}; the bank map where ``origin`` is 1, the completion map elsewhere and wherever no bank
    map was fitted), clipped to [floor_q, 1 - floor_q].

    >>> map_cells([[0.5, 0.5]], [[1, 0]], {"bank": (1.0, 2.0), "completion": (1.0, 0.0)}, [0.01, 0.01]).round(3).tolist()
    [[0.881, 0.5]]
    """
    from tables.noise import apply_platt

    P = np.asarray(P, dtype=np.float64)
    comp = apply_platt(P, *maps["completion"])
    bank = apply_platt(P, *maps["bank"]) if maps.get("bank") is not None else comp
    f = np.asarray(floor, dtype=np.float64)[None, :]
    return np.clip(np.where(np.asarray(origin) == 1, bank, comp), f, 1 - f).astype(np.float32)


def as_pairs(maps: dict) -> dict:
    """{"bank": (a, b), "completion": (a, b)} from fitted Calibrations (None entries dropped)."""
    return {k: (float(v.a), float(v.b)) for k, v in maps.items() if k in ("bank", "completion") and v is not None}
