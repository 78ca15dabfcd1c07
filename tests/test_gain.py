import numpy as np
import pytest

from planner.gain import binary_entropy, even_split_score, information_gain, information_gain_naive


def test_binary_entropy_hand_values():
    np.testing.assert_allclose(binary_entropy(np.array([0.0, 0.5, 1.0, 0.25])),
                               [0.0, 1.0, 0.0, 0.8112781244591328], atol=1e-9)


def test_two_keywords_perfect_question_is_one_bit():
    L = np.array([[1.0, 0.5, 1.0], [0.0, 0.5, 1.0]])
    g = information_gain(np.array([0.5, 0.5]), L)
    np.testing.assert_allclose(g, [1.0, 0.0, 0.0], atol=1e-9)


def test_soft_question_hand_value():
    # two equally likely keywords, P(yes) = 0.9 vs 0.1: I = H2(0.5) - H2(0.1)
    g = information_gain(np.array([0.5, 0.5]), np.array([[0.9], [0.1]]))
    np.testing.assert_allclose(g, [1 - 0.4689955935892812], atol=1e-9)


@pytest.mark.parametrize("K,Q,dtype", [(5, 3, np.float64), (50, 40, np.float32), (200, 7, np.float64)])
def test_gain_matches_naive_loop(K, Q, dtype):
    rng = np.random.default_rng(K + Q)
    L = rng.uniform(0.01, 0.99, size=(K, Q)).astype(dtype)
    w = rng.dirichlet(np.ones(K))
    np.testing.assert_allclose(information_gain(w, L), information_gain_naive(w, L), atol=2e-5)


def test_batched_equals_rows():
    rng = np.random.default_rng(0)
    L = rng.uniform(0, 1, size=(30, 12))
    W = rng.dirichlet(np.ones(30), size=4)
    G = information_gain(W, L)
    assert G.shape == (4, 12)
    for b in range(4):
        np.testing.assert_allclose(G[b], information_gain(W[b], L), atol=1e-12)


def test_no_warnings_at_extremes():
    L = np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    with np.errstate(all="raise"):
        g = information_gain(np.array([1.0, 0.0, 0.0]), L)
        h = binary_entropy(L)
    assert np.all(g == 0) and np.all(h == 0)


def test_even_split_prefers_halving():
    L = np.array([[1, 1, 1], [1, 0, 0], [0, 0, 0], [0, 1, 0]], dtype=float)
    s = even_split_score(np.full(4, 0.25), L)
    assert np.argmax(s) in (0, 1) and s[2] == -0.25


def test_chunked_entropy_equals_whole():
    p = np.random.default_rng(0).uniform(size=(1000, 7)).astype(np.float32)
    np.testing.assert_array_equal(binary_entropy(p, chunk_rows=64), binary_entropy(p, chunk_rows=10 ** 6))
