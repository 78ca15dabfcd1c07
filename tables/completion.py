"""The completion model: P(yes | keyword, question) for every cell, learned from the answer bank.

An LLM's answer about a keyword is a function of how the model represents the keyword, so a model
fitted on the bank's keywords (their features: the answerer's own embedding, tables/embeddings.py)
predicts the answers for keywords nobody scored.

:class:`CompletionModel` is ridge regression of the answers' logits on standardized keyword
features, all questions at once (one SVD of the feature matrix serves every question and every
penalty), with the penalty chosen per question by generalized cross-validation, an optional
reduced rank (keyword and question factors: the fitted values projected on their top ``rank``
right singular vectors), and a Platt recalibration of the predictions fitted on cross-validated
predictions of the training keywords. Estimator contract: parameters in ``__init__``, work in
``fit``, learned state with a trailing underscore.

:func:`cross_validate` scores it by keyword folds (no cell of a test keyword is ever seen in
training) against held-out answers, beside the per-question base rate.

Pure numpy; shapes: n keywords, F features, Q questions.
"""
from __future__ import annotations

import numpy as np

from tables.noise import apply_platt, auc, fit_platt, paired_cells

CLIP = 0.02  # soft targets are clipped to [CLIP, 1 - CLIP] before the logit


def logit(p, eps: float = CLIP) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1 - eps)
    return np.log(p) - np.log1p(-p)


def sigmoid(x) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, dtype=np.float64), -500, 500)))


# --- ridge over all questions -------------------------------------------------------------------


def ridge_path(U, s, Vt, T, alphas) -> np.ndarray:
    """Ridge coefficients for every penalty: (A, F, Q).

    U (n, r), s (r,), Vt (r, F): thin SVD of the centred feature matrix; T (n, Q) centred targets.
    coef(alpha) = V diag(s / (s^2 + alpha)) U^T T.
    """
    UtT = U.T @ T                                              # (r, Q)
    d = s[None, :] / (s[None, :] ** 2 + np.asarray(alphas)[:, None])   # (A, r)
    return np.einsum("rf,ar,rq->afq", Vt, d, UtT)


def gcv_errors(U, s, T, alphas) -> np.ndarray:
    """Generalized cross-validation error of each penalty and question: (A, Q).

    GCV(alpha) = n ||(I - H) t||^2 / (n - tr H)^2 with H = U diag(s^2 / (s^2 + alpha)) U^T; the part
    of t outside span(U) is left unchanged by H and counted in the residual.
    """
    n = T.shape[0]
    UtT = U.T @ T                                              # (r, Q)
    out_norm = (T ** 2).sum(0) - (UtT ** 2).sum(0)            # (Q,) residual outside span(U)
    errs = []
    for a in alphas:
        shrink = a / (s ** 2 + a)                              # (r,) 1 - h_i
        res = out_norm + ((shrink[:, None] * UtT) ** 2).sum(0)
        tr = (s ** 2 / (s ** 2 + a)).sum()
        errs.append(n * res / max(n - tr, 1e-9) ** 2)
    return np.array(errs)


