"""The kernel completion trained on partial rows too: path cells as training cells.

A path thing (tables/path_cells.py) has measured answers to the ~38 questions the agent asks it,
and none to the rest. :class:`tables.completion.KernelCompletion` needs whole rows, so path things
never taught it (docs/default_table.md section 27 filled their other cells with predictions, which
taught nothing). Here every question is fitted on the rows that measured it: kernel ridge on the
full rows plus the partial rows with that cell, at the kernel sharpness and per-question penalty
GCV chooses on the full rows. docs/default_table.md section 34 measured what it buys (better cells)
and what it cost live (fewer games won: not the default; `build_default_table.py --path-rows`).

The solve reuses one eigendecomposition of the full rows' kernel for every question and adds the
partial rows that measured a question through the Schur complement of that block:

    [[A, B^T], [B, C + lam I]] [a_f; a_p] = [t_f; t_p],  A = K_ff + lam I = U diag(ev + lam) U^T
    S = C + lam I - B A^-1 B^T,  a_p = S^-1 (t_p - B A^-1 t_f),  a_f = A^-1 (t_f - B^T a_p)

Pure numpy/scipy; shapes: n full rows, p partial rows, Q questions, F features.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from tables.completion import KernelCompletion, keyword_folds, logit, sigmoid
from tables.noise import fit_platt


def masked_dual(Uf, Tf, Up, Tp, tau: float, lam) -> tuple[np.ndarray, np.ndarray]:
    """Per-question kernel ridge on the full rows and the partial rows that measured the question.

    Uf (n, F), Up (p, F): unit features; Tf (n, Q) logits; Tp (p, Q) logits, NaN = not measured;
    lam (Q,) penalties. Returns (dual (n + p, Q), intercept (Q,)): the prediction for unit features
    x is exp(tau (x . [Uf; Up] - 1)) @ dual + intercept; a partial row's dual is 0 on the
    questions it did not measure. The intercept of a question is the mean logit of its rows."""
    Tf = np.asarray(Tf, dtype=np.float64)
    Tp = np.asarray(Tp, dtype=np.float64)
    n, Q = Tf.shape
    lam = np.broadcast_to(np.asarray(lam, dtype=np.float64), (Q,))
    ev, U = np.linalg.eigh(np.exp(tau * (Uf @ Uf.T - 1.0)))
    ev = np.maximum(ev, 0.0)
    measured = np.isfinite(Tp)
    dual = np.zeros((n + len(Tp), Q))
    intercept = np.empty(Q)
    if measured.any():
        BU = np.exp(tau * (Up @ Uf.T - 1.0)) @ U                     # (p, n): B U
        Kpp = np.exp(tau * (Up @ Up.T - 1.0))
    for j in range(Q):
        m = measured[:, j]
        k = int(m.sum())
        mu = (Tf[:, j].sum() + Tp[m, j].sum()) / (n + k)
        UtT = U.T @ (Tf[:, j] - mu)
        d = 1.0 / (ev + lam[j])                                     # A^-1 = U diag(d) U^T
        if k:
            Bm = BU[m]
            S = Kpp[np.ix_(m, m)] + lam[j] * np.eye(k) - (Bm * d) @ Bm.T
            ap = cho_solve(cho_factor(S), Tp[m, j] - mu - Bm @ (d * UtT))
            dual[n + np.flatnonzero(m), j] = ap
            UtT = UtT - Bm.T @ ap
        dual[:n, j] = U @ (d * UtT)
        intercept[j] = mu
    return dual, intercept


class PathKernelCompletion(KernelCompletion):
    """:class:`KernelCompletion` that also learns from partial rows (NaN = not measured).

    ``fit(X, Y)``: rows of Y with no NaN are full rows (the bank), the others partial rows (path
    things; a row with no cell is dropped). tau by GCV over ``taus`` on the full rows (as
    KernelCompletion), each question's penalty by GCV on the full rows, then every question solved
    on the full rows and the partial rows that measured it (:func:`masked_dual`). The Platt map is
    fitted on out-of-fold predictions of the full rows, the partial rows always in training.
    Learned: tau_, lam_ (Q,), X_ (unit rows used), dual_, intercept_, platt_, n_full_, n_partial_.
    """

    def fit(self, X, Y) -> "PathKernelCompletion":
        X, Y = self._checked(X, Y, missing=True)
        seen = ~np.isnan(Y)
        full = seen.all(axis=1)
        part = seen.any(axis=1) & ~full
        if full.sum() < 2:
            raise ValueError(f"need at least 2 full rows (every question measured); got {int(full.sum())}")
        Uf, Up = self._unit(X[full]), self._unit(X[part])
        Tf = logit(Y[full])
        Tp = np.where(seen[part], logit(np.where(seen[part], Y[part], 0.5)), np.nan)
        self.tau_, _, _, self.lam_ = self._fit_dual(Uf, Tf)               # tau and penalties: the full rows' GCV
        self.dual_, self.intercept_ = masked_dual(Uf, Tf, Up, Tp, self.tau_, self.lam_)
        self.X_ = np.vstack([Uf, Up])
        self.n_full_, self.n_partial_ = int(full.sum()), int(part.sum())
        self.platt_ = (1.0, 0.0)
        if self.calibrate_folds and self.n_full_ >= 2 * self.calibrate_folds:
            oof = np.empty_like(Tf)
            for tr, te in keyword_folds(self.n_full_, self.calibrate_folds, self.seed):
                lam = self._fit_dual(Uf[tr], Tf[tr], taus=(self.tau_,))[3]
                dual, b = masked_dual(Uf[tr], Tf[tr], Up, Tp, self.tau_, lam)
                oof[te] = np.exp(self.tau_ * (Uf[te] @ np.vstack([Uf[tr], Up]).T - 1.0)) @ dual + b
            self.platt_ = fit_platt(sigmoid(oof).ravel(), (Y[full] >= 0.5).ravel().astype(float))
        self.n_features_in_ = X.shape[1]
        return self
