"""Which things a table measured, and what share of a list nobody tuned for that reaches.

A table's natural cells are measured (the main bank's rows, the path cells it took) for the top of
its prior and predicted elsewhere. Live games of the things it measured and of the hold-out (kept
out of every measurement) are combined by the share of the hold-out that lies among measured
neighbours in the prior (planner/list_weight.py; docs/default_table.md section 27):

    list_share(table, holdout)["share"]                 # w
    list_weighted(games, table, label, holdout)         # w, m, h, rate = w m + (1 - w) h
    list_difference(games, (la, ta, wa), (lb, tb, wb))  # a - b, paired bootstrap interval
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tables.answer_bank import ROOT as BANK_ROOT
from tables.answer_bank import load_bank


def measured_keywords(table, root=None) -> set[str]:
    """Names of ``table``'s keywords with measured natural cells: the main bank's (the table's
    refine spec, ``meta["refine"]["measured_keywords"]``) and the path cells it took
    (``meta["report"]["path_cells"]``: the path source's first N keywords)."""
    from tables.refine_llm import refine_spec

    spec = refine_spec(table)
    out = set(spec.measured) if spec is not None else set()
    rep = ((table.meta or {}).get("report") or {}).get("path_cells")
    if rep:
        out |= set(load_bank(Path(root or BANK_ROOT) / rep["source"]).head(int(rep["keywords"])).keywords)
    return out & set(table.names)


def list_share(table, holdout, root=None, half_width: int = 25, measured=None) -> dict:
    """The share of ``holdout`` (a list nobody tuned for) that ``table`` would have measured: each
    hold-out thing (matched to the table's keywords as the referee would; outside the universe: 0)
    counts by the measured share of its prior neighbours (planner.list_weight.measured_share_at).
    ``measured``: :func:`measured_keywords` of the table when the caller has it already.
    Returns share, measured (keywords), holdout, holdout_in_universe, and the shares by hold-out
    thing (``by_thing``: name -> share)."""
    from planner.list_weight import measured_share_at
    from planner.matching import GuessIndex

    held = list(holdout)
    if not held:
        raise ValueError("list_share: empty hold-out list")
    order = np.argsort(-np.asarray(table.prior), kind="stable")
    names = [table.names[i] for i in order]
    meas = measured_keywords(table, root) if measured is None else measured
    index = GuessIndex(held, [[] for _ in held])
    hits = [index.matches(str(k)) for k in names]
    rank = np.full(len(held), np.inf)
    for r, js in enumerate(hits, start=1):
        for j in js:
            rank[j] = min(rank[j], r)
    at = measured_share_at(np.array([k in meas for k in names]), np.array([bool(js) for js in hits]), rank,
                           half_width)
    return {"share": float(at.mean()), "measured": len(meas), "holdout": len(held),
            "holdout_in_universe": int(np.isfinite(rank).sum()), "by_thing": dict(zip(held, at.tolist()))}


def list_weighted(games, table, label: str, holdout) -> dict:
    """The list-weighted solve rate of ``table``'s live games (the rows of games.csv whose table
    column is ``label``; planner.list_weight): w (:func:`list_share` of ``holdout``), m, n_m, h, n_h
    and rate = w m + (1 - w) h. ValueError when the games hold no measured thing or no hold-out."""
    from planner.list_weight import game_rates, list_weighted_rate

    meas = measured_keywords(table)
    r = game_rates(games, label, meas)
    w = list_share(table, holdout, measured=meas)["share"]
    return {"w": w, **r, "rate": list_weighted_rate(r["m"], r["h"], w)}


def list_difference(games, a, b, holdout_set: str = "hold-out", n_boot: int = 4000, seed: int = 0) -> dict:
    """The paired bootstrap of two tables' list-weighted rates (planner.list_weight.bootstrap_difference)
    on the games both played. ``a``, ``b``: (label, table, w) each, w from :func:`list_weighted`."""
    from planner.list_weight import bootstrap_difference
    from planner.paired import paired_frames

    ga, gb = paired_frames(games, a[0], b[0])
    hold = ga.index.get_level_values(0).to_numpy() == holdout_set
    words = pd.Series(ga.index.get_level_values(1)).astype(str).str.lower().to_numpy()
    flags = [(x["solved"].astype(bool).to_numpy(),
              ~hold & np.isin(words, [k.lower() for k in measured_keywords(table)]))
             for x, (_, table, _) in ((ga, a), (gb, b))]
    return bootstrap_difference(flags[0][0], flags[1][0], flags[0][1], flags[1][1], hold, a[2], b[2],
                                n_boot=n_boot, seed=seed)
