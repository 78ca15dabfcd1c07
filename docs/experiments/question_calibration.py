"""Ad hoc: per-question calibration of the completion. Does a question's out-of-fold predictability
on the bank carry over to how well its predicted cells of unmeasured things match (a) the main
prompt's own cells of the hold-out things (docs/experiments/path_cells_holdout.csv) and (b) the
test answerer's recorded replies (docs/live_answers.csv, the `kaggle` prompt)? And does a Platt map
per question (shrunk to the global one) predict them better than the global map?"""
import sys, json, time
import numpy as np, pandas as pd
from scipy.optimize import minimize
from scipy.stats import spearmanr
sys.path.insert(0, ".")
from tables import bank_sources as bs
from tables.completion import KernelCompletion, keyword_folds, auc, log_loss, logit, sigmoid
from tables.default_table import bank_training
from tables.question_bank import question_bank
from tables.embeddings import load_embeddings
from pathlib import Path

SHRINK = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0   # pseudo-cells pulling (a, b) to (1, 0)
nat = question_bank(kinds=("natural",)); qids = nat["id"].tolist(); qtext = dict(zip(nat.text, nat.id))
main_s, others, banks, cals = bs.table_banks(bank_keywords=620)
sources = [(banks[s], cals[s]) for s in banks]
names, Z = load_embeddings(Path("tables/embeddings/qwen1.5b-facts")); zrow = {k: i for i, k in enumerate(names)}
train_kw = [k for k in banks[main_s].keywords if k in zrow]
X, Y = bank_training(train_kw, qids, sources, Z, zrow)
lab = (Y >= 0.5).astype(float)
t0 = time.time()
oof = np.empty_like(Y)
for tr, te in keyword_folds(len(X), 5, 0):
    oof[te] = KernelCompletion().fit(X[tr], Y[tr]).predict_proba(X[te])
print("cv", round(time.time() - t0), "s", flush=True)

def fit_q(p, y, shrink):
    x = logit(p)
    def f(w):
        z = w[0] * x + w[1]
        l = np.sum(np.logaddexp(0, z) - y * z) + 0.5 * shrink * ((w[0] - 1) ** 2 + w[1] ** 2)
        s = sigmoid(z)
        return l, np.array([np.sum((s - y) * x) + shrink * (w[0] - 1), np.sum(s - y) + shrink * w[1]])
    return minimize(f, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B").x

def maps(P, L, shrink):
    return np.array([fit_q(P[:, j], L[:, j], shrink) for j in range(P.shape[1])])

def apply(P, ab):
    return sigmoid(ab[:, 0] * logit(P) + ab[:, 1])

# nested: per-question maps fitted on 4/5 of the keywords' OOF, applied to the other 1/5
nested = np.empty_like(oof)
for tr, te in keyword_folds(len(X), 5, 1):
    nested[te] = apply(oof[te], maps(oof[tr], lab[tr], SHRINK))
qa_bank = np.array([auc(oof[:, j], lab[:, j]) if 0 < lab[:, j].sum() < len(lab) else np.nan for j in range(len(qids))])
res = {"bank_oof_global": {"auc": float(auc(oof.ravel(), lab.ravel())), "ll": float(log_loss(oof, lab))},
       "bank_oof_per_question": {"auc": float(auc(nested.ravel(), lab.ravel())), "ll": float(log_loss(nested, lab))}}
ab = maps(oof, lab, SHRINK)
res["maps"] = {"a_quartiles": np.percentile(ab[:, 0], [10, 25, 50, 75, 90]).round(3).tolist(),
               "b_quartiles": np.percentile(ab[:, 1], [10, 25, 50, 75, 90]).round(3).tolist()}
full = KernelCompletion().fit(X, Y)
col = {q: j for j, q in enumerate(qids)}

def score_against(kw, qj, y, label):
    kk = sorted(set(kw)); r = {k: i for i, k in enumerate(kk)}
    P = full.predict_proba(Z[[zrow[k] for k in kk]])
    ii = np.array([r[k] for k in kw]); p_g = P[ii, qj]; p_q = apply(P, ab)[ii, qj]
    out = {"cells": int(len(y)), "things": len(kk)}
    for name, p in (("global", p_g), ("per_question", p_q)):
        out[name] = {"auc": round(float(auc(p, y)), 4), "ll": round(float(log_loss(p[None], y[None])), 4),
                     "other_side": round(float(np.mean((p >= .5) != (y >= .5))), 4)}
    # does the bank's per-question predictability carry over?
    dfq = pd.DataFrame({"q": qj, "p": p_g, "y": y})
    per = dfq.groupby("q").filter(lambda d: len(d) >= 8 and 0 < d.y.sum() < len(d)).groupby("q").apply(
        lambda d: auc(d.p.to_numpy(), d.y.to_numpy()))
    rho = spearmanr(qa_bank[per.index.to_numpy()], per.to_numpy())
    out["per_question_auc_spearman"] = {"questions": int(len(per)), "rho": round(float(rho.statistic), 3), "p": float(rho.pvalue)}
    res[label] = out

hold = pd.read_csv("docs/experiments/path_cells_holdout.csv")
h = hold[hold.keyword.isin(zrow) & hold.qid.isin(col)]
ym = (cals[main_s](1 / (1 + np.exp(-h.logit.to_numpy()))) >= 0.5).astype(float)
score_against(h.keyword.tolist(), h.qid.map(col).to_numpy(), ym, "holdout_main_prompt_path_cells")
rep = pd.read_csv("docs/live_answers.csv", dtype=str, keep_default_na=False)
rep = rep[(rep.prompt == "kaggle") & rep.keyword.isin(set(bs.read_holdout())) & rep.keyword.isin(zrow)
          & rep.question.isin(qtext) & rep.answer.isin(["yes", "no"])].drop_duplicates(["keyword", "question"])
score_against(rep.keyword.tolist(), rep.question.map(qtext).map(col).to_numpy(), (rep.answer == "yes").to_numpy(float),
              "holdout_kaggle_replies")
print(json.dumps(res, indent=1))