class CompletionModel:
    """Ridge completion of a keyword x question answer table from keyword features.

    Parameters
    ----------
    alphas : penalties tried (per question, by GCV), on standardized features
    rank : None, or keep only this many question factors (reduced-rank ridge)
    calibrate_folds : keyword folds for the out-of-fold predictions the Platt map is fitted on
        (0: no recalibration)
    seed : fold assignment
    """

    def __init__(self, *, alphas=(1, 3, 10, 30, 100, 300, 1000, 3000, 10000), rank: int | None = None,
                 calibrate_folds: int = 5, seed: int = 0):
        self.alphas = alphas
        self.rank = rank
        self.calibrate_folds = calibrate_folds
        self.seed = seed

    def get_params(self) -> dict:
        return {k: getattr(self, k) for k in ("alphas", "rank", "calibrate_folds", "seed")}

    def _fit_linear(self, X, Y):
        """Fit coef_ (F, Q), intercept_ (Q,), alpha_ (Q,) on X (n, F) standardized, Y (n, Q) soft."""
        T = logit(Y)
        t_mean = T.mean(0)
        x_mean = X.mean(0)
        Xc, Tc = X - x_mean, T - t_mean
        U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
        keep = s > s[0] * 1e-10 if len(s) else s > 0
        U, s, Vt = U[:, keep], s[keep], Vt[keep]
        alphas = np.asarray(self.alphas, dtype=np.float64)
        best = np.argmin(gcv_errors(U, s, Tc, alphas), axis=0)           # (Q,)
        path = ridge_path(U, s, Vt, Tc, alphas)                           # (A, F, Q)
        coef = path[best, :, np.arange(T.shape[1])].T                     # (F, Q)
        if self.rank is not None and self.rank < min(coef.shape):
            fitted = Xc @ coef                                            # (n, Q)
            _, _, Wt = np.linalg.svd(fitted, full_matrices=False)
            P = Wt[:self.rank].T @ Wt[:self.rank]                         # (Q, Q) projector on question factors
            coef = coef @ P
        return coef, t_mean - x_mean @ coef, alphas[best]

    def fit(self, X, Y) -> "CompletionModel":
        """X: (n, F) keyword features; Y: (n, Q) soft answers in [0, 1] (no NaN)."""
        X = np.asarray(X, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
        if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0]:
            raise ValueError(f"need X (n, F) and Y (n, Q) with the same n; got {X.shape} and {Y.shape}")
        if not np.isfinite(X).all():
            raise ValueError("X has non-finite values")
        if not (np.isfinite(Y).all() and (Y >= 0).all() and (Y <= 1).all()):
            raise ValueError("Y must be finite probabilities in [0, 1] (fill or drop unscored cells first)")
        self.x_mean_ = X.mean(0)
        self.x_scale_ = X.std(0) + 1e-9
        Xs = (X - self.x_mean_) / self.x_scale_
        self.coef_, self.intercept_, self.alpha_ = self._fit_linear(Xs, Y)
        self.platt_ = (1.0, 0.0)
        if self.calibrate_folds and X.shape[0] >= 2 * self.calibrate_folds:
            oof = np.empty_like(Y)
            for tr, te in keyword_folds(X.shape[0], self.calibrate_folds, self.seed):
                c, b, _ = self._fit_linear(Xs[tr], Y[tr])
                oof[te] = Xs[te] @ c + b
            self.platt_ = fit_platt(sigmoid(oof).ravel(), (Y >= 0.5).ravel().astype(float))
        self.n_features_in_ = X.shape[1]
        self.n_questions_ = Y.shape[1]
        return self

    def decision_function(self, X) -> np.ndarray:
        """(n, Q) raw predicted logits (before the Platt map)."""
        if not hasattr(self, "coef_"):
            raise RuntimeError("this CompletionModel is not fitted yet; call fit(X, Y)")
        X = np.asarray(X, dtype=np.float64)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features; the model was fitted on {self.n_features_in_}")
        return ((X - self.x_mean_) / self.x_scale_) @ self.coef_ + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        """(n, Q) calibrated P(yes)."""
        return apply_platt(sigmoid(self.decision_function(X)), *self.platt_)


