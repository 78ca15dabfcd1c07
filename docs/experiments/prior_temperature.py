"""Ad hoc: is the learned prior's logit at the right scale? prior_beta(k) ~ exp(beta * logit_k) over
the table's top N. Halves CV on the training public things (fit on one half, score the other half's
log2 prior inside the fold's own top N), then the development hold-out under the final model."""
import sys, json
import numpy as np, pandas as pd
sys.path.insert(0, ".")
from planner.matching import normalize
from tables import bank_sources as bs
from tables.default_table import prior_things
from tables.prior_model import PickModel, word_features
from tables.universe import read_concreteness

N = int(sys.argv[1]) if len(sys.argv) > 1 else 12000
BETAS = [0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.5, 3.0]
things, logp0, rep, (names, Zall) = prior_things()
zrow = {k: i for i, k in enumerate(names)}
Z = Zall[[zrow[k] for k in things["keyword"]]]
F = word_features(things, read_concreteness()).to_numpy(np.float64)
X = np.hstack([F, Z])
index = {}
for i, k in enumerate(things["keyword"]):
    index.setdefault(normalize(k), i)
held = {normalize(k) for k in bs.read_holdout()}
public = pd.read_csv(bs.PUBLIC, dtype=str, keep_default_na=False)["keyword"].tolist()
pos = np.array(sorted({index[normalize(k)] for k in public if normalize(k) in index and normalize(k) not in held}))
hpos = np.array(sorted({index[normalize(k)] for k in bs.read_holdout() if normalize(k) in index}))

def score(s, test):
    order = np.argsort(-s, kind="stable")[:N]
    inside = np.zeros(len(s), bool); inside[order] = True
    t = test[inside[test]]
    out = {"in_top_n": float(inside[test].mean())}
    for b in BETAS:
        z = b * s[order]; lse = z.max() + np.log(np.exp(z - z.max()).sum())
        out[b] = float(((b * s[t] - lse) / np.log(2)).mean())
    return out

perm = np.random.default_rng(0).permutation(len(pos)); h = (len(pos) + 1) // 2
halves = [pos[np.sort(perm[:h])], pos[np.sort(perm[h:])]]
res = []
for tr, te in ((halves[0], halves[1]), (halves[1], halves[0])):
    y = np.zeros(len(things)); y[tr] = 1
    res.append(score(PickModel(l2=0.1).fit(X, y).decision_function(X), te))
    print("half", json.dumps(res[-1]), flush=True)
y = np.zeros(len(things)); y[pos] = 1
final = PickModel(l2=0.1).fit(X, y)
print("holdout", json.dumps(score(final.decision_function(X), hpos)), flush=True)
print("uniform log2", -np.log2(N))

# how much of the table's prior mass sits on the training positives (in-sample) vs cross-fitted
s_full = final.decision_function(X)
order = np.argsort(-s_full, kind="stable")[:N]
lp = s_full[order] - np.log(np.exp(s_full[order] - s_full[order].max()).sum()) - s_full[order].max()
inpos = np.isin(order, pos)
print("mass on training positives (full model):", float(np.exp(lp[inpos]).sum()), "of", int(inpos.sum()), "things in top N")
# cross-fitted: each positive scored by the half-model that did not train on it
s_cf = np.zeros(len(things)); parts = []
for tr, te in ((halves[0], halves[1]), (halves[1], halves[0])):
    y = np.zeros(len(things)); y[tr] = 1
    parts.append(PickModel(l2=0.1).fit(X, y).decision_function(X))
s_cf = s_full.copy()
s_cf[halves[1]] = parts[0][halves[1]] - np.median(parts[0]) + np.median(s_full)
s_cf[halves[0]] = parts[1][halves[0]] - np.median(parts[1]) + np.median(s_full)
for name, s in (("full", s_full), ("crossfit", s_cf)):
    o = np.argsort(-s, kind="stable")[:N]
    l = s[o] - (s[o].max() + np.log(np.exp(s[o] - s[o].max()).sum()))
    m = np.isin(o, pos)
    r = np.empty(len(s), int); r[np.argsort(-s, kind="stable")] = np.arange(1, len(s) + 1)
    print(name, "pos mass", round(float(np.exp(l[m]).sum()), 3), "pos in topN", int(m.sum()),
          "| holdout:", json.dumps({k: round(v, 3) for k, v in score(s, hpos).items() if k in ("in_top_n", 1.0, 0.8)}),
          "median rank", float(np.median(r[hpos])), "top500", float((r[hpos] <= 500).mean()))
