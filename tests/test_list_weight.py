"""planner/list_weight.py: the measured share of a hold-out thing's prior neighbours, the two solve
rates of a table's games, the list-weighted rate; tables.measured.list_share on a table whose
bank and path keywords are known."""
import json

import numpy as np
import pandas as pd
import pytest

from planner.list_weight import game_rates, list_weighted_rate, measured_share_at


def _naive_share(measured, holdout, ranks, hw):
    out = []
    for r in ranks:
        if not np.isfinite(r):
            out.append(0.0)
            continue
        near = [i for i in range(len(measured)) if abs((i + 1) - r) <= hw and not holdout[i]]
        out.append(sum(measured[i] for i in near) / len(near) if near else 0.0)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("hw", [0, 1, 3, 25])
def test_measured_share_matches_a_naive_loop(seed, hw):
    rng = np.random.default_rng(seed)
    K = 40
    measured = rng.random(K) < np.linspace(0.95, 0.05, K)       # measuring thins down the prior
    holdout = rng.random(K) < 0.2
    ranks = np.concatenate([rng.integers(1, K + 1, 12).astype(float), [np.inf, np.nan]])
    got = measured_share_at(measured, holdout, ranks, half_width=hw)
    np.testing.assert_allclose(got, _naive_share(measured, holdout, ranks, hw))


def test_measured_share_hand_cases_and_errors():
    # ranks 1-4 measured, 5 hold-out, 6-8 not measured: a hold-out thing at rank 5 sits on the edge
    m = [1, 1, 1, 1, 0, 0, 0, 0]
    h = [0, 0, 0, 0, 1, 0, 0, 0]
    assert measured_share_at(m, h, [5], half_width=1).tolist() == [0.5]       # ranks 4 and 6
    assert measured_share_at(m, h, [5], half_width=3).tolist() == [0.5]       # 2, 3, 4 against 6, 7, 8
    assert measured_share_at(m, h, [1, 8], half_width=2).tolist() == [1.0, 0.0]
    assert measured_share_at([0, 1], [1, 1], [1], half_width=1).tolist() == [0.0]   # no other thing near
    with pytest.raises(ValueError, match="equal 1-d shapes"):
        measured_share_at([1, 0], [0], [1])
    with pytest.raises(ValueError, match=r"ranks must lie in \[1, 2\]"):
        measured_share_at([1, 0], [0, 0], [3])
    with pytest.raises(ValueError, match="half_width"):
        measured_share_at([1, 0], [0, 0], [1], half_width=-1)


def test_list_weighted_rate():
    assert list_weighted_rate(0.6, 0.3, 0.0) == pytest.approx(0.3)
    assert list_weighted_rate(0.6, 0.3, 1.0) == pytest.approx(0.6)
    assert list_weighted_rate(0.6, 0.2, 0.25) == pytest.approx(0.3)
    with pytest.raises(ValueError, match="w must be in"):
        list_weighted_rate(0.5, 0.5, 1.5)


def test_game_rates_split_measured_things_from_the_holdout():
    g = pd.DataFrame({
        "table": ["T"] * 6 + ["U"],
        "keywords": ["in-bank public", "in-bank public", "path public", "path public", "hold-out", "hold-out",
                     "hold-out"],
        "keyword": ["Apple", "pear", "Fig", "kiwi", "plum", "lime", "plum"],
        "solved": [True, False, True, True, False, True, True],
    })
    r = game_rates(g, "T", {"apple", "Pear", "fig"})          # kiwi was played but T never measured it
    assert r == {"m": pytest.approx(2 / 3), "n_m": 3, "h": 0.5, "n_h": 2}
    twice = pd.concat([g, g.iloc[[4]].assign(solved=True)], ignore_index=True)   # plum replayed: last game counts
    assert game_rates(twice, "T", {"apple"})["h"] == 1.0
    with pytest.raises(ValueError, match="no games of table 'V'"):
        game_rates(g, "V", {"apple"})
    with pytest.raises(ValueError, match="0 games of measured things"):
        game_rates(g, "T", {"nothing"})


