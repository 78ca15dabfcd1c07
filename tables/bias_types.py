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


def fit_source_maps(answers, table_sources, oof_kw, oof, qids, floor, exclude=(), per_question: bool = False) -> dict:
    """Maps from the table's cells to one source's greedy answers.

    answers: the source's bank (``grid``); table_sources: [(bank, calibration)] the table's bank
    cells come from, minus the source itself; oof_kw / oof: :func:`oof_completion`'s output;
    floor (Q,): the table's per-question floor. Returns {"bank": Calibration | None,
    "completion": Calibration, "maps": the type's maps (:func:`map_cells`), "report": {...}} (bank
    None when no other source shares keywords). ``per_question``: the maps also get the source's
    yes-bias per question (:func:`fit_question_bias`, shrinkage chosen on halves of the keywords;
    it may choose none).
    """
    from tables.answer_table import bank_cells
    from tables.reliability import fit_unseen_map, hard_answers

    lo, hi = np.asarray(floor)[None, :], 1 - np.asarray(floor)[None, :]
    out, rep = {"bank": None}, {"source": answers.source}
    shared = [k for k in answers.keywords if any(k in set(b.keywords) for b, _ in table_sources)]
    bank_fit = None
    if shared and table_sources:
        S, n = bank_cells(shared, qids, table_sources)
        A = hard_answers(answers, shared, qids)
        A = np.where(n > 0, A, np.nan)
        bank_fit = (np.clip(S, lo, hi), A, shared)
        out["bank"], rep["bank_cells"] = fit_unseen_map(*bank_fit[:2])
        rep["bank_cells"]["keywords"] = len(shared)
    skip = set(exclude)
    rows = [i for i, k in enumerate(oof_kw) if k in set(answers.keywords) and k not in skip]
    if not rows:
        raise ValueError(f"source {answers.source!r}: none of its keywords has an out-of-fold prediction "
                         f"outside the {len(skip)} excluded keywords")
    kws = [oof_kw[i] for i in rows]
    A_c = hard_answers(answers, kws, qids)
    out["completion"], rep["completion_cells"] = fit_unseen_map(oof[rows], A_c)
    rep["completion_cells"]["keywords"] = len(kws)
    out["maps"] = as_pairs(out)
    if per_question:
        out["maps"], rep["per_question"] = fit_question_bias([bank_fit, (oof[rows], A_c, kws)], len(qids))
    out["report"] = rep
    return out


def _flat(P, A, keywords, origin: int):
    """Cells of one origin as flat arrays (logit p, answer, question index, keyword, origin)."""
    from tables.noise import _logit

    P, A = np.asarray(P, dtype=np.float64), np.asarray(A, dtype=np.float64)
    i, j = np.nonzero(~np.isnan(A) & ~np.isnan(P))
    return _logit(P[i, j]), A[i, j], j, np.asarray(keywords, dtype=object)[i], np.full(len(i), origin)


