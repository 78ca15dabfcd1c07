"""Does shrinking a measured cell toward the completion's prediction predict ANOTHER prompt better?
The main prompt's cells, blended in logit space with the completion trained on the main prompt alone
(out of fold, keyword folds), against the second bank prompt's answers (docs/default_table.md 32).

    python docs/experiments/measured_shrink.py
"""
import json
import sys

sys.path.insert(0, ".")
from tables.completion import MODELS, cross_validate, logit, sigmoid, log_loss
from tables.cross_prompt import main_prompt_cells, other_prompt_cells
from tables.noise import auc

cells = main_prompt_cells()
S = cells.S
oof = cross_validate(lambda: MODELS["kernel"](seed=0), cells.X, S, folds=5, seed=0)["oof"]
So, m = other_prompt_cells(cells)
y = (So[m] >= 0.5).astype(int)
out = {"main": cells.source, "other": cells.others[0], "cells": int(m.sum())}
for a in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.0):
    p = sigmoid(a * logit(S) + (1 - a) * logit(oof))[m]
    out[f"a={a}"] = {"auc": round(float(auc(p, y)), 4), "log_loss": round(float(log_loss(p, y)), 4),
                     "other_side": round(float(((p >= 0.5) != y).mean()), 4)}
print(json.dumps(out, indent=1))
