"""The development hold-out against a table that measured the top of its prior.

The path job (tables/path_cells.py) measures the things of a table's prior in order, down to some
rank, except the development hold-out: the issue's hold-out goal is about things nothing measured.
A real list nobody tuned for is not skipped, though: whatever of it lies in the top R is measured
when the job has reached R. This module builds that table for the hold-out, so a list nobody tuned
for can be played against it (docs/default_table.md section 28): the path cells section 26 measured
for the hold-out things (``HOLDOUT_CELLS``: picked by the agent's self-play, scored with the bank's
main prompt as raw yes-vs-no margins, never the test answerer's replies) go in for the hold-out
things that rank within R in the table's prior, R by default the table's own path reach (the lowest
prior rank among its path-cell things), the way the table's bank and path cells went in
(:func:`tables.refine_llm.cell_probability`: the main source's calibration, the question's floor),
and the ``exact`` type answers them by their side of 0.5.

Not a way to build a default: tables with these cells are for evaluation only.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from tables.prior_model import ranks as prior_ranks       # 1 = most probable, ties by index

ROOT = Path(__file__).resolve().parents[1]
HOLDOUT_CELLS = ROOT / "docs" / "experiments" / "path_cells_holdout.csv"   # section 26's measurement
COLUMNS = ("keyword", "qid", "logit")


def path_reach(table, keywords) -> int:
    """The lowest prior rank (the largest rank number) in ``table`` among ``keywords`` (the things
    whose path cells the table holds); ValueError when none of them is a row of the table."""
    row = {n: i for i, n in enumerate(table.names)}
    inside = [row[k] for k in keywords if k in row]
    if not inside:
        raise ValueError(f"none of the {len(list(keywords))} path keyword(s) is a row of the table")
    return int(prior_ranks(table.prior)[inside].max())


def read_cells(path=HOLDOUT_CELLS) -> pd.DataFrame:
    """The measured cells file (csv: keyword, qid, logit = the scorer's raw yes-vs-no margin).
    ValueError naming the file, row and value on a missing column or a logit that is not finite."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: no such file")
    df = pd.read_csv(path, dtype={"keyword": str, "qid": str}, keep_default_na=False)
    if missing := [c for c in COLUMNS if c not in df.columns]:
        raise ValueError(f"{path}: missing column(s) {missing} (need {list(COLUMNS)})")
    logit = pd.to_numeric(df["logit"], errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(~np.isfinite(logit))
    if len(bad):
        i = int(bad[0])
        raise ValueError(f"{path}: row {i + 2} (keyword {df['keyword'].iloc[i]!r}): logit {df['logit'].iloc[i]!r} is not a finite number")
    return pd.DataFrame({"keyword": df["keyword"], "qid": df["qid"], "logit": logit})


def top_cells(table, cells: pd.DataFrame, max_rank: int) -> pd.DataFrame:
    """The rows of ``cells`` whose keyword is a row of ``table`` ranked within ``max_rank`` of its
    prior and whose qid is a question the table's refine spec floors (the natural questions the bank
    asks); one row a (keyword, qid), the first kept."""
    from tables.refine_llm import refine_spec

    spec = refine_spec(table)
    if spec is None:
        raise ValueError("the table has no refine spec (meta['refine']): it was not built from a bank")
    row = {n: i for i, n in enumerate(table.names)}
    ids = set(table.questions["id"].astype(str)) if "id" in table.questions else set()
    rank = prior_ranks(table.prior)
    keep = cells["keyword"].map(lambda k: k in row and rank[row[k]] <= max_rank) \
        & cells["qid"].map(lambda q: q in ids and q in spec.floor)
    return cells[keep].drop_duplicates(["keyword", "qid"]).reset_index(drop=True)


def with_measured(table, types, cells: pd.DataFrame):
    """(table, types): copies with ``cells`` (keyword, qid, logit; every keyword a row, every qid a
    floored question: :func:`top_cells`) put in as the table's bank cells are; the ``exact`` type
    answers them by their side of 0.5 (its own lowest and highest value). ``types`` may be None; a
    type with maps (bias types) is refused rather than guessed at."""
    from planner.table import with_P
    from planner.types import AnswererType, AnswererTypes
    from tables.refine_llm import cell_probability, refine_spec

    spec = refine_spec(table)
    if spec is None:
        raise ValueError("the table has no refine spec (meta['refine']): it was not built from a bank")
    row = {n: i for i, n in enumerate(table.names)}
    qids = table.questions["id"].astype(str).tolist()
    col = {q: j for j, q in enumerate(qids)}
    k = cells["keyword"].map(row).to_numpy()
    q = cells["qid"].map(col).to_numpy()
    if pd.isna(k).any() or pd.isna(q).any():
        raise ValueError("cells name a keyword or question the table lacks (select them with top_cells)")
    k, q = k.astype(np.int64), q.astype(np.int64)
    p = cell_probability(cells["logit"].to_numpy(np.float64), spec, np.array([spec.floor[qids[j]] for j in q]))
    P = np.array(table.P, dtype=np.float32, copy=True)
    P[k, q] = p
    meta = dict(table.meta or {})
    meta["holdout_cells"] = {"from": table.hash, "things": int(len(set(k.tolist()))), "cells": int(len(p))}
    t2 = with_P(table, P, meta)
    if types is None:
        return t2, None
    new = []
    for ty in types.types:
        if ty.maps:
            raise ValueError(f"type {ty.name!r} has maps (bias types): not supported here")
        if ty.name == "exact" and len(ty.cols):
            pos = {int(c): i for i, c in enumerate(ty.cols)}
            if not all(int(j) in pos for j in q):
                raise ValueError("the exact type does not answer every question of the cells")
            v = np.array(ty.values, dtype=np.float32, copy=True)
            lo, hi = float(v.min()), float(v.max())          # its no and yes (stored softened, e.g. 0.01 / 0.99)
            v[k, [pos[int(j)] for j in q]] = np.where(p >= 0.5, hi, lo).astype(np.float32)
            ty = AnswererType(ty.name, ty.weight, ty.cols, v, ty.maps)
        new.append(ty)
    types2 = AnswererTypes(new)
    types2.check(t2)
    return t2, types2


def holdout_top_table(table_dir, out_dir, cells_path=HOLDOUT_CELLS, max_rank: int | None = None, bank_root=None) -> dict:
    """Write ``out_dir``: the table of ``table_dir`` with the hold-out cells of the things ranked
    within ``max_rank`` (default the table's path reach: its report's path_cells keywords of the
    path source) and its types; report.json copied. The tree is not copied (refit it: the hold-out
    cells change the questions). Returns what was done."""
    import shutil

    from planner.table import load_table, save_table
    from planner.types import TYPES_FILE, load_types, save_types

    table_dir, out_dir = Path(table_dir), Path(out_dir)
    table = load_table(table_dir)
    report_path = table_dir / "report.json"
    if max_rank is None:
        from tables import bank_sources as bs
        from tables.answer_bank import load_bank

        rep = json.loads(report_path.read_text()) if report_path.exists() else {}
        n = (rep.get("path_cells") or {}).get("keywords")
        if not n:
            raise ValueError(f"{report_path}: no path_cells in the table's report; give max_rank")
        root = Path(bank_root) if bank_root else bs.ROOT
        max_rank = path_reach(table, load_bank(root / bs.path_source()).head(int(n)).keywords)
    cells = top_cells(table, read_cells(cells_path), max_rank)
    types_path = table_dir / TYPES_FILE
    types = load_types(types_path, table) if types_path.exists() else None
    t2, types2 = with_measured(table, types, cells)
    from tables.default_table import repo_path

    t2.meta["holdout_cells"].update(max_rank=int(max_rank), cells_file=repo_path(cells_path))
    save_table(t2, out_dir)
    if types2 is not None:
        save_types(types2, out_dir / TYPES_FILE)
    if report_path.exists():
        shutil.copy(report_path, out_dir / "report.json")
    return {"out": str(out_dir), "hash": t2.hash, "max_rank": int(max_rank), "things": sorted(set(cells["keyword"])),
            "cells": int(len(cells))}
