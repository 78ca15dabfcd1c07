"""Does shrinking a measured cell toward the completion's prediction predict ANOTHER prompt better?
The main prompt's cells, blended in logit space with the completion trained on the main prompt alone
(out of fold, keyword folds), against the second bank prompt's answers (docs/default_table.md 32).

    python docs/experiments/measured_shrink.py
"""
import json
import sys

import numpy as np

sys.path.insert(0, ".")
from tables import bank_sources as bs
from tables.answer_table import bank_cells
from tables.completion import MODELS, cross_validate, logit, sigmoid, log_loss
from tables.embeddings import COMPLETION_SOURCE, ROOT as EMB_ROOT, load_embeddings
from tables.noise import auc
from tables.question_bank import question_bank

main_name, others, banks, cals = bs.table_banks(bs.ROOT)
nat = question_bank(kinds=("natural",)); qids = nat["id"].tolist()
names, Z = load_embeddings(EMB_ROOT / COMPLETION_SOURCE); zrow = {k: i for i, k in enumerate(names)}
main, cal_main = banks[main_name], cals[main_name]
kws = [k for k in main.keywords if k in zrow]
S, _ = bank_cells(kws, qids, [(main, cal_main)])
full = ~np.isnan(S).any(axis=1); kws = [k for k, f in zip(kws, full) if f]; S = S[full]
X = Z[[zrow[k] for k in kws]]
res = cross_validate(lambda: MODELS["kernel"](seed=0), X, S, folds=5, seed=0)
oof = res["oof"]
other, cal_o = banks[others[0]], cals[others[0]]
So, no = bank_cells(kws, qids, [(other, cal_o)]); m = no > 0
y = (So[m] >= 0.5).astype(int)
out = {"main": main_name, "other": others[0], "cells": int(m.sum())}
for a in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.0):
    p = sigmoid(a * logit(S) + (1 - a) * logit(oof))[m]
    out[f"a={a}"] = {"auc": round(float(auc(p, y)), 4), "log_loss": round(float(log_loss(p, y)), 4),
                     "other_side": round(float(((p >= 0.5) != y).mean()), 4)}
print(json.dumps(out, indent=1))