class KernelCompletion:
    """Kernel ridge completion with an exponential cosine kernel k(x, y) = exp(tau (cos(x, y) - 1)).

    A keyword's answers are predicted from the answers of keywords its embedding resembles, with
    ridge shrinkage in the dual (n x n) form: small banks need no more than the similarities.
    Penalty chosen per question by GCV over ``alphas`` (as :class:`CompletionModel`), ``tau`` by
    the mean GCV error over questions; Platt map on out-of-fold predictions.

    Parameters: taus (kernel sharpness tried; the grid reaches down to 0.5 since docs/default_table.md
    section 21: at 500+ bank keywords GCV picks 1, the old grid's (2, 5, 10, 20) edge cut it off),
    alphas, calibrate_folds, seed.
    """

    def __init__(self, *, taus=(0.5, 1, 2, 5, 10, 20), alphas=(0.01, 0.03, 0.1, 0.3, 1, 3, 10), calibrate_folds: int = 5,
                 seed: int = 0):
        self.taus = taus
        self.alphas = alphas
        self.calibrate_folds = calibrate_folds
        self.seed = seed

    @staticmethod
    def _unit(X):
        X = np.asarray(X, dtype=np.float64)
        return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)

    def _fit_dual(self, Xu, T, taus=None):
        """(tau, dual coefficients (n, Q), intercept (Q,), penalty per question (Q,)) by GCV on training
        rows Xu (unit), T logits."""
        t_mean = T.mean(0)
        Tc = T - t_mean
        alphas = np.asarray(self.alphas, dtype=np.float64)
        C = Xu @ Xu.T
        best = None
        for tau in (taus or self.taus):
            Kx = np.exp(tau * (C - 1.0))
            ev, U = np.linalg.eigh(Kx)
            ev = np.maximum(ev, 0.0)
            s = np.sqrt(ev)
            errs = gcv_errors(U, s, Tc, alphas)                       # (A, Q)
            a = np.argmin(errs, axis=0)
            score_ = float(errs[a, np.arange(T.shape[1])].mean())
            if best is None or score_ < best[0]:
                lam = alphas[a]                                        # (Q,)
                UtT = U.T @ Tc                                         # (n, Q)
                dual = U @ (UtT / (ev[:, None] + lam[None, :]))        # (n, Q): (K + lam I)^-1 Tc per column
                best = (score_, tau, dual, t_mean, lam)
        return best[1:]

    def _checked(self, X, Y, missing: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """X, Y as float arrays, or ValueError: shapes, Y in [0, 1] (NaN allowed with ``missing``), taus."""
        X = np.asarray(X, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
        if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0]:
            raise ValueError(f"need X (n, F) and Y (n, Q) with the same n; got {X.shape} and {Y.shape}")
        y = Y[~np.isnan(Y)] if missing else Y
        if not (np.isfinite(y).all() and (y >= 0).all() and (y <= 1).all()):
            raise ValueError("Y must hold probabilities in [0, 1] or NaN (not measured)" if missing else
                             "Y must be finite probabilities in [0, 1] (fill or drop unscored cells first)")
        if len(self.taus) == 0 or min(self.taus) <= 0:
            raise ValueError(f"taus must be a non-empty grid of kernel sharpness values > 0, got {tuple(self.taus)}")
        return X, Y

    def fit(self, X, Y) -> "KernelCompletion":
        X, Y = self._checked(X, Y)
        self.X_ = self._unit(X)
        T = logit(Y)
        self.tau_, self.dual_, self.intercept_, _ = self._fit_dual(self.X_, T)
        self.platt_ = (1.0, 0.0)
        if self.calibrate_folds and X.shape[0] >= 2 * self.calibrate_folds:
            oof = np.empty_like(Y)
            for tr, te in keyword_folds(X.shape[0], self.calibrate_folds, self.seed):
                tau, dual, b, _ = self._fit_dual(self.X_[tr], T[tr], taus=(self.tau_,))
                oof[te] = np.exp(tau * (self.X_[te] @ self.X_[tr].T - 1.0)) @ dual + b
            self.platt_ = fit_platt(sigmoid(oof).ravel(), (Y >= 0.5).ravel().astype(float))
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X) -> np.ndarray:
        if not hasattr(self, "dual_"):
            raise RuntimeError("this KernelCompletion is not fitted yet; call fit(X, Y)")
        Xu = self._unit(X)
        if Xu.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {Xu.shape[1]} features; the model was fitted on {self.n_features_in_}")
        return np.exp(self.tau_ * (Xu @ self.X_.T - 1.0)) @ self.dual_ + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        return apply_platt(sigmoid(self.decision_function(X)), *self.platt_)


