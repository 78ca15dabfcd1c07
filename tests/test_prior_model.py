"""tables/prior_model.py: the learned pick-prior."""
import numpy as np
import pandas as pd
import pytest

from tables.prior_model import PickModel, halves_cv, ranks, word_features


def test_pick_model_finds_the_signal_and_cv_ranks_held_out_positives_high():
    rng = np.random.default_rng(0)
    n, F = 5000, 10
    X = rng.normal(size=(n, F))
    logit = 2.5 * X[:, 0] - 1.5 * X[:, 1] - 9
    pos = np.flatnonzero(rng.random(n) < 1 / (1 + np.exp(-logit)))
    assert 20 < len(pos) < 300
    res = halves_cv(lambda: PickModel(), X, pos)
    assert res["n"] == len(pos)
    assert res["median_rank"] < 500              # random ranking: ~2,500
    y = np.zeros(n); y[pos] = 1
    m = PickModel().fit(X, y)
    assert m.converged_ and m.coef_[0] > 0 and m.coef_[1] < 0 and abs(m.coef_[5]) < abs(m.coef_[0]) / 3
    lp = m.log_prior(X)
    assert np.exp(lp).sum() == pytest.approx(1.0)


def test_ranks_and_errors():
    assert ranks(np.array([0.1, 0.9, 0.5])).tolist() == [3, 1, 2]
    with pytest.raises(ValueError, match="both classes"):
        PickModel().fit(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(RuntimeError, match="not fitted"):
        PickModel().decision_function(np.zeros((1, 2)))


def test_word_features():
    things = pd.DataFrame({"keyword": ["apple", "Dog bed", "x2 widget thing"], "category": ["food", "artifact", "artifact"],
                           "prior": [1e-3, 1e-4, 0.0]})
    f = word_features(things, ratings={"apple": 5.0, "bed": 4.8})
    lower = word_features(things.assign(keyword=things["keyword"].str.lower()), ratings={"apple": 5.0, "bed": 4.8})
    pd.testing.assert_frame_equal(f, lower)  # letter case never matters (no Kaggle Title Case leak)
    assert f["conc"].tolist() == [5.0, 4.8, 3.0]
    assert f["n_words"].tolist() == [1, 2, 3] and "has_upper" not in f
    assert f["has_digit"].tolist() == [0, 0, 1] and {"cat_food", "cat_artifact"} <= set(f.columns)
    assert f["zipf"].iloc[0] > f["zipf"].iloc[2] and np.isfinite(f["log_prior"]).all()
