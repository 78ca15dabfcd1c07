import numpy as np
import pytest

from tables.answer_bank import Bank
from tables.noise import apply_platt
from tables.reliability import fit_unseen_map, hard_answers, letter_features, letter_rates_measured


def test_fit_unseen_map_recovers_a_known_map():
    rng = np.random.default_rng(0)
    P = rng.uniform(0.01, 0.99, size=(400, 50))
    truth = apply_platt(P, 0.5, 0.8)             # a softer, yes-leaning answerer
    A = (rng.random(P.shape) < truth).astype(float)
    A[0, :10] = np.nan                           # unscored cells are skipped
    cal, rep = fit_unseen_map(P, A)
    assert cal.a == pytest.approx(0.5, abs=0.05) and cal.b == pytest.approx(0.8, abs=0.05)
    assert rep["cells"] == P.size - 10
    assert rep["ece_after"] < rep["ece_before"]
    assert rep["map"]["0.06"] > 0.06             # the measured answerer says yes more often than the table


def test_fit_unseen_map_errors():
    with pytest.raises(ValueError, match="shape"):
        fit_unseen_map(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="too few"):
        fit_unseen_map(np.full((2, 3), 0.5), np.full((2, 3), np.nan))


def test_hard_answers_aligns_by_name_and_keeps_nan():
    L = np.array([[2.0, -1.0, np.nan], [0.0, -3.0, 5.0]], dtype=np.float32)
    bank = Bank("s", ["a", "b"], ["q1", "q2", "q3"], L, {})
    A = hard_answers(bank, ["b", "zz", "a"], ["q3", "q1"])
    np.testing.assert_array_equal(A[0], [1.0, 1.0])           # logit 0 counts as yes
    assert np.isnan(A[1]).all()                                 # keyword not in the bank
    assert np.isnan(A[2, 0]) and A[2, 1] == 1.0


def test_letter_features_hand_cases():
    F = letter_features(["banana", "apple"], ["spell:first:b", "alpha:b", "alpha:apricot", "nat:x"])
    np.testing.assert_array_equal(F[:, :3], [[1, 0, 0], [0, 1, 1]])
    assert np.isnan(F[:, 3]).all()


def test_letter_rates_measured_hand_case():
    F = np.array([[1, 0, 1, 0], [0, 0, 1, 1]], dtype=float)
    A = np.array([[1, 1, 0, 0], [1, np.nan, 1, 1]], dtype=float)
    r = letter_rates_measured(A, F, ["spelling", "spelling", "alpha", "alpha"])
    # spelling: F=1 at (0,0) said yes; F=0 at (0,1) and (1,0) said yes, (1,1) unscored
    assert r["spelling"] == {"t1": 1.0, "t0": 0.0, "n1": 1, "n0": 2}
    # alpha: F=1 at (0,2) no, (1,2) yes, (1,3) yes; F=0 at (0,3) no
    assert r["alpha"] == {"t1": pytest.approx(2 / 3), "t0": 1.0, "n1": 3, "n0": 1}
    with pytest.raises(ValueError, match="alpha"):
        letter_rates_measured(A[:, 2:3], F[:, 2:3], ["alpha"])      # no feature-no cell
