"""Ad hoc (docs/default_table.md section 28): a table that measured the top R of its prior, played on
a list nobody tuned for. The path job measures every thing of the prior down to some rank except the
development hold-out; this puts in the path cells section 26 measured for the hold-out things
(docs/experiments/path_cells_holdout.csv: picked by self-play, scored with the bank's main prompt,
never the test answerer) of those hold-out things that rank within R in the table's prior, R = the
lowest prior rank among the table's path-cell things, the way the bank's cells go in
(tables.refine_llm.cell_probability: the main source's calibration, the question's floor; the exact
type's cells to their side of 0.5). Not a default candidate: the goal's hold-out excludes them.

    python docs/experiments/holdout_top_path.py build/candH build/candHR
"""
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, ".")
from planner.table import load_table, make_table, save_table
from planner.types import TYPES_FILE, AnswererType, AnswererTypes, load_types, save_types
from tables import bank_sources as bs
from tables.answer_bank import load_bank
from tables.refine_llm import cell_probability, refine_spec

src, out = sys.argv[1], sys.argv[2]
t = load_table(src)
spec = refine_spec(t)
ty = load_types(f"{src}/{TYPES_FILE}")
row = {n: i for i, n in enumerate(t.names)}
col = {q: j for j, q in enumerate(t.questions["id"].astype(str))}
order = np.argsort(-np.asarray(t.prior), kind="stable")
rank = np.empty(len(order), dtype=np.int64)
rank[order] = np.arange(1, len(order) + 1)
n_path = json.loads((Path(src) / "report.json").read_text())["path_cells"]["keywords"]
path = load_bank(bs.ROOT / bs.path_source()).head(n_path)
R = int(max(rank[row[k]] for k in path.keywords if k in row))
cells = pd.read_csv("docs/experiments/path_cells_holdout.csv")
cells = cells[cells["keyword"].map(lambda k: k in row and rank[row[k]] <= R) & cells["qid"].isin(col)]
things = sorted(set(cells["keyword"]))
k = cells["keyword"].map(row).to_numpy()
q = cells["qid"].map(col).to_numpy()
floor = np.array([spec.floor[x] for x in cells["qid"]])
p = cell_probability(cells["logit"].to_numpy(), spec, floor)
P = np.array(t.P, dtype=np.float32, copy=True)
P[k, q] = p
meta = dict(t.meta)
meta["holdout_top_path"] = {"from": t.hash, "max_rank": R, "things": len(things), "cells": int(len(p))}
t2 = make_table(t.names, P, prior=t.prior, alts=t.keywords["alts"].tolist(),
                categories=t.keywords["category"].tolist() if "category" in t.keywords else None,
                questions=t.questions["text"].tolist(), kinds=t.questions["kind"].tolist(), meta=meta)
t2.questions["id"] = t.questions["id"].tolist()
new = []
for a in ty.types:
    if a.name == "exact":
        v = np.array(a.values, copy=True)
        pos = {int(c): i for i, c in enumerate(a.cols)}
        lo, hi = float(v.min()), float(v.max())
        v[k, [pos[j] for j in q]] = np.where(p >= 0.5, hi, lo).astype(v.dtype)
        a = AnswererType(a.name, a.weight, a.cols, v, a.maps)
    new.append(a)
save_table(t2, out)
save_types(AnswererTypes(new), f"{out}/{TYPES_FILE}")
shutil.copy(f"{src}/report.json", f"{out}/report.json")
print(json.dumps({"out": out, "hash": t2.hash[:8], **meta["holdout_top_path"], "things_list": things}))