def test_list_share_counts_bank_and_path_keywords_of_the_table(tmp_path):
    from planner.synthetic import make_synthetic
    from tables.measured import list_share, measured_keywords
    from tables.refine_llm import REFINE_VERSION

    t = make_synthetic(30, 6, noise=0.1, seed=0, prior_skew=1.0)
    order = np.argsort(-t.prior, kind="stable")
    by_rank = [t.names[i] for i in order]
    # bank: ranks 1-6 (rank 4 is a hold-out thing), path: the path source's first 3 = ranks 7-9
    bank = [k for r, k in enumerate(by_rank[:6], start=1) if r != 4]
    src = tmp_path / "path-src"
    (src / "shards").mkdir(parents=True)
    (src / "source.json").write_text(json.dumps({"version": 1, "source": "path-src", "spec": {}}))
    keep = by_rank[6:11]
    np.savez(src / "shards" / "00000-a.npz", keywords=np.array(keep), qids=np.array(["q0"] * 5),
             logit=np.zeros(5, dtype=np.float16), version=1)
    t.meta = {"refine": {"version": REFINE_VERSION, "prompt": "p", "source": "s", "calibration": [1, 0],
                         "floor": {}, "measured_keywords": bank + ["not in the table"]},
              "report": {"path_cells": {"source": "path-src", "keywords": 3}}}
    assert measured_keywords(t, tmp_path) == set(bank) | set(by_rank[6:9])
    holdout = [by_rank[3], by_rank[25], "Not A Thing Of The Table"]
    d = list_share(t, holdout, tmp_path, half_width=2)
    # rank 4: neighbours 2, 3, 5, 6 all measured; rank 26: 24-28 none; outside the universe: 0
    assert d["by_thing"] == {by_rank[3]: 1.0, by_rank[25]: 0.0, "Not A Thing Of The Table": 0.0}
    assert d["share"] == pytest.approx(1 / 3) and d["holdout_in_universe"] == 2 and d["measured"] == 8


def test_bootstrap_difference_hand_cases():
    from planner.list_weight import bootstrap_difference

    hold = np.array([0, 0, 0, 0, 1, 1, 1, 1], bool)
    sa = np.array([1, 1, 0, 1, 1, 0, 0, 1], bool)
    sb = np.array([1, 0, 0, 1, 0, 0, 0, 1], bool)
    ma = np.array([1, 1, 1, 0, 0, 0, 0, 0], bool)          # a measured three things, b two
    mb = np.array([1, 1, 0, 0, 0, 0, 0, 0], bool)
    d = bootstrap_difference(sa, sb, ma, mb, hold, 0.3, 0.2, n_boot=500)
    want = list_weighted_rate(2 / 3, 0.5, 0.3) - list_weighted_rate(1 / 2, 0.25, 0.2)
    assert d["diff"] == pytest.approx(want)
    assert d["ci95"][0] <= d["diff"] <= d["ci95"][1] and 0.0 <= d["share_le0"] < 0.5
    same = bootstrap_difference(sa, sa, ma, ma, hold, 0.3, 0.3, n_boot=200)
    assert same["diff"] == 0.0 and same["ci95"] == [0.0, 0.0] and same["share_le0"] == 1.0
    all_a = bootstrap_difference(~hold | hold, np.zeros(8, bool), ma, mb, hold, 0.3, 0.3, n_boot=200)
    assert all_a["ci95"][0] == pytest.approx(1.0) and all_a["share_le0"] == 0.0     # a solves all, b none
    assert bootstrap_difference(sa, sb, ma, mb, hold, 0.3, 0.2, n_boot=300, seed=4) == \
        bootstrap_difference(sa, sb, ma, mb, hold, 0.3, 0.2, n_boot=300, seed=4)
    with pytest.raises(ValueError, match="hold-out game counted as measured"):
        bootstrap_difference(sa, sb, ma | hold, mb, hold, 0.3, 0.2)
    with pytest.raises(ValueError, match="both hold-out games and other games"):
        bootstrap_difference(sa, sb, ma, mb, np.zeros(8, bool), 0.3, 0.2)