MODELS = {"ridge": CompletionModel, "kernel": KernelCompletion}


# --- the measured cells' scale ----------------------------------------------------------------


def fit_cell_scale(pred, measured) -> dict:
    """Platt map from a completion model's predictions to the scale of the cells it stands in for.

    The models' own calibration targets the side of 0.5 a measured cell falls on (``Y >= 0.5``:
    P(the bank's answer is yes)); a table cell is the measured soft P(yes), which keeps the
    answerers' disagreement. pred (n, Q): out-of-fold predictions of bank keywords (never trained
    on their own cells); measured (n, Q): those keywords' measured cells as the table holds them
    (NaN = not measured). Fits sigmoid(a logit(pred) + b) to the soft measured cells
    (cross-entropy). Returns {"a", "b", "cells", "mean_pred", "mean_measured", "log_loss_before",
    "log_loss_after"} (log-losses against the soft cells).
    """
    p, y = paired_cells(pred, measured, ("predictions", "measured cells"))
    a, b = fit_platt(p, y)
    return {"a": float(a), "b": float(b), "cells": int(len(p)), "mean_pred": float(p.mean()),
            "mean_measured": float(y.mean()), "log_loss_before": soft_log_loss(p, y),
            "log_loss_after": soft_log_loss(apply_platt(p, a, b), y)}


def soft_log_loss(p, s, eps: float = 1e-6) -> float:
    """Mean cross-entropy of predictions p against soft targets s (both (m,) in [0, 1])."""
    p = np.clip(np.asarray(p, float).ravel(), eps, 1 - eps)
    s = np.asarray(s, float).ravel()
    return float(-(s * np.log(p) + (1 - s) * np.log1p(-p)).mean())


# --- evaluation -------------------------------------------------------------------------------


def keyword_folds(n: int, k: int, seed: int = 0):
    """k (train, test) index pairs over n keywords; every keyword is in exactly one test fold."""
    if not 2 <= k <= n:
        raise ValueError(f"need 2 <= folds <= keywords; got {k} folds for {n} keywords")
    perm = np.random.default_rng(seed).permutation(n)
    for f in range(k):
        te = np.sort(perm[f::k])
        yield np.setdiff1d(np.arange(n), te), te


def ece(p, y, n_bins: int = 10) -> float:
    """Expected calibration error of probabilities p (m,) against 0/1 labels y (m,), equal-width bins."""
    p, y = np.asarray(p, float).ravel(), np.asarray(y, float).ravel()
    b = np.minimum((p * n_bins).astype(int), n_bins - 1)
    tot = 0.0
    for i in range(n_bins):
        m = b == i
        if m.any():
            tot += m.sum() * abs(p[m].mean() - y[m].mean())
    return tot / max(len(p), 1)


def log_loss(p, y, eps: float = 1e-6) -> float:
    p = np.clip(np.asarray(p, float).ravel(), eps, 1 - eps)
    y = np.asarray(y, float).ravel()
    return float(-(y * np.log(p) + (1 - y) * np.log1p(-p)).mean())


def per_question_auc(P, Y) -> np.ndarray:
    """(Q,) AUC of predictions P (n, Q) against 0/1 labels Y (n, Q) per column; NaN where a column
    has one class only."""
    out = np.full(P.shape[1], np.nan)
    for q in range(P.shape[1]):
        y = Y[:, q]
        if 0 < y.sum() < len(y):
            out[q] = auc(P[:, q], y)
    return out


def score(P, Y) -> dict:
    """Metrics of predicted P (n, Q) against hard answers Y (n, Q) 0/1."""
    a = per_question_auc(P, Y)
    return {"auc_mean": float(np.nanmean(a)) if np.isfinite(a).any() else float("nan"),
            "auc_pooled": float(auc(P.ravel(), Y.ravel())), "log_loss": log_loss(P, Y), "ece": float(ece(P, Y)),
            "questions_scored": int(np.isfinite(a).sum())}


