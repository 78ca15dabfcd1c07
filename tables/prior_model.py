"""A learned prior over things: "would someone pick this for 20 Questions?"

The hand-tuned log-linear prior (tables/prior.py) ranks the median public Kaggle thing ~4,650th of
52k things. :class:`PickModel` learns the same question from data instead: L2-regularized logistic
regression of "is a public thing" (positives: public things; negatives: every other thing of the
universe) on keyword features -- the answerer model's keyword embedding (tables/embeddings.py),
word statistics and the hand prior's own log score. With positives this rare, the fitted logit is
log P(pick | x) up to a constant, so prior = softmax(logit) over the universe.

No feature says "is in a Kaggle list"; the development hold-out (tables/holdout_public.csv) is
never a positive, so its ranks measure the prior honestly. Pure numpy/scipy.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy.optimize import minimize

WORD_FEATURES = ("log_prior", "zipf", "conc", "n_words", "has_digit", "head_derived", "len_chars")


def word_features(things: pd.DataFrame, ratings: dict | None = None) -> pd.DataFrame:
    """(n, ...) word statistics of the keywords (keyword, category, prior[, head_derived] columns):
    log of the hand prior, wordfreq Zipf, concreteness (phrase, else head word, else 3), word count,
    digits, head-derived flag, length; plus one-hot categories (``cat_<name>``).

    Nothing depends on letter case: the universe keeps each source's spelling, and the Kaggle
    lists' Title Case would tell the model which keywords are public things (a leak that took
    the median held-out rank from ~4,650 to ~300 when it was tried)."""
    from wordfreq import zipf_frequency

    names = things["keyword"].astype(str).tolist()
    low = [n.lower() for n in names]
    ratings = ratings or {}

    def conc(n):
        c = ratings.get(n)
        if c is None and " " in n:
            c = ratings.get(n.split()[-1])
        return 3.0 if c is None else float(c)

    prior = pd.to_numeric(things["prior"], errors="coerce").fillna(0).to_numpy(np.float64)
    head = things["head_derived"] if "head_derived" in things else pd.Series(False, index=things.index)
    out = pd.DataFrame({
        "log_prior": np.log(np.maximum(prior, 1e-300)),
        "zipf": [zipf_frequency(n, "en") for n in low],
        "conc": [conc(n) for n in low],
        "n_words": [min(len(re.findall(r"[a-z0-9']+", n)) or 1, 4) for n in low],
        "has_digit": [float(any(ch.isdigit() for ch in n)) for n in low],
        "head_derived": head.astype(str).str.lower().isin(["true", "1"]).astype(float).to_numpy(),
        "len_chars": [min(len(n), 30) / 10.0 for n in names],
    })
    cats = pd.get_dummies(things["category"].astype(str), prefix="cat").astype(float)
    return pd.concat([out.reset_index(drop=True), cats.reset_index(drop=True)], axis=1)


def _loss_grad(w, X, y, sw, l2, n_pen):
    z = X @ w
    # weighted mean log-loss: log(1 + e^z) - y z, stable
    loss = float((sw * (np.logaddexp(0, z) - y * z)).sum() / sw.sum())
    p = 1 / (1 + np.exp(-np.clip(z, -500, 500)))
    g = X.T @ (sw * (p - y)) / sw.sum()
    pen = np.zeros_like(w)
    pen[:n_pen] = w[:n_pen]
    return loss + 0.5 * l2 * float(pen @ pen), g + l2 * pen


class PickModel:
    """Logistic "is a public thing" model on standardized features.

    Parameters: l2 (penalty on standardized weights), pos_weight (positives' share of the loss,
    balanced against the negatives: with 300 positives among 52k the unweighted loss is dominated
    by easy negatives).
    """

    def __init__(self, *, l2: float = 1e-2, pos_weight: float = 0.5):
        self.l2 = l2
        self.pos_weight = pos_weight

    def fit(self, X, y) -> "PickModel":
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if X.shape[0] != len(y) or not (0 < y.sum() < len(y)):
            raise ValueError(f"need X (n, F) and y (n,) 0/1 with both classes; got {X.shape}, {len(y)} labels")
        self.mean_ = X.mean(0)
        self.scale_ = X.std(0) + 1e-9
        Xs = np.hstack([(X - self.mean_) / self.scale_, np.ones((len(y), 1))])
        sw = np.where(y > 0, self.pos_weight / y.sum(), (1 - self.pos_weight) / (len(y) - y.sum()))
        res = minimize(_loss_grad, np.zeros(Xs.shape[1]), args=(Xs, y, sw, self.l2, X.shape[1]), jac=True,
                       method="L-BFGS-B", options={"maxiter": 500})
        self.coef_, self.intercept_ = res.x[:-1], float(res.x[-1])
        self.converged_ = bool(res.success)
        return self

    def decision_function(self, X) -> np.ndarray:
        if not hasattr(self, "coef_"):
            raise RuntimeError("this PickModel is not fitted yet; call fit(X, y)")
        return ((np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_) @ self.coef_ + self.intercept_

    def log_prior(self, X) -> np.ndarray:
        """(n,) log prior over the rows of X (softmax of the logit, stably)."""
        s = self.decision_function(X)
        m = s.max()
        return s - (m + np.log(np.exp(s - m).sum()))


def ranks(score) -> np.ndarray:
    """(n,) rank of every row under ``score`` (1 = highest; ties by index)."""
    order = np.argsort(-np.asarray(score), kind="stable")
    r = np.empty(len(order), dtype=np.int64)
    r[order] = np.arange(1, len(order) + 1)
    return r


def halves_cv(model_factory, X, positives, seed: int = 0) -> dict:
    """Fit on one half of the positives (the other half counted as negatives, like every unknown
    thing), rank the held-out half among all rows; both ways round.

    positives: (m,) row indices of public things. Returns median / quartile ranks of held-out
    positives and the share ranked in the top 1,000, per half and pooled.
    """
    positives = np.asarray(positives)
    perm = np.random.default_rng(seed).permutation(len(positives))
    h = (len(positives) + 1) // 2
    halves = [positives[np.sort(perm[:h])], positives[np.sort(perm[h:])]]
    held_ranks = []
    for train, test in ((halves[0], halves[1]), (halves[1], halves[0])):
        y = np.zeros(X.shape[0])
        y[train] = 1
        m = model_factory().fit(X, y)
        held_ranks.append(ranks(m.decision_function(X))[test])
    r = np.concatenate(held_ranks)
    return {"n": int(len(r)), "median_rank": float(np.median(r)), "q25_rank": float(np.percentile(r, 25)),
            "q75_rank": float(np.percentile(r, 75)), "top1000": float((r <= 1000).mean()),
            "median_rank_per_half": [float(np.median(x)) for x in held_ranks]}