def _fit_qbias(x, y, q, o, Q: int, lam: float | None):
    """Minimize the summed log-loss of sigmoid(a_o x + b_o + d_q) + lam/2 |d|^2 + |(a_o - 1, b_o)|^2
    / 200 (the map's own weak pull to the identity). lam None: no d (one map per origin).
    Returns (ab (2, 2), d (Q,))."""
    from scipy.optimize import minimize

    nd = Q if lam is not None else 0

    def f(w):
        ab, d = w[:4].reshape(2, 2), w[4:]
        z = ab[o, 0] * x + ab[o, 1] + (d[q] if nd else 0.0)
        r = 1 / (1 + np.exp(-np.clip(z, -500, 500))) - y
        loss = np.sum(np.logaddexp(0, z) - y * z)
        g = np.zeros_like(w)
        for k in (0, 1):
            m = o == k
            g[2 * k] = np.sum(r[m] * x[m])
            g[2 * k + 1] = np.sum(r[m])
        w0 = np.array([1.0, 0.0, 1.0, 0.0])
        loss += np.sum((w[:4] - w0) ** 2) / 200
        g[:4] += (w[:4] - w0) / 100
        if nd:
            g[4:] = np.bincount(q, weights=r, minlength=Q) + lam * d
            loss += 0.5 * lam * np.sum(d ** 2)
        return loss, g

    w = np.concatenate([[1.0, 0.0, 1.0, 0.0], np.zeros(nd)])
    res = minimize(f, w, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x[:4].reshape(2, 2), (res.x[4:] if nd else np.zeros(Q))


def _mean_loss(x, y, q, o, ab, d) -> float:
    z = ab[o, 0] * x + ab[o, 1] + d[q]
    return float(np.mean(np.logaddexp(0, z) - y * z))


def fit_question_bias(cells, Q: int, lams=(0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0), seed: int = 0) -> tuple[dict, dict]:
    """One answerer's yes-bias per question, on top of its two maps: P(says yes) = sigmoid(a_o
    logit p + b_o + d_q), o the cell's origin (0 bank, 1 completion), d_q shrunk by lam.

    cells: [(P (n, Q), A (n, Q) greedy answers 0/1 or NaN, keywords (n,)), ...] for origin 0 and 1
    (either may be None). lam is chosen on two halves of the keywords (fit on one, log-loss on the
    other, both ways) among ``lams`` and "no d" (the two maps alone); the chosen model is refitted
    on all cells. Returns ({"bank": (a, b), "completion": (a, b), "question": [d_q]}, report with
    each candidate's held-out log-loss)."""
    parts = [_flat(*c, origin=o) for o, c in enumerate(cells) if c is not None]
    x, y, q, kw, o = (np.concatenate([p[i] for p in parts]) for i in range(5))
    q, o = q.astype(np.int64), o.astype(np.int64)
    names = np.unique(kw.astype(str))
    half = set(np.random.default_rng(seed).permutation(names)[: len(names) // 2].tolist())
    h = np.array([k in half for k in kw.astype(str)])
    cv = {}
    for lam in (None, *lams):
        tot = 0.0
        for tr in (h, ~h):
            ab, d = _fit_qbias(x[tr], y[tr], q[tr], o[tr], Q, lam)
            tot += _mean_loss(x[~tr], y[~tr], q[~tr], o[~tr], ab, d) * (~tr).sum()
        cv["none" if lam is None else str(lam)] = tot / len(y)
    best = min(cv, key=cv.get)
    ab, d = _fit_qbias(x, y, q, o, Q, None if best == "none" else float(best))
    maps = {"bank": (float(ab[0, 0]), float(ab[0, 1])), "completion": (float(ab[1, 0]), float(ab[1, 1]))}
    if best != "none":
        maps["question"] = tuple(float(v) for v in d)
    origins = set(o.tolist())
    if 0 not in origins:
        maps.pop("bank")
    rep = {"heldout_logloss": {k: round(v, 4) for k, v in cv.items()}, "lam": best, "cells": int(len(y)),
           "d_p10_p50_p90": [round(float(v), 3) for v in np.percentile(d, [10, 50, 90])]}
    return maps, rep


def map_cells(P, origin, maps: dict, floor) -> np.ndarray:
    """(N, Q) float32: natural cells ``P`` through a type's maps ({"bank": (a, b), "completion":
    (a, b)}, optionally "question": (Q,) per-question offsets d_q added in logit space; the bank
    map where ``origin`` is 1, the completion map elsewhere and wherever no bank map was fitted),
    clipped to [floor_q, 1 - floor_q].

    >>> map_cells([[0.5, 0.5]], [[1, 0]], {"bank": (1.0, 2.0), "completion": (1.0, 0.0)}, [0.01, 0.01]).astype(float).round(3).tolist()
    [[0.881, 0.5]]
    """
    from tables.noise import apply_platt

    P = np.asarray(P, dtype=np.float64)
    d = np.asarray(maps.get("question") or np.zeros(P.shape[1]), dtype=np.float64)[None, :]
    comp = apply_platt(P, maps["completion"][0], maps["completion"][1] + d)
    bank = apply_platt(P, maps["bank"][0], maps["bank"][1] + d) if maps.get("bank") is not None else comp
    f = np.asarray(floor, dtype=np.float64)[None, :]
    return np.clip(np.where(np.asarray(origin) == 1, bank, comp), f, 1 - f).astype(np.float32)


def as_pairs(maps: dict) -> dict:
    """{"bank": (a, b), "completion": (a, b)} from fitted Calibrations (None entries dropped)."""
    return {k: (float(v.a), float(v.b)) for k, v in maps.items() if k in ("bank", "completion") and v is not None}


def parse_shifts(text) -> tuple[float, ...]:
    """"-2,0,2,4" -> (-2.0, 0.0, 2.0, 4.0): a grid of yes-bias shifts in logits, sorted
    (:func:`check_shifts`); errors name the value."""
    out = []
    for item in str(text).split(","):
        try:
            out.append(float(item))
        except ValueError:
            raise ValueError(f"yes-bias shift {item!r} of {text!r} is not a number") from None
    return check_shifts(out, label=repr(text))


def check_shifts(values, label: str | None = None) -> tuple[float, ...]:
    """The grid sorted, or ValueError: it must hold 0 (the table itself) and at least one other
    value, all finite and distinct. ``label``: how errors name the grid (default its values)."""
    out = [float(v) for v in values]
    label = label or repr(out)
    if bad := [v for v in out if not np.isfinite(v)]:
        raise ValueError(f"yes-bias shift {bad[0]!r} of {label} is not finite")
    if len(set(out)) != len(out):
        raise ValueError(f"yes-bias shifts {label}: a value is repeated")
    if 0.0 not in out or len(out) < 2:
        raise ValueError(f"yes-bias shifts {label}: need 0 (the table itself) and at least one other shift")
    return tuple(sorted(out))


def shift_name(shift: float) -> str:
    """The answerer type's name for a shift: 2.0 -> "llm+2", -1.5 -> "llm-1.5", 0 -> "llm".

    >>> [shift_name(s) for s in (-2.0, 0.0, 1.5)]
    ['llm-2', 'llm', 'llm+1.5']
    """
    return "llm" if shift == 0 else f"llm{shift:+g}"


def shift_types(P, floor, shifts, llm_weight: float, center_weight: float = 0.5) -> list:
    """Answerer types along a grid of yes-biases: type s says yes with P(yes) = sigmoid(logit p + s)
    on the natural columns ``P`` (N, Q) (clipped to [floor_q, 1 - floor_q]), so which bias a game
    faces its answers tell (the belief is joint over type and keyword; docs/default_table.md 25).

    shifts: the grid (:func:`check_shifts`; 0 is the table itself, the ``llm`` type with no replaced
    column, so it must be given and gets ``llm_weight * center_weight``); every other shift gets an
    equal share of ``llm_weight * (1 - center_weight)``. Each shifted type keeps its map (slope 1,
    intercept s) so a cell measured or predicted later is shifted the same way. Returns
    [AnswererType] in the grid's order (the exact type is the caller's).

    >>> [(t.name, round(t.weight, 3), t.values.astype(float).round(3).tolist() if t.values is not None else None)
    ...  for t in shift_types([[0.5, 0.1]], [0.01, 0.01], (0.0, 2.0), 0.8)]
    [('llm', 0.4, None), ('llm+2', 0.4, [[0.881, 0.451]])]
    """
    from planner.types import AnswererType

    shifts = check_shifts(shifts)
    if not (0 < center_weight < 1 and 0 < llm_weight <= 1):
        raise ValueError(f"center_weight must be in (0, 1) and llm_weight in (0, 1]; got {center_weight}, {llm_weight}")
    P = np.asarray(P, dtype=np.float64)
    f = np.asarray(floor, dtype=np.float64)[None, :]
    if f.shape[1] != P.shape[1]:
        raise ValueError(f"floor has {f.shape[1]} questions, the cells {P.shape[1]}")
    side = llm_weight * (1 - center_weight) / (len(shifts) - 1)
    out = []
    for s in shifts:
        if s == 0:
            out.append(AnswererType("llm", llm_weight * center_weight))
            continue
        maps = {"bank": (1.0, s), "completion": (1.0, s)}
        out.append(AnswererType(shift_name(s), side, np.arange(P.shape[1]), map_cells(P, 0, maps, floor), maps))
    return out
