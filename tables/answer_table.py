"""The answer-model table: what an LLM answerer will say, for every keyword of the things universe.

Columns and where their cells come from:

* natural questions (the question bank): where the answer bank has the cell, the calibrated
  answers averaged over the prompt styles that scored it; elsewhere the completion model's
  calibrated prediction from the keyword's embedding (tables/completion.py). No cell is surer
  than two prompts of the same model agree on its question: P is clipped to [e_q, 1 - e_q],
  e_q the per-question disagreement floor measured between the bank's sources
  (:func:`question_floor`);
* spelling and alphabetical questions: the exact 0/1 feature computed from the keyword
  (tables/knowledge.py), softened for an LLM answerer by the rates measured against Qwen
  (:func:`letter_columns`); an exact (code) answerer type gets the features themselves
  (:func:`answerer_types`).

Pure numpy/pandas; the inputs (banks, calibrations, embeddings, the fitted completion model)
are loaded by ``scripts/build_default_table.py``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

EXACT_EPS = 0.01     # an exact answerer's letter answers as probabilities: F clipped to [eps, 1 - eps]


def disagreement_floor(agreement) -> np.ndarray:
    """Per-answer error e from the agreement a of two equally noisy answerers: a = (1-e)^2 + e^2,
    so e = (1 - sqrt(2a - 1)) / 2 (e = 0.5 when a <= 0.5: they agree no more than chance).

    >>> disagreement_floor(np.array([1.0, 0.82, 0.5])).round(3).tolist()
    [0.0, 0.1, 0.5]
    """
    a = np.clip(np.asarray(agreement, dtype=np.float64), 0.5, 1.0)
    return (1.0 - np.sqrt(2.0 * a - 1.0)) / 2.0


def question_floor(per_question: pd.DataFrame, qids, topics, prior_cells: float = 20.0,
                   min_floor: float = 0.01) -> np.ndarray:
    """(Q,) softness floor e_q of each question from two sources' agreement.

    per_question: ``tables.bank_sources.agreement_by_question`` output (qid, cells, agreement);
    qids, topics: (Q,) the table's natural questions and their topics. A question's agreement
    is shrunk toward its topic's pooled agreement with ``prior_cells`` pseudo-cells (the pooled
    agreement of all questions for a topic nobody measured), then turned into an error rate by
    :func:`disagreement_floor`, never below ``min_floor``. Raises ValueError when no question of
    ``qids`` has a shared cell (softness comes from measurement, never from a constant).
    """
    pq = per_question.set_index("qid")
    qids, topics = list(qids), list(topics)
    cells = np.array([float(pq["cells"].get(q, 0.0)) for q in qids])
    agree = np.array([float(pq["agreement"].get(q, np.nan)) for q in qids])
    have = cells > 0
    if not have.any():
        raise ValueError(f"no cell of the {len(qids)} questions was scored by both sources: no measured floor")
    overall = float(np.average(agree[have], weights=cells[have]))
    pooled = {}
    for t in set(topics):
        m = have & (np.array(topics) == t)
        pooled[t] = float(np.average(agree[m], weights=cells[m])) if m.any() else overall
    base = np.array([pooled[t] for t in topics])
    shrunk = np.where(have, (np.nan_to_num(agree) * cells + base * prior_cells) / (cells + prior_cells), base)
    return np.maximum(disagreement_floor(shrunk), min_floor)


def bank_cells(keywords, qids, sources) -> tuple[np.ndarray, np.ndarray]:
    """Calibrated answers of several bank sources on a keyword x question grid.

    sources: list of (Bank, calibration callable or None). Returns S (N, Q) the mean calibrated
    P(yes) over the sources that scored each cell (NaN where none did) and n (N, Q) how many.
    """
    N, Q = len(keywords), len(qids)
    tot = np.zeros((N, Q))
    n = np.zeros((N, Q), dtype=np.int64)
    for bank, cal in sources:
        L = bank.grid(keywords, qids)
        ok = ~np.isnan(L)
        P = 1.0 / (1.0 + np.exp(-np.clip(np.where(ok, L, 0.0), -700, 700)))     # Bank.P on the grid
        if cal is not None:
            P = cal(P)
        tot += np.where(ok, P, 0.0)
        n += ok
    S = np.divide(tot, n, out=np.full((N, Q), np.nan), where=n > 0)
    return S, n


def natural_columns(keywords, qids, features, sources, model, floor) -> tuple[np.ndarray, np.ndarray]:
    """(P (N, Q) float32, origin (N, Q) int8): bank cells where any source scored them (origin 1),
    the completion model's prediction from ``features`` (N, F) elsewhere (origin 0); clipped to
    [floor_q, 1 - floor_q]."""
    S, n = bank_cells(keywords, qids, sources)
    P = S.copy()
    need = np.isnan(S).any(axis=1)
    if need.any():
        pred = model.predict_proba(np.asarray(features)[need])
        P[need] = np.where(np.isnan(S[need]), pred, S[need])
    floor = np.asarray(floor, dtype=np.float64)[None, :]
    return np.clip(P, floor, 1 - floor).astype(np.float32), (n > 0).astype(np.int8)


def letter_columns(names, prior, rates: dict, n_alpha: int = 255, min_count: int = 5) -> tuple:
    """Spelling and alphabetical questions for ``names``: (questions DataFrame id/text/kind,
    F (N, Q) exact 0/1, P (N, Q) what an LLM answerer says).

    rates: {kind: (t1, t0)} measured P(yes | feature yes) and P(no | feature no) of an LLM answerer
    per kind; where t1 + t0 <= 1 the kind is uninformative for it and P is its mean yes rate.
    Questions splitting the keywords into sides of fewer than ``min_count`` are dropped.
    """
    from tables.knowledge import alpha_cuts, alpha_questions, spelling_questions, split_mask

    prior = np.asarray(prior, dtype=np.float64)
    qs_s, F_s = spelling_questions(names)
    qs_a, F_a = alpha_questions(names, alpha_cuts(names, prior, n_alpha))
    qs = pd.concat([qs_s, qs_a], ignore_index=True)
    F = np.hstack([F_s, F_a])
    keep = split_mask(F, prior / prior.sum(), min_count=min_count)
    qs, F = qs[keep].reset_index(drop=True), F[:, keep]
    P = np.empty_like(F)
    for kind in qs["kind"].unique():
        c = (qs["kind"] == kind).to_numpy()
        t1, t0 = rates[kind]
        if t1 + t0 <= 1.0:                                 # no better than chance: uninformative
            yes = 0.5 * (t1 + 1 - t0)
            P[:, c] = yes
        else:
            P[:, c] = F[:, c] * t1 + (1 - F[:, c]) * (1 - t0)
    return qs, F.astype(np.float32), P.astype(np.float32)


def answerer_types(table, code_values, code_cols, exact_weight: float = 0.2, llm_weight: float = 0.8,
                   majority=None):
    """Two answerer types over ``table``: ``llm`` (the table itself) and ``exact``, a code answerer:
    the columns ``code_cols`` answered by code (``code_values`` (K, n) 0/1: the letter features,
    yes to the handshake) and every other question by the bank's majority answer (``majority``
    (K, Q) bool, default the table rounded), all clipped to [EXACT_EPS, 1 - EXACT_EPS]."""
    from planner.types import AnswererType, AnswererTypes

    vals = (np.asarray(table.P if majority is None else majority) >= 0.5).astype(np.float32)
    vals[:, np.asarray(code_cols, dtype=np.int64)] = np.asarray(code_values, dtype=np.float32)
    vals = np.clip(vals, EXACT_EPS, 1 - EXACT_EPS)
    return AnswererTypes([AnswererType("llm", llm_weight),
                          AnswererType("exact", exact_weight, np.arange(table.Q, dtype=np.int64), vals)])
