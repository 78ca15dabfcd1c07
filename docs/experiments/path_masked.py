"""Ad hoc: path cells as training cells of the kernel completion, each question fitted on the rows
that measured it (no filling), against the bank-only kernel at the same tau and per-question penalty.
Tests: keyword-folded CV on the bank rows (path rows always in training) and the hold-out things'
own path cells (docs/experiments/path_cells_holdout.csv; never trained on). docs/default_table.md 34.

    python docs/experiments/path_masked.py [N_PATH]
"""
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.linalg import cho_factor, cho_solve

sys.path.insert(0, ".")
from tables import bank_sources as bs
from tables.answer_bank import load_bank
from tables.answer_table import bank_cells
from tables.completion import KernelCompletion, gcv_errors, keyword_folds, logit, sigmoid, auc
from tables.default_table import bank_training
from tables.embeddings import COMPLETION_SOURCE, ROOT as EMB_ROOT, load_embeddings
from tables.question_bank import question_bank

npath = int(sys.argv[1]) if len(sys.argv) > 1 else 10**9
nat = question_bank(kinds=("natural",)); qids = nat["id"].tolist()
main_s, others, banks, cals = bs.table_banks(bank_keywords=620)
sources = [(banks[s], cals[s]) for s in banks]
names, Z = load_embeddings(EMB_ROOT / COMPLETION_SOURCE); zrow = {k: i for i, k in enumerate(names)}
X, Y = bank_training([k for k in banks[main_s].keywords if k in zrow], qids, sources, Z, zrow)
path = load_bank(bs.ROOT / bs.path_source()); path = path.head(min(npath, len(path.keywords)))
pk = [k for k in path.keywords if k in zrow]
Sp, _ = bank_cells(pk, qids, [(path, cals[main_s])])
Xp = Z[[zrow[k] for k in pk]]
unit = KernelCompletion._unit
tau = KernelCompletion().fit(X, Y).tau_
print(f"bank {X.shape}, path {Sp.shape}, measured {np.isfinite(Sp).sum()}, tau {tau}", flush=True)


def fit_predict(Xb, Yb, Xq, with_path):
    """(m, Q) logits for Xq: per question, kernel ridge on the bank rows (+ the path rows measuring
    it), solved through the bank block's eigendecomposition and the path block's Schur complement."""
    Ub, Uq, Up = unit(Xb), unit(Xq), unit(Xp)
    Tb = logit(Yb)
    ev, U = np.linalg.eigh(np.exp(tau * (Ub @ Ub.T - 1.0)))
    ev = np.maximum(ev, 0.0)
    alphas = np.asarray(KernelCompletion().alphas, float)
    lam = alphas[np.argmin(gcv_errors(U, np.sqrt(ev), Tb - Tb.mean(0), alphas), axis=0)]  # bank-only choice, both models
    Kqb = np.exp(tau * (Uq @ Ub.T - 1.0))
    out = np.empty((len(Xq), len(qids)))
    if with_path:
        Kpb = np.exp(tau * (Up @ Ub.T - 1.0)); Kpp = np.exp(tau * (Up @ Up.T - 1.0)); Kqp = np.exp(tau * (Uq @ Up.T - 1.0))
        BU, QU = Kpb @ U, Kqb @ U                                   # (P, n), (m, n)
        Tp = logit(np.clip(np.nan_to_num(Sp, nan=0.5), 1e-6, 1 - 1e-6))
    for j in range(len(qids)):
        m = np.isfinite(Sp[:, j]) if with_path else np.zeros(len(pk), bool)
        mu = (Tb[:, j].sum() + (Tp[m, j].sum() if m.any() else 0.0)) / (len(Tb) + m.sum())
        tb = Tb[:, j] - mu
        d = 1.0 / (ev + lam[j])                                      # (A)^-1 = U diag(d) U^T, A = Kb + lam I
        if not m.any():
            out[:, j] = Kqb @ (U @ (d * (U.T @ tb))) + mu
            continue
        Bm = BU[m]                                                   # B U, (k, n)
        S = Kpp[np.ix_(m, m)] + lam[j] * np.eye(m.sum()) - (Bm * d) @ Bm.T
        ap = cho_solve(cho_factor(S), Tp[m, j] - mu - Bm @ (d * (U.T @ tb)))
        ab = U @ (d * (U.T @ tb - Bm.T @ ap))
        out[:, j] = Kqb @ ab + Kqp[:, m] @ ap + mu
    return out


res = {}
# 1. keyword-folded CV on the bank rows
lab = (Y >= 0.5).astype(float)
oof = {False: np.empty_like(Y), True: np.empty_like(Y)}
for tr, te in keyword_folds(len(X), 5, 0):
    for wp in (False, True):
        oof[wp][te] = fit_predict(X[tr], Y[tr], X[te], wp)
cover = np.isfinite(Sp).sum(0); top = cover >= np.sort(cover)[-40]


def figures(L, yl):
    per_q = [auc(L[:, j], yl[:, j]) for j in range(yl.shape[1]) if 0 < yl[:, j].sum() < len(yl)]
    return {"auc_pooled": float(auc(L.ravel(), yl.ravel())), "auc_mean": float(np.mean(per_q))}


for wp in (False, True):
    k = "with_path" if wp else "bank_only"
    res[f"cv_{k}"] = figures(oof[wp], lab)
    res[f"cv_{k}_top40q"] = figures(oof[wp][:, top], lab[:, top])
print(json.dumps(res), flush=True)
# 2. the hold-out things' own path cells
hold = pd.read_csv("docs/experiments/path_cells_holdout.csv")
hk = [k for k in hold.keyword.unique() if k in zrow]
col = {q: j for j, q in enumerate(qids)}
h = hold[hold.keyword.isin(hk) & hold.qid.isin(col)]
yl = (cals[main_s](sigmoid(h.logit.to_numpy())) >= 0.5).astype(float)
r = {k: i for i, k in enumerate(hk)}
ii, jj = h.keyword.map(r).to_numpy(), h.qid.map(col).to_numpy()
for wp in (False, True):
    L = fit_predict(X, Y, Z[[zrow[k] for k in hk]], wp)[ii, jj]
    res["holdout_" + ("with_path" if wp else "bank_only")] = {"cells": int(len(L)), "auc": float(auc(L, yl)),
                                                                "other_side_at_0": float(np.mean((L >= 0) != (yl == 1)))}
print(json.dumps({k: {a: (round(b, 4) if isinstance(b, float) else b) for a, b in v.items()} for k, v in res.items()}, indent=1))
