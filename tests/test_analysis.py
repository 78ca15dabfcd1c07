import numpy as np
import pytest

from planner.analysis import (analyze, answer_matrix, effective_noise, noisy_channel_bound,
                              simulate_from_root)
from planner.policy import make_policy
from planner.synthetic import make_synthetic
from planner.tree import QuestionTree


@pytest.mark.parametrize("e,expected", [(0.0, 15.1), (0.03, 18.7), (0.05, 21.2), (0.1, 28.4)])
def test_bound_matches_published_figures(e, expected):
    # ../shared/context/game.md: N = 35k equally likely candidates
    assert noisy_channel_bound(np.ones(35000), e) == pytest.approx(expected, abs=0.05)


def test_answer_models():
    t = make_synthetic(10, 4, noise=0.2, seed=0)
    A = answer_matrix(t, flip_noise=0.1)
    assert set(np.unique(A.astype(np.float64)).round(6)) <= {0.1, 0.9}
    np.testing.assert_array_equal(answer_matrix(t), t.P)
    assert effective_noise(t.prior, answer_matrix(t)) == pytest.approx(0.2, abs=1e-6)
    other = make_synthetic(11, 4, seed=0)
    with pytest.raises(ValueError, match="same keywords"):
        answer_matrix(t, answer_table=other)


@pytest.mark.parametrize("criterion", ["entropy", "hard", "horizon:4"])
def test_exact_analysis_agrees_with_monte_carlo(criterion):
    t = make_synthetic(150, 40, noise=0.1, seed=7, prior_skew=0.5)
    tree = QuestionTree(criterion=criterion, min_mass=2e-3).fit(t)
    A = answer_matrix(t, flip_noise=0.1)
    res = analyze(tree, t, A, horizon=20, n_mc=4000, seed=1)
    assert res.off_tree_mass > 0.05                        # the MC part is exercised
    mc = simulate_from_root(make_policy(criterion, t), A, 20000, horizon=20, seed=2)
    assert abs(res.solve_rate_20 - (mc <= 20).mean()) < 0.01
    mc_curve = np.bincount(mc, minlength=22)[:21] / len(mc)
    assert np.abs(np.cumsum(res.solve_curve[:21]) - np.cumsum(mc_curve)).max() < 0.02


def test_summary_fields_and_per_keyword():
    t = make_synthetic(100, 30, noise=0.05, seed=1)
    res = analyze(QuestionTree().fit(t), t, answer_matrix(t, flip_noise=0.05), n_mc=500)
    s = res.summary()
    for k in ("expected_turns", "solve_rate_20", "bound_turns", "mean_round_solved", "off_tree_mass"):
        assert np.isfinite(s[k])
    assert 0 <= s["solve_rate_20"] <= 1 + 1e-9 and 1 <= s["mean_round_solved"] <= 20
    assert len(res.per_keyword) == 100 and res.per_keyword["p_solved_20"].between(0, 1 + 1e-9).all()


def test_soft_tree_beats_hard_elimination_under_noise():
    t = make_synthetic(400, 120, noise=0.1, seed=3)
    A = answer_matrix(t, flip_noise=0.1)
    soft = analyze(QuestionTree(min_mass=1e-3).fit(t), t, A, n_mc=1000)
    hard = analyze(QuestionTree(criterion="hard", min_mass=1e-3).fit(t), t, A, n_mc=1000)
    assert soft.solve_rate_20 > 1.5 * hard.solve_rate_20