def cross_validate(model_factory, X, Y, folds: int = 5, seed: int = 0, groups=None, labels=None) -> dict:
    """Keyword-folded CV: out-of-fold predictions of every keyword's answers, from models that never
    saw any cell of that keyword.

    model_factory: () -> an unfitted model with fit(X, Y) / predict_proba(X); X (n, F); Y (n, Q)
    soft training targets; labels (n, Q) 0/1 held-out answers to score against (default Y >= 0.5);
    groups: (Q,) question kind per column -> metrics per kind. Returns {"model": metrics,
    "baseline": metrics of the per-question base rate of the training fold, "by_kind": {...},
    "oof": (n, Q) predictions, "folds": [test indices]}.
    """
    X, Y = np.asarray(X, np.float64), np.asarray(Y, np.float64)
    labels = (Y >= 0.5).astype(float) if labels is None else np.asarray(labels, float)
    oof = np.empty_like(Y)
    base = np.empty_like(Y)
    tests = []
    for tr, te in keyword_folds(X.shape[0], folds, seed):
        m = model_factory().fit(X[tr], Y[tr])
        oof[te] = m.predict_proba(X[te])
        base[te] = Y[tr].mean(0)[None, :]
        tests.append(te)
    out = {"model": score(oof, labels), "baseline": score(base, labels), "oof": oof, "folds": tests, "by_kind": {}}
    if groups is not None:
        g = np.asarray(groups)
        for kind in sorted(set(g)):
            c = g == kind
            out["by_kind"][kind] = {"questions": int(c.sum()), "model": score(oof[:, c], labels[:, c]),
                                    "baseline": score(base[:, c], labels[:, c])}
    return out


def learning_curve(model_factory, X, Y, sizes, folds: int = 5, seed: int = 0, labels=None) -> dict:
    """How the completion improves with the number of training keywords (keyword-folded CV).

    In each of ``folds`` folds the model is fitted on the first m of a fixed random order of the
    fold's training keywords, for every m in ``sizes`` (so a larger size holds every keyword of a
    smaller one), and scored on the fold's whole test set (the same test keywords for every size).
    X (n, F); Y (n, Q) soft targets; labels (n, Q) 0/1 (default Y >= 0.5). A size above the
    smallest fold's training set is refused. Returns {"sizes": [{"train_keywords": m, "auc_mean",
    "auc_pooled", "log_loss", "ece"} ...] (out-of-fold metrics pooled over folds), "per_doubling":
    the least-squares slope of auc_mean on log2(m) (the gain a doubling of the bank buys, by this
    curve), "folds", "seed"}.
    """
    X, Y = np.asarray(X, np.float64), np.asarray(Y, np.float64)
    labels = (Y >= 0.5).astype(float) if labels is None else np.asarray(labels, float)
    sizes = sorted({int(m) for m in sizes})
    splits = list(keyword_folds(X.shape[0], folds, seed))
    most = min(len(tr) for tr, _ in splits)
    if not sizes or sizes[0] < 2 or sizes[-1] > most:
        raise ValueError(f"learning-curve sizes must lie in [2, {most}] (the smallest training fold); got {sizes}")
    rng = np.random.default_rng(seed)
    oof = {m: np.empty_like(Y) for m in sizes}
    for tr, te in splits:
        order = rng.permutation(tr)
        for m in sizes:
            oof[m][te] = model_factory().fit(X[order[:m]], Y[order[:m]]).predict_proba(X[te])
    rows = [{"train_keywords": m, **{k: v for k, v in score(oof[m], labels).items() if k != "questions_scored"}}
            for m in sizes]
    slope = float(np.polyfit(np.log2(sizes), [r["auc_mean"] for r in rows], 1)[0]) if len(sizes) > 1 else float("nan")
    return {"sizes": rows, "per_doubling": slope, "folds": folds, "seed": seed}
