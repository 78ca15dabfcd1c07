"""tables/holdout_path.py: the hold-out's measured cells put into a table that measured the top R of
its prior, the way its bank cells went in; only the things within R change."""
import json

import numpy as np
import pandas as pd
import pytest

from planner.table import load_table, make_table, save_table
from planner.types import TYPES_FILE, load_types, save_types
from tables.answer_table import answerer_types
from tables.holdout_path import holdout_top_table, path_reach, prior_ranks, read_cells, top_cells, with_measured
from tables.refine_llm import RefineSpec, cell_probability

SPEC = RefineSpec("qf_sub", "src", 2.0, -0.5, {"n1": 0.05, "n2": 0.1}, ["apple"], bank_map=None)
NAMES = ["apple", "hammer", "violin", "tiger", "kettle"]
PRIOR = [0.30, 0.25, 0.20, 0.15, 0.10]                     # ranks 1..5 in order


def _table():
    qs = ["Is it alive?", "Is it made of metal?", "Does the keyword start with the letter A?"]
    P = np.full((5, 3), 0.3, np.float32)
    t = make_table(NAMES, P, prior=PRIOR, questions=qs, kinds=["natural", "natural", "spelling"],
                   meta={"refine": SPEC.to_meta()})
    t.questions["id"] = ["n1", "n2", "s1"]
    return t


def _cells():
    return pd.DataFrame({"keyword": ["violin", "violin", "tiger", "kettle", "violin", "nobody", "violin"],
                         "qid": ["n1", "n2", "n1", "n1", "s1", "n1", "n1"],
                         "logit": [3.0, -4.0, 1.0, 5.0, 2.0, 1.0, -9.0]})


def test_prior_ranks_and_path_reach():
    assert prior_ranks([0.1, 0.4, 0.4, 0.1]).tolist() == [3, 1, 2, 4]       # ties by index
    t = _table()
    assert path_reach(t, ["hammer", "tiger", "not-a-row"]) == 4
    with pytest.raises(ValueError, match="none of the 1 path keyword"):
        path_reach(t, ["not-a-row"])


def test_top_cells_keeps_floored_questions_of_things_within_r_once():
    got = top_cells(_table(), _cells(), max_rank=4)
    # kettle (rank 5) out, the spelling question (no floor) out, an unknown keyword out, violin/n1 once
    assert list(zip(got.keyword, got.qid, got.logit)) == [("violin", "n1", 3.0), ("violin", "n2", -4.0), ("tiger", "n1", 1.0)]


def test_with_measured_matches_cell_probability_and_moves_nothing_else():
    t = _table()
    types = answerer_types(t, np.zeros((5, 1)), [2])
    cells = top_cells(t, _cells(), 4)
    t2, ty2 = with_measured(t, types, cells)
    want = cell_probability(np.array([3.0, -4.0, 1.0]), SPEC, np.array([0.05, 0.1, 0.05]))
    P, P2 = np.asarray(t.P), np.asarray(t2.P)
    np.testing.assert_allclose(P2[[2, 2, 3], [0, 1, 0]], want, rtol=1e-6)
    changed = np.argwhere(P2 != P)
    assert sorted(map(tuple, changed.tolist())) == [(2, 0), (2, 1), (3, 0)]
    assert t2.meta["holdout_cells"] == {"from": t.hash, "things": 2, "cells": 3}
    assert t2.meta["refine"] == t.meta["refine"] and t2.questions["id"].tolist() == ["n1", "n2", "s1"]
    ex, ex2 = np.asarray(types.types[1].values), np.asarray(ty2.types[1].values)
    lo, hi = float(ex.min()), float(ex.max())
    assert ex2[2, 0] == hi and ex2[2, 1] == lo and ex2[3, 0] == hi      # the side of 0.5 of each new cell
    mask = np.ones_like(ex, bool)
    mask[[2, 2, 3], [0, 1, 0]] = False
    np.testing.assert_array_equal(ex2[mask], ex[mask])


def test_with_measured_refuses_what_it_cannot_do():
    t = _table()
    with pytest.raises(ValueError, match="keyword or question the table lacks"):
        with_measured(t, None, pd.DataFrame({"keyword": ["nobody"], "qid": ["n1"], "logit": [1.0]}))
    bare = make_table(NAMES, np.asarray(t.P), prior=PRIOR, questions=t.questions["text"].tolist())
    with pytest.raises(ValueError, match="no refine spec"):
        with_measured(bare, None, _cells().head(1))


def test_read_cells_names_file_row_and_value(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("keyword,qid,logit\nviolin,n1,1.5\ntiger,n2,oops\n")
    with pytest.raises(ValueError, match=r"c.csv: row 3 \(keyword 'tiger'\): logit 'oops' is not a finite number"):
        read_cells(f)
    f.write_text("keyword,logit\nviolin,1\n")
    with pytest.raises(ValueError, match=r"missing column\(s\) \['qid'\]"):
        read_cells(f)
    f.write_text("keyword,qid,logit\nviolin,n1,1.5\n")
    assert read_cells(f).logit.tolist() == [1.5]


def test_holdout_top_table_writes_a_loadable_table_at_the_given_rank(tmp_path):
    t = _table()
    save_table(t, tmp_path / "t")
    save_types(answerer_types(t, np.zeros((5, 1)), [2]), tmp_path / "t" / TYPES_FILE)
    (tmp_path / "t" / "report.json").write_text(json.dumps({"x": 1}))
    f = tmp_path / "c.csv"
    _cells().to_csv(f, index=False)
    res = holdout_top_table(tmp_path / "t", tmp_path / "o", f, max_rank=3)
    assert res["things"] == ["violin"] and res["cells"] == 2 and res["max_rank"] == 3
    t2 = load_table(tmp_path / "o")
    assert t2.hash == res["hash"] != t.hash and t2.meta["holdout_cells"]["max_rank"] == 3
    load_types(tmp_path / "o" / TYPES_FILE, t2).check(t2)
    assert json.loads((tmp_path / "o" / "report.json").read_text()) == {"x": 1}
    with pytest.raises(ValueError, match="no path_cells in the table's report"):
        holdout_top_table(tmp_path / "t", tmp_path / "o2", f)
