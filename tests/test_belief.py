import numpy as np
import pytest

from planner.belief import likelihood_matrix, normalize, posterior, remove, update


def test_update_hand_case():
    w = update(np.array([0.5, 0.5]), np.array([0.9, 0.1]), True)
    np.testing.assert_allclose(w, [0.9, 0.1])
    w = update(np.array([0.5, 0.5]), np.array([0.9, 0.1]), False)
    np.testing.assert_allclose(w, [0.1, 0.9])


def test_unparsed_answer_changes_nothing():
    w = np.array([0.2, 0.8])
    assert update(w, np.array([1.0, 0.0]), None) is w


def test_posterior_is_order_free_and_stable():
    rng = np.random.default_rng(1)
    K, Q = 100, 60
    L = likelihood_matrix(rng.uniform(size=(K, Q)), 1e-3)
    prior = rng.dirichlet(np.ones(K))
    qs = list(range(Q)); ans = list(rng.random(Q) < 0.5)
    a = posterior(prior, L, qs, ans)
    b = posterior(prior, L, qs[::-1], ans[::-1])
    # log-space reference
    L64 = L.astype(np.float64)
    lw = np.log(prior) + sum(np.log(np.where(x, L64[:, q], 1 - L64[:, q])) for q, x in zip(qs, ans))
    ref = np.exp(lw - lw.max()); ref /= ref.sum()
    np.testing.assert_allclose(a, ref, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-12)
    assert np.isfinite(a).all() and abs(a.sum() - 1) < 1e-12


def test_wrong_guess_removes_and_renormalizes():
    w = remove(np.array([0.5, 0.25, 0.25]), [0])
    np.testing.assert_allclose(w, [0, 0.5, 0.5])


def test_contradicting_answer_is_ignored_under_hard_belief():
    L = np.array([[1.0], [1.0]])
    w = posterior(np.array([0.5, 0.5]), L, [0], [False])
    np.testing.assert_allclose(w, [0.5, 0.5])


def test_normalize_zero_row_stays_zero():
    assert np.all(normalize(np.zeros((2, 3))) == 0)


def test_eps_validated():
    with pytest.raises(ValueError, match="eps"):
        likelihood_matrix(np.ones((2, 2)), 0.7)


def test_update_rows_equals_single_updates():
    from planner.belief import update_rows
    rng = np.random.default_rng(3)
    L = likelihood_matrix(rng.uniform(size=(20, 6)), 0.0)
    L[:, 0] = 1.0                                   # a question every keyword answers yes
    W = normalize(rng.random((4, 20)))
    qs = np.array([1, 2, 0, 5]); yes = np.array([True, False, False, True])
    out = update_rows(W, L, qs, yes)
    for b in range(4):
        ref = update(W[b], L[:, qs[b]].astype(np.float64), bool(yes[b]))
        np.testing.assert_allclose(out[b], ref if ref.any() else W[b], rtol=1e-12)
    np.testing.assert_allclose(out[2], W[2])        # contradicted everything: belief kept
