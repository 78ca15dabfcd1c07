"""Ad hoc: do path cells help the completion model as training rows (unmeasured cells filled with
the bank-only model's predictions)? Keyword-folded CV on the bank + the hold-out things' own path
cells (docs/experiments/path_cells_holdout.csv) as a test the model never saw."""
import sys, json, time
import numpy as np, pandas as pd
sys.path.insert(0, ".")
from tables import bank_sources as bs
from tables.answer_bank import load_bank
from tables.answer_table import bank_cells
from tables.completion import KernelCompletion, keyword_folds, score, auc, log_loss
from tables.default_table import bank_training, completion_features
from tables.question_bank import question_bank

npath = int(sys.argv[1]) if len(sys.argv) > 1 else 10**9
nat = question_bank(kinds=("natural",)); qids = nat["id"].tolist()
main_s = bs.make_job(bs.MAIN).source
others = [s for s in bs.table_sources() if s != main_s]
banks = {s: load_bank(bs.ROOT / s) for s in [main_s, *others]}
banks[main_s] = banks[main_s].head(620)
cals = {s: bs.calibration(s) for s in banks}
sources = [(banks[s], cals[s]) for s in banks]
path = load_bank(bs.ROOT / bs.path_source()); path = path.head(min(npath, len(path.keywords)))
hold = pd.read_csv("docs/experiments/path_cells_holdout.csv")
need = list(dict.fromkeys(list(banks[main_s].keywords) + list(path.keywords) + hold.keyword.unique().tolist()))
emb = "tables/embeddings/qwen1.5b-facts"
from tables.embeddings import load_embeddings
names, Z = load_embeddings(__import__("pathlib").Path(emb)); zrow = {k: i for i, k in enumerate(names)}
train_kw = [k for k in banks[main_s].keywords if k in zrow]
X, Y = bank_training(train_kw, qids, sources, Z, zrow)
pk = [k for k in path.keywords if k in zrow]
Sp, _ = bank_cells(pk, qids, [(path, cals[main_s])])
Xp = Z[[zrow[k] for k in pk]]
print(f"bank {X.shape}, path {Sp.shape} measured {np.isfinite(Sp).sum()}", flush=True)

def with_path(Xb, Yb):
    m0 = KernelCompletion().fit(Xb, Yb)
    Yp = np.where(np.isnan(Sp), m0.predict_proba(Xp), Sp)
    return m0, KernelCompletion().fit(np.vstack([Xb, Xp]), np.vstack([Yb, Yp]))

# 1. keyword-folded CV on the bank
t0 = time.time()
oof_a = np.empty_like(Y); oof_b = np.empty_like(Y)
for tr, te in keyword_folds(len(X), 5, 0):
    m0, m1 = with_path(X[tr], Y[tr])
    oof_a[te] = m0.predict_proba(X[te]); oof_b[te] = m1.predict_proba(X[te])
lab = (Y >= 0.5).astype(float)
# questions the path cells cover most
cover = np.isfinite(Sp).sum(0)
top = cover >= np.sort(cover)[-40]
res = {"cv_bank_only": score(oof_a, lab), "cv_with_path": score(oof_b, lab),
       "cv_bank_only_top40q": score(oof_a[:, top], lab[:, top]), "cv_with_path_top40q": score(oof_b[:, top], lab[:, top])}
print("cv", round(time.time() - t0), "s", flush=True)
# 2. the hold-out things' own path cells
m0, m1 = with_path(X, Y)
hk = [k for k in hold.keyword.unique() if k in zrow]
col = {q: j for j, q in enumerate(qids)}
h = hold[hold.keyword.isin(hk) & hold.qid.isin(col)]
p_meas = cals[main_s](1 / (1 + np.exp(-h.logit.to_numpy())))
Xh = Z[[zrow[k] for k in hk]]; r = {k: i for i, k in enumerate(hk)}
ii = h.keyword.map(r).to_numpy(); jj = h.qid.map(col).to_numpy()
for name, m in (("holdout_bank_only", m0), ("holdout_with_path", m1)):
    P = m.predict_proba(Xh)[ii, jj]
    yl = (p_meas >= 0.5).astype(float)
    res[name] = {"cells": int(len(P)), "auc": float(auc(P, yl)), "log_loss_hard": float(log_loss(P[None], yl[None])),
                 "soft_ll": float(-np.mean(p_meas * np.log(np.clip(P, 1e-6, 1)) + (1 - p_meas) * np.log(np.clip(1 - P, 1e-6, 1)))),
                 "other_side": float(np.mean((P >= 0.5) != (p_meas >= 0.5)))}
print(json.dumps({k: {a: (round(b, 4) if isinstance(b, float) else b) for a, b in v.items()} for k, v in res.items()}, indent=1))
