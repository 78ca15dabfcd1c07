"""tables/answer_table.py: the default table's columns."""
import numpy as np
import pandas as pd
import pytest

from tables.answer_bank import Bank
from tables.answer_table import (answerer_types, bank_cells, disagreement_floor, letter_columns, natural_columns,
                                 question_floor)


def test_disagreement_floor():
    assert disagreement_floor(np.array([1.0, 0.82, 0.5, 0.3])).round(6).tolist() == [0.0, 0.1, 0.5, 0.5]
    e = 0.13
    assert disagreement_floor((1 - e) ** 2 + e ** 2) == pytest.approx(e)


def test_question_floor_shrinks_to_topic():
    per = pd.DataFrame({"qid": ["a", "b", "c"], "cells": [100, 20, 0], "agreement": [0.98, 0.62, np.nan]})
    e = question_floor(per, ["a", "b", "c", "d"], ["x", "x", "x", "y"], prior_cells=20)
    pooled = (0.98 * 100 + 0.62 * 20) / 120
    a_a = (0.98 * 100 + pooled * 20) / 120
    assert e[0] == pytest.approx(disagreement_floor(a_a))
    assert e[2] == pytest.approx(disagreement_floor(pooled))        # unmeasured: its topic's pooled rate
    assert e[3] == pytest.approx(disagreement_floor(pooled))        # unknown topic: all questions pooled
    assert e[1] > e[0] and (e >= 0.01).all()
    with pytest.raises(ValueError, match="no measured floor"):      # nothing shared: no made-up floor
        question_floor(per.iloc[2:], ["a", "c"], ["x", "x"])


def bank(name, kws, qids, L):
    return Bank(name, kws, qids, np.asarray(L, np.float32), {})


def test_bank_cells_average_calibrated_sources():
    a = bank("a", ["x", "y"], ["q1", "q2"], [[0.0, 2.0], [np.nan, -2.0]])
    b = bank("b", ["y", "z"], ["q2", "q1"], [[0.0, 1.0], [4.0, 4.0]])
    S, n = bank_cells(["x", "y", "w"], ["q1", "q2"], [(a, None), (b, lambda p: np.full_like(p, 0.9))])
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    assert n.tolist() == [[1, 1], [1, 2], [0, 0]]
    assert S[0].tolist() == pytest.approx([0.5, sig(2.0)])
    assert S[1, 0] == pytest.approx(0.9) and S[1, 1] == pytest.approx((sig(-2.0) + 0.9) / 2)
    assert np.isnan(S[2]).all()


def test_natural_columns_fill_and_floor():
    class Model:
        def predict_proba(self, X):
            return np.full((len(X), 2), 0.999)

    a = bank("a", ["x"], ["q1", "q2"], [[-10.0, np.nan]])
    P, origin = natural_columns(["x", "y"], ["q1", "q2"], np.zeros((2, 3)), [(a, None)], Model(), [0.05, 0.2])
    assert origin.tolist() == [[1, 0], [0, 0]]
    np.testing.assert_allclose(P, [[0.05, 0.8], [0.95, 0.8]], rtol=1e-6)


def test_letter_columns_and_types():
    names = ["apple", "banana", "cherry", "avocado", "blueberry", "cranberry", "apricot", "bean", "corn", "date",
             "elderberry", "fig"]
    prior = np.ones(len(names))
    qs, F, P = letter_columns(names, prior, {"spelling": (0.8, 0.6), "alpha": (0.5, 0.48)}, n_alpha=7, min_count=2)
    assert set(qs["kind"]) == {"spelling", "alpha"} and F.shape == P.shape == (12, len(qs))
    first_a = qs.index[qs["id"] == "spell:range:a-b"][0]
    assert F[:, first_a].tolist() == [1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0]
    assert set(np.round(P[:, first_a].astype(float), 6).tolist()) == {0.8, 0.4}  # t1, 1 - t0
    alpha = (qs["kind"] == "alpha").to_numpy()
    assert np.allclose(P[:, alpha], 0.5 * (0.5 + 1 - 0.48))             # t1 + t0 < 1: uninformative
    from planner.table import make_table

    t = make_table(names, P, questions=qs["text"].tolist(), kinds=qs["kind"].tolist())
    ty = answerer_types(t, F, np.arange(len(qs)))
    assert ty.names == ["llm", "exact"] and ty.prior.tolist() == pytest.approx([0.8, 0.2])
    ex = ty.matrix(t, 1)
    assert set(np.round(ex.ravel().astype(float), 6).tolist()) == {0.01, 0.99}
    np.testing.assert_array_equal(ex[:, first_a] > 0.5, F[:, first_a] > 0.5)   # letters: the exact features
    np.testing.assert_array_equal(ty.matrix(t, 0), t.P)
