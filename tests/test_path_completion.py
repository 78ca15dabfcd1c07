"""tables/path_completion.py: the kernel completion with partial rows, against a naive per-question
solve, against KernelCompletion when there are no partial rows, and on a synthetic low-rank table."""
import numpy as np
import pytest

from tables.completion import KernelCompletion, logit, per_question_auc
from tables.path_completion import PathKernelCompletion, masked_dual
from tests.test_completion import low_rank


def _unit(X):
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def test_masked_dual_is_each_questions_ridge_on_its_own_rows():
    X, Y = low_rank(n=70, F=16, Q=6, seed=1)
    rng = np.random.default_rng(1)
    Uf, Up = _unit(X[:30]), _unit(X[30:])
    Tf = logit(Y[:30])
    Tp = np.where(rng.random((40, 6)) < 0.4, logit(Y[30:]), np.nan)
    Tp[:, 2] = np.nan                                                 # a question no partial row measured
    lam = np.array([0.01, 0.1, 0.3, 1.0, 3.0, 0.03])
    dual, b = masked_dual(Uf, Tf, Up, Tp, 2.0, lam)
    Xq = _unit(X[:5] + 0.1)
    for j in range(6):                                                # naive: one dense solve a question
        m = np.isfinite(Tp[:, j])
        U = np.vstack([Uf, Up[m]])
        t = np.concatenate([Tf[:, j], Tp[m, j]])
        a = np.linalg.solve(np.exp(2.0 * (U @ U.T - 1)) + lam[j] * np.eye(len(t)), t - t.mean())
        np.testing.assert_allclose(dual[:30, j], a[:30], atol=1e-8)
        np.testing.assert_allclose(dual[30:, j][m], a[30:], atol=1e-8)
        assert (dual[30:, j][~m] == 0).all()
        assert b[j] == pytest.approx(t.mean())
        got = np.exp(2.0 * (Xq @ np.vstack([Uf, Up]).T - 1)) @ dual[:, j] + b[j]
        np.testing.assert_allclose(got, np.exp(2.0 * (Xq @ U.T - 1)) @ a + t.mean(), atol=1e-8)


def test_penalties_are_the_kernels_own_gcv_choice():
    X, Y = low_rank(n=60, F=16, Q=8, seed=2)
    Uf, T = _unit(X), logit(Y)
    alphas = (0.01, 0.1, 1.0, 10.0)
    lam = PathKernelCompletion(taus=(2.0,), alphas=alphas, calibrate_folds=0).fit(X, Y).lam_
    m = KernelCompletion(taus=(2.0,), alphas=alphas, calibrate_folds=0).fit(X, Y)
    Kx = np.exp(2.0 * (Uf @ Uf.T - 1))
    for j in range(8):                                                # the dual KernelCompletion stores uses lam[j]
        a = np.linalg.solve(Kx + lam[j] * np.eye(60), T[:, j] - T[:, j].mean())
        np.testing.assert_allclose(m.dual_[:, j], a, atol=1e-8)


def test_without_partial_rows_it_is_the_kernel_completion():
    X, Y = low_rank(n=80, F=16, Q=10, seed=3)
    a = KernelCompletion(seed=0).fit(X, Y)
    b = PathKernelCompletion(seed=0).fit(X, Y)
    assert b.tau_ == a.tau_ and b.n_partial_ == 0 and b.n_full_ == 80
    np.testing.assert_allclose(b.platt_, a.platt_, atol=1e-8)
    np.testing.assert_allclose(b.predict_proba(X[:7] + 0.05), a.predict_proba(X[:7] + 0.05), atol=1e-8)


def test_partial_rows_teach_the_questions_they_measured():
    """Few full rows, many partial ones: held-out keywords' cells are ranked better with the partial
    rows than by the full rows alone, and an all-NaN row is dropped."""
    X, Y = low_rank(n=600, F=32, Q=20, r=8, seed=4)
    rng = np.random.default_rng(4)
    full, part, test = slice(0, 15), slice(40, 500), slice(500, 600)
    Yp = np.where(rng.random((460, 20)) < 0.3, Y[part], np.nan)
    Yp[0] = np.nan
    Yp[:, 19] = np.nan                                                # a question no path row measured
    Xtr, Ytr = np.vstack([X[full], X[part]]), np.vstack([Y[full], Yp])
    base = KernelCompletion(seed=0).fit(X[full], Y[full])
    m = PathKernelCompletion(seed=0).fit(Xtr, Ytr)
    assert (m.n_full_, m.n_partial_) == (15, 459) and m.X_.shape == (474, 32)
    lab = (Y[test] >= 0.5).astype(float)
    auc_base = np.nanmean(per_question_auc(base.predict_proba(X[test]), lab))
    auc_path = np.nanmean(per_question_auc(m.predict_proba(X[test]), lab))
    assert auc_path > auc_base + 0.02, (auc_base, auc_path)            # 0.954 -> 0.991 when written
    np.testing.assert_allclose(m.decision_function(X[test])[:, 19], base.decision_function(X[test])[:, 19], atol=1e-8)
    p = m.predict_proba(X[test])
    assert p.shape == (100, 20) and ((p > 0) & (p < 1)).all()


def test_bad_input_is_refused():
    X, Y = low_rank(n=30, F=8, Q=4)
    Yn = Y.copy()
    Yn[:, 0] = np.nan                                                 # no full row at all
    with pytest.raises(ValueError, match="at least 2 full rows"):
        PathKernelCompletion().fit(X, Yn)
    Yb = Y.copy()
    Yb[3, 1] = 1.5
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\] or NaN"):
        PathKernelCompletion().fit(X, Yb)
    with pytest.raises(ValueError, match="same n"):
        PathKernelCompletion().fit(X[:5], Y)
    with pytest.raises(ValueError, match=r"taus must be .* > 0"):
        PathKernelCompletion(taus=(0.0,)).fit(X, Y)
