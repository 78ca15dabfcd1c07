"""Tests of the prior: features, formula, split, report and tuning."""
import numpy as np
import pandas as pd
import pytest

from tables import prior as pr
from tables import universe as uni
from tables.wordnet import load_wordnet
from tests.test_tables_wordnet import write_fake_wordnet


def feat_frame(**cols):
    n = len(next(iter(cols.values())))
    base = {"zipf": np.zeros(n), "conc": np.full(n, 3.0), "part": np.zeros(n), "n_words": np.ones(n, int),
            "tag": np.zeros(n), "head": np.zeros(n), "place": np.zeros(n), "logpop": np.zeros(n),
            "category": ["artifact"] * n}
    base.update(cols)
    return pd.DataFrame(base)


def test_log_score_hand_values():
    f = feat_frame(zipf=np.array([0.0, 3.0]), conc=np.array([3.0, 4.0]), n_words=np.array([1, 3]))
    p = {k: 0.0 for k in pr.PRIOR_PARAMS}
    p.update(a_zipf=1.0, a_conc=2.0, a_words=-1.0, cat_artifact=0.5)
    s = pr.log_score(f, p)
    assert s == pytest.approx([pr.ZIPF_FLOOR + 0.5, 3.0 + 2.0 - 2.0 + 0.5])
    prior = pr.compute_prior(f, p)
    assert prior.sum() == pytest.approx(1.0) and prior[1] / prior[0] == pytest.approx(np.exp(s[1] - s[0]))


def test_split_half_is_fixed_and_disjoint():
    a, b = pr.split_half(11, seed=0)
    a2, b2 = pr.split_half(11, seed=0)
    assert (a == a2).all() and (b == b2).all() and len(a) == 6 and len(b) == 5
    assert sorted(np.concatenate([a, b]).tolist()) == list(range(11))


def test_prior_report_hand_case():
    prior = np.array([0.4, 0.3, 0.2, 0.1])
    r = pr.prior_report(prior, [1, 3])
    assert r["median_rank"] == 3.0 and r["mass"] == pytest.approx(0.4) and r["median_percentile"] == pytest.approx(25.0)


def test_tune_improves_target_likelihood():
    rng = np.random.default_rng(0)
    f = feat_frame(zipf=rng.uniform(0, 6, 200), conc=rng.uniform(1, 5, 200))
    idx = np.argsort(-f["conc"].to_numpy())[:20]          # targets are the most concrete
    p0 = {**pr.PRIOR_PARAMS, "a_conc": 0.0}
    p1 = pr.tune(f, idx, p0, names=("a_conc",), sweeps=1)
    assert p1["a_conc"] > 0
    assert np.log(pr.compute_prior(f, p1)[idx]).mean() > np.log(pr.compute_prior(f, p0)[idx]).mean()


def test_prior_features_on_fake_wordnet(tmp_path):
    wn = load_wordnet(write_fake_wordnet(tmp_path / "wn"))
    es = [uni.entry("lid", "artifact", "wordnet", senses=((9, 1.0),)),
          uni.entry("dog", "animal", "wordnet", senses=((7, 1.0),)),
          uni.entry("dog bowl", "artifact", "concreteness", senses=((5, 1.0),), head_derived=True),
          uni.entry("Paris", "city", "geonames", population=2e6)]
    df = uni.merge(es)
    f = pr.prior_features(df, wn, {"dog": 4.9, "bowl": 4.2})
    f.index = df["keyword"]
    assert f.loc["lid", "part"] == 1 and f.loc["dog", "part"] == 0
    assert f.loc["dog", "conc"] == 4.9 and f.loc["dog bowl", "conc"] == 4.2    # head word's rating
    assert f.loc["lid", "conc"] == pr.CONC_DEFAULT["artifact"]
    assert f.loc["dog", "tag"] == 5 and f.loc["dog bowl", "n_words"] == 2 and f.loc["dog bowl", "head"] == 1
    assert f.loc["Paris", "logpop"] == pytest.approx(np.log10(2e6) - 6) and f.loc["dog", "logpop"] == 0
