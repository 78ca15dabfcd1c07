"""tables/completion.py: ridge completion of an answer table from keyword features."""
import numpy as np
import pytest

from tables.completion import (CompletionModel, cross_validate, ece, gcv_errors, keyword_folds, logit,
                               per_question_auc, ridge_path)


def low_rank(n=240, F=48, Q=60, r=5, seed=0):
    """Keyword features X = Z A + noise; answers sigmoid(Z B): a low-rank answer table."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, r))
    X = Z @ rng.normal(size=(r, F)) + 0.3 * rng.normal(size=(n, F))
    Y = 1 / (1 + np.exp(-(Z @ (1.5 * rng.normal(size=(r, Q))))))
    return X, Y


def test_recovers_held_out_cells_of_a_low_rank_table():
    X, Y = low_rank()
    res = cross_validate(lambda: CompletionModel(), X, Y, folds=5)
    assert res["model"]["auc_mean"] > 0.95 and res["model"]["auc_pooled"] > 0.95
    assert res["baseline"]["auc_pooled"] < 0.65
    assert res["model"]["log_loss"] < res["baseline"]["log_loss"] - 0.3
    assert res["model"]["ece"] < 0.08
    rr = cross_validate(lambda: CompletionModel(rank=5), X, Y, folds=5)
    assert rr["model"]["auc_mean"] > 0.95


def test_cross_validation_never_leaks_a_test_keyword():
    X, Y = low_rank(n=50, Q=4)
    X[:, 0] = np.arange(50)  # a keyword id, to see which rows each fit received
    seen = []

    class Spy(CompletionModel):
        def fit(self, X, Y):
            seen.append(set(X[:, 0].astype(int)))
            return super().fit(X, Y)

    res = cross_validate(lambda: Spy(calibrate_folds=0), X, Y, folds=5)
    tests = [set(t.tolist()) for t in res["folds"]]
    assert sorted(k for t in tests for k in t) == list(range(50))          # each keyword tested once
    assert len(seen) == 5
    for train, test in zip(seen, tests):
        assert not train & test and train | test == set(range(50))


def test_keyword_folds_partition():
    folds = list(keyword_folds(11, 3, seed=1))
    assert sorted(np.concatenate([te for _, te in folds]).tolist()) == list(range(11))
    for tr, te in folds:
        assert not set(tr) & set(te)
    with pytest.raises(ValueError, match="folds"):
        list(keyword_folds(3, 4))


def test_ridge_path_and_gcv_match_naive():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 6)); T = rng.normal(size=(30, 3))
    Xc, Tc = X - X.mean(0), T - T.mean(0)
    U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    alphas = [0.5, 5.0]
    path = ridge_path(U, s, Vt, Tc, alphas)
    gcv = gcv_errors(U, s, Tc, alphas)
    for i, a in enumerate(alphas):
        coef = np.linalg.solve(Xc.T @ Xc + a * np.eye(6), Xc.T @ Tc)
        np.testing.assert_allclose(path[i], coef, atol=1e-10)
        H = Xc @ np.linalg.solve(Xc.T @ Xc + a * np.eye(6), Xc.T)
        res = ((Tc - H @ Tc) ** 2).sum(0)
        np.testing.assert_allclose(gcv[i], 30 * res / (30 - np.trace(H)) ** 2, rtol=1e-10)


def test_reduced_rank_limits_question_factors():
    X, Y = low_rank(Q=20)
    m = CompletionModel(rank=3, calibrate_folds=0).fit(X, Y)
    assert np.linalg.matrix_rank(m.coef_, tol=1e-8) == 3


def test_hand_cases_and_errors():
    assert per_question_auc(np.array([[0.1, 0.5], [0.9, 0.5]]), np.array([[0, 1], [1, 1]])).tolist()[0] == 1.0
    assert np.isnan(per_question_auc(np.array([[0.1, 0.5], [0.9, 0.5]]), np.array([[0, 1], [1, 1]]))[1])
    assert ece(np.array([0.2, 0.2, 0.8, 0.8]), np.array([0, 0, 1, 1])) == pytest.approx(0.2)
    assert logit(np.array([0.5]))[0] == 0.0
    X, Y = low_rank(n=20, Q=3)
    m = CompletionModel()
    with pytest.raises(RuntimeError, match="not fitted"):
        m.predict_proba(X)
    Ybad = Y.copy(); Ybad[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite probabilities"):
        m.fit(X, Ybad)
    with pytest.raises(ValueError, match="same n"):
        m.fit(X[:5], Y)
    m.fit(X, Y)
    with pytest.raises(ValueError, match="features"):
        m.predict_proba(X[:, :3])
    with np.errstate(all="raise"):
        p = m.predict_proba(X)
    assert p.shape == Y.shape and ((p > 0) & (p < 1)).all()


def test_kernel_completion_recovers_low_rank_and_matches_solve():
    from tables.completion import KernelCompletion

    X, Y = low_rank(n=200, F=32, Q=30)
    res = cross_validate(lambda: KernelCompletion(), X, Y, folds=5)
    assert res["model"]["auc_mean"] > 0.9
    m = KernelCompletion(taus=(5.0,), alphas=(0.3,), calibrate_folds=0).fit(X[:50], Y[:50])
    Xu = m.X_
    Kx = np.exp(5.0 * (Xu @ Xu.T - 1))
    T = logit(Y[:50])
    dual = np.linalg.solve(Kx + 0.3 * np.eye(50), T - T.mean(0))
    np.testing.assert_allclose(m.dual_, dual, atol=1e-8)
    Xt = X[50:60] / np.linalg.norm(X[50:60], axis=1, keepdims=True)
    np.testing.assert_allclose(m.decision_function(X[50:60]), np.exp(5.0 * (Xt @ Xu.T - 1)) @ dual + T.mean(0), atol=1e-8)
    with pytest.raises(RuntimeError, match="not fitted"):
        KernelCompletion().predict_proba(X)
    for bad in ((), (0.0, 2.0), (-1.0,)):
        with pytest.raises(ValueError, match=r"taus must be .* > 0, got \("):
            KernelCompletion(taus=bad).fit(X[:50], Y[:50])


def test_kernel_tau_is_the_mean_gcv_minimum_over_its_grid():
    """The kernel's sharpness is the grid point with the least mean (over questions) of each
    question's best-penalty GCV error: checked against a naive loop, on data whose best tau is
    neither end of the grid."""
    from tables.completion import KernelCompletion

    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 16))
    Xu = X / np.linalg.norm(X, axis=1, keepdims=True)
    # targets drawn from a kernel of sharpness 2: smooth in the embedding, not linear
    L = np.linalg.cholesky(np.exp(2.0 * (Xu @ Xu.T - 1)) + 1e-6 * np.eye(120))
    Y = 1 / (1 + np.exp(-(2.0 * L @ rng.normal(size=(120, 25)))))
    taus, alphas = (0.1, 0.5, 1.0, 2.0, 5.0, 20.0, 80.0), (0.01, 0.1, 1.0)
    T = logit(Y)
    Tc = T - T.mean(0)
    mean_err = []
    for tau in taus:
        ev, U = np.linalg.eigh(np.exp(tau * (Xu @ Xu.T - 1)))
        errs = gcv_errors(U, np.sqrt(np.maximum(ev, 0)), Tc, alphas)       # (A, Q)
        mean_err.append(errs.min(axis=0).mean())
    want = taus[int(np.argmin(mean_err))]
    m = KernelCompletion(taus=taus, alphas=alphas, calibrate_folds=0).fit(X, Y)
    assert m.tau_ == want
    assert want not in (taus[0], taus[-1])


def test_cell_scale_undoes_known_overconfidence():
    """Predictions twice as sure (in logit) as the soft cells they stand for: the scale's slope is
    about 1/2, the intercept about 0, and the soft log-loss drops; NaN cells are left out."""
    from tables.completion import fit_cell_scale
    from tables.noise import apply_platt

    rng = np.random.default_rng(0)
    S = 1 / (1 + np.exp(-rng.normal(size=(200, 30)) * 1.5))
    pred = 1 / (1 + np.exp(-2 * np.log(S / (1 - S))))
    S[::7, ::3] = np.nan
    sc = fit_cell_scale(pred, S)
    assert abs(sc["a"] - 0.5) < 0.03 and abs(sc["b"]) < 0.03
    assert sc["log_loss_after"] < sc["log_loss_before"] and sc["cells"] == int((~np.isnan(S)).sum())
    m = ~np.isnan(S)
    np.testing.assert_allclose(apply_platt(pred[m], sc["a"], sc["b"]), S[m], atol=0.03)
    with pytest.raises(ValueError, match="shape"):
        fit_cell_scale(pred[:, :5], S)


def test_learning_curve_nests_training_sets_and_improves_on_low_rank():
    from tables.completion import learning_curve

    X, Y = low_rank(n=150, Q=20)
    X = np.hstack([X, np.arange(150)[:, None]])      # last column: the keyword id, to see which rows fits get
    seen = []

    class Spy(CompletionModel):
        def fit(self, X, Y):
            seen.append(X[:, -1].astype(int))
            return super().fit(X[:, :-1], Y)

        def predict_proba(self, X):
            return super().predict_proba(X[:, :-1])

    res = learning_curve(lambda: Spy(), X, Y, sizes=[40, 10, 100], folds=3, seed=1)
    assert [r["train_keywords"] for r in res["sizes"]] == [10, 40, 100]
    assert [len(s) for s in seen] == [10, 40, 100] * 3
    tests = [set(te.tolist()) for _, te in keyword_folds(150, 3, 1)]
    for f, test in enumerate(tests):
        a, b, c = (set(s.tolist()) for s in seen[3 * f:3 * f + 3])
        assert a < b < c and not c & test                                  # nested, never a test keyword
    auc = [r["auc_mean"] for r in res["sizes"]]
    assert auc[0] + 0.02 < auc[2] and auc[2] > 0.9 and res["per_doubling"] > 0
    with pytest.raises(ValueError, match="learning-curve sizes"):
        learning_curve(lambda: CompletionModel(), X[:, :-1], Y, sizes=[101], folds=3)
