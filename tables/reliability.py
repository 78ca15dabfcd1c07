"""How an answerer the table never saw answers: measured on a development prompt.

The table's natural cells are the calibrated answers of the bank's prompt styles, and elsewhere
the completion model's prediction of them. Another team's answerer is another prompt (and model):
its hard answers (yes when its P(yes) >= 0.5, as a referee-facing answerer decides) follow the
table's P only loosely, and a small LLM says "yes" to letter questions nearly at will. Both are
measured here against a development source (``tables/bank_sources.py`` ``dev`` and
``dev_letters``: a third prompt style that never builds a table):

* natural questions: Platt maps g(p) = sigmoid(a logit p + b) from the table's P to the dev
  prompt's hard answers, one for bank cells and one for completion cells (predicted with the dev
  keywords left out of the completion model's training) (:func:`fit_unseen_map`);
* letter questions: per kind, t1 = P(yes | feature yes) and t0 = P(no | feature no) of the dev
  prompt's hard answers against the exact features (:func:`letter_rates_measured`).

Pure numpy/pandas; the banks are loaded by the caller.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from tables.noise import Calibration, apply_platt, calibrate, paired_cells, reliability


def hard_answers(bank, keywords, qids) -> np.ndarray:
    """(N, Q) float: ``bank``'s hard answers (1.0 where its raw logit >= 0, else 0.0) on the grid
    ``keywords`` x ``qids``; NaN where it has no cell."""
    L = bank.grid(keywords, qids)
    return np.where(np.isnan(L), np.nan, (L >= 0).astype(np.float64))


def fit_unseen_map(P, A) -> tuple[Calibration, dict]:
    """Platt map from table cells ``P`` (N, Q) to an unseen answerer's hard answers ``A`` (N, Q)
    (0/1, NaN = not scored). Returns the Calibration and a report: cells, the answerer's yes rate,
    the table's mean P, agreement of the table's side of 0.5 with the answers, AUC, ECE before and
    after, and the mapped values of a few table P's."""
    p, y = paired_cells(P, A, ("table cells", "answers"))
    cal = calibrate(p, y)
    _, after = reliability(cal(p), y)
    rep = {"cells": int(len(p)), "yes_rate": float(y.mean()), "mean_p": float(p.mean()),
           "agreement": float(((p >= 0.5) == (y >= 0.5)).mean()), "auc": cal.auc,
           "ece_before": cal.ece_raw, "ece_after": after["ece"], "a": cal.a, "b": cal.b,
           "map": {str(x): round(float(apply_platt(x, cal.a, cal.b)), 3) for x in (0.02, 0.06, 0.2, 0.5, 0.8, 0.94)}}
    return cal, rep


def letter_features(names, qids) -> np.ndarray:
    """(N, Q) exact 0/1 features of spelling (``spell:...``) and alphabetical (``alpha:<word>``)
    question ids for ``names``; NaN for an id neither kind knows."""
    from tables.knowledge import alpha_questions, spelling_questions

    qs, F_s = spelling_questions(names)
    col = {q: j for j, q in enumerate(qs["id"])}
    cuts = [q.split(":", 1)[1] for q in qids if q.startswith("alpha:")]
    qa, F_a = alpha_questions(names, cuts)
    acol = {q: j for j, q in enumerate(qa["id"])}
    out = np.full((len(names), len(qids)), np.nan)
    for j, q in enumerate(qids):
        if q in col:
            out[:, j] = F_s[:, col[q]]
        elif q in acol:
            out[:, j] = F_a[:, acol[q]]
    return out


def letter_rates_measured(A, F, kinds) -> dict:
    """{kind: {t1, t0, n1, n0}}: P(yes | F = 1) and P(no | F = 0) of hard answers ``A`` (N, Q)
    against exact features ``F`` (N, Q) over the columns of each kind (``kinds`` (Q,)); cells
    with a NaN in either are skipped."""
    A, F = np.asarray(A, dtype=np.float64), np.asarray(F, dtype=np.float64)
    kinds = np.asarray(kinds)
    out = {}
    for kind in pd.unique(kinds):
        c = kinds == kind
        a, f = A[:, c], F[:, c]
        m = ~np.isnan(a) & ~np.isnan(f)
        n1, n0 = int((m & (f == 1)).sum()), int((m & (f == 0)).sum())
        if n1 == 0 or n0 == 0:
            raise ValueError(f"letter kind {kind!r}: {n1} feature-yes and {n0} feature-no cells; need both")
        out[str(kind)] = {"t1": float(a[m & (f == 1)].mean()), "t0": float(1 - a[m & (f == 0)].mean()),
                          "n1": n1, "n0": n0}
    return out
