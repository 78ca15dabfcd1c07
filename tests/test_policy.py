import numpy as np
import pytest

from planner.belief import normalize
from planner.gain import information_gain
from planner.policy import SUPPORT_MASS, make_policy, truncate
from planner.synthetic import make_synthetic


def test_truncate_drops_little_mass_and_is_row_independent():
    rng = np.random.default_rng(0)
    K = 5000
    W = normalize(rng.random((3, K)) ** 40)                     # heavy-tailed rows
    Wt, rows = truncate(W)
    assert Wt.shape == (3, len(rows)) and len(rows) < K
    np.testing.assert_allclose(Wt.sum(axis=1), 1.0)
    full = np.zeros_like(W); full[:, rows] = Wt
    assert np.all(np.abs(full - W).sum(axis=1) <= 2 * SUPPORT_MASS + 1e-12)
    Wt1, rows1 = truncate(W[1:2])
    np.testing.assert_allclose(full[1, rows1], Wt1[0])


def test_truncated_choice_matches_the_full_gain():
    t = make_synthetic(3000, 200, noise=0.05, seed=1)
    pol = make_policy("entropy", t)
    rng = np.random.default_rng(2)
    # concentrated beliefs, as deep in a game: the gathered path is taken
    W = normalize(np.where(rng.random((8, t.K)) < 0.02, rng.random((8, t.K)), 1e-12))
    asked = np.zeros((8, t.Q), bool)
    q, best = pol.choose(W, asked)
    full = information_gain(W, pol.L.astype(np.float64), pol.HL.astype(np.float64))
    for b in range(8):
        assert full[b, q[b]] >= full[b].max() - 1e-4
        assert best[b] == pytest.approx(full[b, q[b]], abs=1e-4)


@pytest.mark.parametrize("criterion", ["entropy", "hard", "random"])
def test_batch_composition_does_not_change_choices(criterion):
    t = make_synthetic(500, 60, noise=0.1, seed=3)
    pol = make_policy(criterion, t)
    rng = np.random.default_rng(4)
    W = normalize(rng.random((6, t.K)) ** 30)
    asked = rng.random((6, t.Q)) < 0.2
    q_all, _ = pol.choose(W, asked)
    for b in range(6):
        assert pol.choose(W[b:b + 1], asked[b:b + 1])[0][0] == q_all[b]


def test_unknown_criterion():
    with pytest.raises(ValueError, match="unknown criterion 'x'"):
        make_policy("x", make_synthetic(5, 2))
