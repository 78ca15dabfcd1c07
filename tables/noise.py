"""Measured answer noise: comparing answer sources, per-question fidelity, calibration, and the
combine step that turns knowledge features + LLM answers into the planner's soft P.

Pure numpy/pandas; no model is loaded here. Inputs are planner tables (``planner.table.Table``):
a *knowledge table* has 0/1-ish P (a feature per question); an *answers source* is a table plus a
(K, Q) bool mask of the cells an LLM actually scored (``tables.scoring.load_answers``).
Tables are aligned by keyword name and question id.

The combine formula is documented in tables/LLM.md ("Combining knowledge and LLM answers").

Sections: metrics -> alignment and comparison -> fidelity -> calibration -> combine.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

EPS = 1e-3

# --- metrics ------------------------------------------------------------------------------------


def auc(scores, labels) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count half); nan if a class is missing.

    scores: (n,) float; labels: (n,) 0/1.
    >>> auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    0.75
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = pd.Series(s).rank(method="average").to_numpy()
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def best_threshold_accuracy(scores, labels) -> tuple[float, float]:
    """(threshold, accuracy) maximizing accuracy of ``scores >= threshold``; scores (n,), labels (n,) 0/1."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    cands = np.unique(np.concatenate([s, [np.inf]]))
    acc = np.array([((s >= t) == y).mean() for t in cands])
    i = int(np.argmax(acc))
    return float(cands[i]), float(acc[i])


# --- alignment and comparison -------------------------------------------------------------------


def align(a, b) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shared keywords (by name) and questions (by id) of tables ``a`` and ``b``.

    Returns (rows_a, rows_b, cols_a, cols_b): int arrays with a.P[rows_a][:, cols_a] matching
    b.P[rows_b][:, cols_b] cell by cell, in ``a``'s order.
    """
    bk = {n: i for i, n in enumerate(b.keywords["keyword"])}
    ra = np.array([i for i, n in enumerate(a.keywords["keyword"]) if n in bk], dtype=np.int64)
    rb = np.array([bk[n] for n in a.keywords["keyword"].iloc[ra]], dtype=np.int64)
    bq = {q: j for j, q in enumerate(b.questions["id"])}
    ca = np.array([j for j, q in enumerate(a.questions["id"]) if q in bq], dtype=np.int64)
    cb = np.array([bq[q] for q in a.questions["id"].iloc[ca]], dtype=np.int64)
    return ra, rb, ca, cb


def paired_cells(P, S, names=("P", "S"), min_cells: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """The cells two (N, Q) arrays both hold (neither NaN), as two (m,) float64 arrays.

    ValueError naming both (``names``) when the shapes differ or fewer than ``min_cells`` are shared.

    >>> paired_cells([[0.2, np.nan]], [[1.0, 0.0]], min_cells=1)
    (array([0.2]), array([1.]))
    """
    P, S = np.asarray(P, dtype=np.float64), np.asarray(S, dtype=np.float64)
    if P.shape != S.shape:
        raise ValueError(f"{names[0]} {P.shape} and {names[1]} {S.shape} differ in shape")
    m = ~np.isnan(P) & ~np.isnan(S)
    if m.sum() < min_cells:
        raise ValueError(f"only {int(m.sum())} cells shared by the {names[0]} and the {names[1]}: "
                         f"too few to fit (need {min_cells})")
    return P[m], S[m]


def compare(pa, pb, mask=None, threshold: float = 0.5) -> dict:
    """Agreement of two answer matrices on shared cells.

    pa, pb: (K, Q) P(yes); mask: (K, Q) bool cells to compare (default all).
    Returns n, agreement (hard answers equal), mean_abs_diff, pearson r, auc of pa against pb's
    hard answers, and per_question (Q,) agreement (nan where a question has no cell).
    """
    pa, pb = np.asarray(pa, dtype=np.float64), np.asarray(pb, dtype=np.float64)
    if pa.shape != pb.shape:
        raise ValueError(f"shapes differ: {pa.shape} vs {pb.shape}")
    m = np.ones(pa.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    agree = (pa >= threshold) == (pb >= threshold)
    n_q = m.sum(0)
    per_q = np.divide((agree & m).sum(0), n_q, out=np.full(pa.shape[1], np.nan), where=n_q > 0)
    a, b = pa[m], pb[m]
    r = float(np.corrcoef(a, b)[0, 1]) if len(a) > 1 and a.std() > 0 and b.std() > 0 else float("nan")
    return {"n": int(m.sum()), "agreement": float(agree[m].mean()) if m.any() else float("nan"),
            "mean_abs_diff": float(np.abs(a - b).mean()) if m.any() else float("nan"), "pearson": r,
            "auc_vs_b": auc(a, b >= threshold), "per_question": per_q}


def compare_sources(a, mask_a, b, mask_b=None, threshold: float = 0.5) -> dict:
    """:func:`compare` on the cells scored in both (tables aligned by keyword and question id).

    a, b: Tables; mask_a, mask_b: their (K, Q) scored-cell masks (None = every cell, e.g. knowledge).
    per_question is a Series indexed by question id.
    """
    ra, rb, ca, cb = align(a, b)
    # only rows with a scored cell (a 100k universe stays cheap)
    if mask_a is not None:
        keep = np.asarray(mask_a, bool)[ra].any(axis=1)
        ra, rb = ra[keep], rb[keep]
    if mask_b is not None:
        keep = np.asarray(mask_b, bool)[rb].any(axis=1)
        ra, rb = ra[keep], rb[keep]
    ma = np.ones((len(ra), len(ca)), bool) if mask_a is None else np.asarray(mask_a, bool)[np.ix_(ra, ca)]
    mb = np.ones((len(rb), len(cb)), bool) if mask_b is None else np.asarray(mask_b, bool)[np.ix_(rb, cb)]
    m = ma & mb
    out = compare(a.P[np.ix_(ra, ca)], b.P[np.ix_(rb, cb)], m, threshold)
    out["per_question"] = pd.Series(out["per_question"], index=a.questions["id"].iloc[ca].to_numpy())
    return out


# --- fidelity -----------------------------------------------------------------------------------


def fidelity(p_llm, mask, feature, prior_strength: float = 10.0, hard: bool = True, threshold: float = 0.5,
             clip=(0.01, 0.99), groups=None, group_defaults: dict | None = None) -> pd.DataFrame:
    """Per-question fidelity of an answerer to a knowledge feature.

    p_llm: (K, Q) answerer P(yes); mask: (K, Q) bool scored cells; feature: (K, Q) 0/1-ish;
    groups: optional (Q,) labels (e.g. question kinds) pooled separately.
    For each question q, over scored cells with feature yes (n1) and no (n0):
        yes1 = answers "yes" where feature yes, no0 = answers "no" where feature no
    (hard answers p >= threshold, or expected counts from p when hard=False), smoothed toward the
    pooled rates of q's group T1 = sum(yes1)/sum(n1), T0 = sum(no0)/sum(n0) (the rates over all
    questions for a group without cells, or 1 - group_defaults[group] when that is given) with
    ``prior_strength`` pseudo-cells:
        t1_q = (yes1_q + m T1) / (n1_q + m),   t0_q = (no0_q + m T0) / (n0_q + m),
    then clipped to ``clip`` and kept from inverting the feature (:func:`no_inversion`: where
    t1 + t0 < 1 the answerer's "yes" is no more likely for feature-yes keywords, so the question
    is made uninformative, P(yes) equal on both sides; a biased answerer that says "yes" to every
    letter question gets t1 ~ 1, t0 ~ 0: uninformative, not "no means feature no").
    Returns a DataFrame with Q rows: group, n1, n0, yes1, no0, agreement (raw, nan if no cell),
    T1, T0 (the pooled rates used), t1, t0.
    """
    p = np.asarray(p_llm, dtype=np.float64)
    m = np.asarray(mask, dtype=bool)
    f = np.asarray(feature, dtype=np.float64) >= 0.5
    if not (p.shape == m.shape == f.shape):
        raise ValueError(f"shapes differ: p {p.shape}, mask {m.shape}, feature {f.shape}")
    Q = p.shape[1]
    g = np.zeros(Q, dtype=object) if groups is None else np.asarray(groups, dtype=object)
    if g.shape != (Q,):
        raise ValueError(f"groups has shape {g.shape}, expected ({Q},)")
    ans = (p >= threshold).astype(np.float64) if hard else p
    n1 = (m & f).sum(0).astype(np.float64)
    n0 = (m & ~f).sum(0).astype(np.float64)
    yes1 = np.where(m & f, ans, 0).sum(0)
    no0 = np.where(m & ~f, 1 - ans, 0).sum(0)

    def pooled(num, den, where, default):
        return num[where].sum() / den[where].sum() if den[where].sum() else default

    T1_all = pooled(yes1, n1, slice(None), 0.9)
    T0_all = pooled(no0, n0, slice(None), 0.9)
    T1, T0 = np.empty(Q), np.empty(Q)
    defaults = group_defaults or {}
    for label in pd.unique(g):
        sel = g == label
        d1, d0 = (1 - defaults[label],) * 2 if label in defaults else (T1_all, T0_all)
        T1[sel] = pooled(yes1, n1, sel, d1)
        T0[sel] = pooled(no0, n0, sel, d0)
    k = float(prior_strength)
    t1 = np.clip(np.divide(yes1 + k * T1, n1 + k, out=T1.copy(), where=n1 + k > 0), *clip)
    t0 = np.clip(np.divide(no0 + k * T0, n0 + k, out=T0.copy(), where=n0 + k > 0), *clip)
    t1, t0 = no_inversion(t1, t0)
    agreement = np.divide(yes1 + no0, n1 + n0, out=np.full(Q, np.nan), where=n1 + n0 > 0)
    return pd.DataFrame({"group": g, "n1": n1.astype(int), "n0": n0.astype(int), "yes1": yes1, "no0": no0,
                         "agreement": agreement, "T1": T1, "T0": T0, "t1": t1, "t0": t0})


def no_inversion(t1, t0) -> tuple[np.ndarray, np.ndarray]:
    """Where t1 + t0 < 1 (P(yes | F yes) < P(yes | F no)), set both sides to the mean P(yes).

    t1, t0: (Q,). Softening with the result never turns a feature upside down.
    >>> [x.round(3).tolist() for x in no_inversion(np.array([0.9, 0.99]), np.array([0.8, 0.01]))]
    [[0.9, 0.99], [0.8, 0.01]]
    >>> [x.round(3).tolist() for x in no_inversion(np.array([0.4]), np.array([0.5]))]
    [[0.45], [0.55]]
    """
    t1, t0 = np.asarray(t1, dtype=np.float64), np.asarray(t0, dtype=np.float64)
    bad = t1 + t0 < 1
    p_yes = (t1 + 1 - t0) / 2
    return np.where(bad, p_yes, t1), np.where(bad, 1 - p_yes, t0)


def stack_scored(knowledge, sources):
    """The cells the sources scored, as aligned matrices over the knowledge table's questions.

    knowledge: Table (K, Q); sources: sequence of (answers Table, mask (K', Q') bool, Calibration or None).
    Only rows with a scored cell are gathered, so this stays small for a 100k-keyword universe.
    Returns (p (n, Q) calibrated P(yes), m (n, Q) bool scored, F (n, Q) knowledge features,
    rows (n,) knowledge row of each stacked row).
    """
    Q = knowledge.Q
    ps, ms, fs, rows = [], [], [], []
    for t, mask, cal in sources:
        mask = np.asarray(mask, bool)
        rk, ra, ck, ca = align(knowledge, t)
        keep = mask[ra].any(axis=1)
        rk, ra = rk[keep], ra[keep]
        p = np.full((len(ra), Q), 0.5)
        m = np.zeros((len(ra), Q), dtype=bool)
        sub = np.asarray(t.P[np.ix_(ra, ca)], dtype=np.float64)
        p[:, ck] = cal(sub) if cal is not None else sub
        m[:, ck] = mask[np.ix_(ra, ca)]
        ps.append(p)
        ms.append(m)
        fs.append(np.asarray(knowledge.P[rk], dtype=np.float64))
        rows.append(rk)
    if not ps:
        return np.zeros((0, Q)), np.zeros((0, Q), bool), np.zeros((0, Q)), np.zeros(0, np.int64)
    return np.vstack(ps), np.vstack(ms), np.vstack(fs), np.concatenate(rows)


def sources_fidelity(knowledge, sources, by_kind: bool = True, kind_defaults: dict | None = None,
                     **kw) -> pd.DataFrame:
    """:func:`fidelity` of LLM sources (calibrated, pooled) to a knowledge Table, aligned by name and id.

    sources: sequence of (answers Table, mask, Calibration or None). by_kind: pool the shrinkage
    rates per question kind; kind_defaults: {kind: noise e} for kinds no source scored (their
    t1 = t0 = 1 - e). Returns one row per question of ``knowledge`` (index: question id).
    """
    p, m, F, _ = stack_scored(knowledge, sources)
    groups = knowledge.questions["kind"].to_numpy() if by_kind else None
    df = fidelity(p, m, F, groups=groups, group_defaults=kind_defaults if by_kind else None, **kw)
    df.index = knowledge.questions["id"].to_numpy()
    return df


def source_fidelity(knowledge, answers, mask, **kw) -> pd.DataFrame:
    """:func:`fidelity` of one uncalibrated answers source (Table + mask) to a knowledge Table.

    Returns one row per question of ``knowledge`` (index: question id); questions the source never
    scored get the pooled, clipped rates.
    """
    return sources_fidelity(knowledge, [(answers, mask, None)], by_kind=False, **kw)


def transfer_fidelity(fid: pd.DataFrame, questions: pd.DataFrame, kind_defaults: dict | None = None,
                      clip=(0.01, 0.99)) -> pd.DataFrame:
    """Fidelity measured on one table applied to another table's questions (matched by id).

    fid: a :func:`sources_fidelity` frame (index question id; columns group, T1, T0, t1, t0, ...);
    questions: the target's (id, kind) frame. A question absent from ``fid`` takes the pooled
    T1/T0 of its kind there (clipped and un-inverted as :func:`fidelity` does), else
    t1 = t0 = 1 - kind_defaults[kind]; an unknown kind raises.
    Returns a frame indexed by the target ids with group, t1, t0 and ``source`` (id / kind / default).
    """
    ids, kinds = questions["id"].to_numpy(), questions["kind"].to_numpy()
    pooled = fid.groupby("group")[["T1", "T0"]].first() if "group" in fid else pd.DataFrame(columns=["T1", "T0"])
    rows = []
    for q, k in zip(ids, kinds):
        if q in fid.index:
            r = fid.loc[q]
            rows.append((k, float(r["t1"]), float(r["t0"]), "id"))
        elif k in pooled.index:
            t1, t0 = no_inversion(np.clip([pooled.loc[k, "T1"]], *clip), np.clip([pooled.loc[k, "T0"]], *clip))
            rows.append((k, float(t1[0]), float(t0[0]), "kind"))
        elif kind_defaults and k in kind_defaults:
            rows.append((k, 1 - kind_defaults[k], 1 - kind_defaults[k], "default"))
        else:
            raise ValueError(f"no fidelity for question {q!r} of kind {k!r} (not measured, no default)")
    out = pd.DataFrame(rows, columns=["group", "t1", "t0", "source"], index=ids)
    known = out["group"].isin(pooled.index)                  # T1/T0: the kind's pooled rates where measured
    out["T1"] = np.where(known, out["group"].map(pooled["T1"]), out["t1"]).astype(np.float64)
    out["T0"] = np.where(known, out["group"].map(pooled["T0"]), out["t0"]).astype(np.float64)
    return out


# --- calibration --------------------------------------------------------------------------------


def _logit(p, eps: float = 1e-12):
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1 - eps)
    return np.log(p) - np.log1p(-p)


def _platt_loss(w, X, y, l2, w0):
    z = X @ w
    # mean negative log-likelihood of sigmoid(z), stable: log(1 + e^z) - y z
    return float(np.mean(np.logaddexp(0, z) - y * z) + 0.5 * l2 * np.sum((w - w0) ** 2))


def fit_platt(p, y, l2: float = 1e-2, iters: int = 100) -> tuple[float, float]:
    """Platt scaling: (a, b) with P(y=1 | p) = sigmoid(a * logit(p) + b).

    p: (n,) raw P(yes); y: (n,) 0/1 reference answers. Minimizes the mean log-loss plus
    ``l2``/2 * ((a - 1)^2 + b^2) (shrinks toward the identity map, keeps separable or degenerate
    data finite) by Newton's method with step halving.
    """
    x = _logit(p)
    y = np.asarray(y, dtype=np.float64)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"need equal, non-empty p and y; got {len(x)} and {len(y)}")
    X = np.stack([x, np.ones_like(x)], axis=1)  # (n, 2)
    w0 = np.array([1.0, 0.0])
    w = w0.copy()
    loss = _platt_loss(w, X, y, l2, w0)
    n = len(y)
    for _ in range(iters):
        q = 1 / (1 + np.exp(-np.clip(X @ w, -500, 500)))
        g = X.T @ (q - y) / n + l2 * (w - w0)
        H = (X * (q * (1 - q))[:, None]).T @ X / n + l2 * np.eye(2)
        step = np.linalg.solve(H, g)
        t = 1.0
        while t > 1e-8:
            new = w - t * step
            new_loss = _platt_loss(new, X, y, l2, w0)
            if new_loss <= loss:
                break
            t /= 2
        else:
            break
        w, done = new, loss - new_loss < 1e-12
        loss = new_loss
        if done:
            break
    return float(w[0]), float(w[1])


def apply_platt(p, a: float, b: float) -> np.ndarray:
    """sigmoid(a * logit(p) + b), same shape as p."""
    return 1 / (1 + np.exp(-np.clip(a * _logit(p) + b, -500, 500)))


def reliability(p, y, n_bins: int = 10) -> tuple[pd.DataFrame, dict]:
    """Reliability table (equal-width bins of p: count, mean_p, frac_yes) and scores
    {ece, brier, auc, n, base_rate}. p: (n,), y: (n,) 0/1."""
    p = np.asarray(p, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    b = np.minimum((p * n_bins).astype(int), n_bins - 1)
    df = pd.DataFrame({"bin": b, "p": p, "y": y}).groupby("bin").agg(count=("p", "size"), mean_p=("p", "mean"),
                                                                      frac_yes=("y", "mean"))
    ece = float((df["count"] * (df["mean_p"] - df["frac_yes"]).abs()).sum() / max(len(p), 1))
    return df, {"n": int(len(p)), "ece": ece, "brier": float(((p - y) ** 2).mean()), "auc": auc(p, y),
                "base_rate": float(y.mean()) if len(y) else float("nan")}


@dataclass(frozen=True)
class Calibration:
    """A source's Platt calibration and how it was measured."""

    a: float = 1.0
    b: float = 0.0
    n: int = 0
    ece_raw: float = float("nan")
    ece_calibrated: float = float("nan")
    auc: float = float("nan")

    def __call__(self, p):
        return apply_platt(p, self.a, self.b)


def calibrate(p, y, n_bins: int = 10) -> Calibration:
    """Fit Platt scaling of raw P(yes) ``p`` (n,) to reference answers ``y`` (n,) 0/1, with ECE before/after."""
    a, b = fit_platt(p, y)
    _, raw = reliability(p, y, n_bins)
    _, cal = reliability(apply_platt(p, a, b), y, n_bins)
    return Calibration(a, b, raw["n"], raw["ece"], cal["ece"], raw["auc"])


def calibrate_scores(path, score_column: str = "p_yes", label_column: str = "answer") -> Calibration:
    """Platt calibration from a per-row scores CSV (``scripts/eval_answerers.py`` writes
    ``scores_<source>.csv`` with columns keyword, question, answer (yes/no, hand label), p_yes).
    Raises ValueError naming the file, row and value of a bad cell."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for c in (score_column, label_column):
        if c not in df.columns:
            raise ValueError(f"{path}: missing column {c!r}; has {list(df.columns)}")
    lab = df[label_column].str.strip().str.lower()
    bad = ~lab.isin(["yes", "no"])
    if bad.any():
        r = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{path}: row {r + 2}: {label_column} {df[label_column].iloc[r]!r} is not yes/no")
    p = pd.to_numeric(df[score_column], errors="coerce").to_numpy()
    bad = ~np.isfinite(p) | (p < 0) | (p > 1)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{path}: row {r + 2}: {score_column} {df[score_column].iloc[r]!r} is not a probability")
    return calibrate(p, (lab == "yes").to_numpy())


def calibrate_source(answers, mask, reference, reference_mask=None, threshold: float = 0.5) -> Calibration:
    """Calibrate an answers source against a reference Table's hard answers (a knowledge table, or a
    better answerer) on the cells both hold."""
    ra, rr, ca, cr = align(answers, reference)
    m = np.asarray(mask, bool)[np.ix_(ra, ca)]
    if reference_mask is not None:
        m &= np.asarray(reference_mask, bool)[np.ix_(rr, cr)]
    if not m.any():
        raise ValueError("the source and the reference share no scored cell")
    p = answers.P[np.ix_(ra, ca)][m]
    y = reference.P[np.ix_(rr, cr)][m] >= threshold
    return calibrate(p, y)


# --- combine -------------------------------------------------------------------------------------


def builder_noise(knowledge) -> np.ndarray | None:
    """(Q,) noise e_q a knowledge table's builder already softened its features with, or None.

    scripts/build_universe.py writes P = F (1 - e) + (1 - F) e with e = meta["noise_defaults"][kind]
    (tables/knowledge.py). A table built with measured noise (meta["measured_noise"]) cannot be
    undone from its meta and raises ValueError; a table without ``noise_defaults`` holds raw features.
    """
    meta = knowledge.meta or {}
    if meta.get("measured_noise"):
        raise ValueError("knowledge table was softened with measured noise (--noise-json); rebuild it with the "
                         "default noise to combine it")
    defaults = meta.get("noise_defaults")
    if not defaults:
        return None
    kinds = knowledge.questions["kind"].to_numpy()
    unknown = sorted(set(kinds) - set(defaults))
    if unknown:
        raise ValueError(f"knowledge meta noise_defaults has no entry for question kind(s) {unknown}")
    return np.array([defaults[k] for k in kinds], dtype=np.float64)


def unsoften(P, e) -> np.ndarray:
    """Invert the builder's symmetric softening: F = (P - e) / (1 - 2 e), clipped to [0, 1].

    P: (K, Q); e: (Q,) with e < 0.5.
    >>> unsoften(np.array([[0.9, 0.1, 0.5]]), np.array([0.1, 0.1, 0.1])).round(6).tolist()
    [[1.0, 0.0, 0.5]]
    """
    e = np.asarray(e, dtype=np.float64)
    return np.clip((np.asarray(P, dtype=np.float64) - e) / (1 - 2 * e), 0.0, 1.0)


def soften(feature, t1, t0) -> np.ndarray:
    """P(answerer says yes) from a 0/1-ish feature (K, Q) and per-question t1, t0 (Q,):
    F * t1 + (1 - F) * (1 - t0).

    >>> soften(np.array([[1.0, 0.0]]), np.array([0.9, 0.9]), np.array([0.8, 0.8])).round(2).tolist()
    [[0.9, 0.2]]
    """
    F = np.clip(np.asarray(feature, dtype=np.float64), 0, 1)
    return F * np.asarray(t1)[None, :] + (1 - F) * (1 - np.asarray(t0))[None, :]


def combine(knowledge, fid: pd.DataFrame | None = None, sources=(), eps: float = EPS, chunk_rows: int = 8192,
            extra_questions: bool = True):
    """The planner's P from a knowledge table and LLM answer sources.

    knowledge: Table (K keywords, Qk questions, 0/1-ish P; may be memory-mapped) -- defines the rows.
        A table softened by scripts/build_universe.py (meta noise_defaults) is unsoftened first
        (:func:`builder_noise`, :func:`unsoften`), so the measured fidelity replaces the default noise.
    fid: :func:`sources_fidelity` output indexed by question id (t1, t0); None = no softening.
    sources: sequence of (answers Table, mask (K', Q') bool, Calibration or None), highest priority
        first; their questions not in ``knowledge`` are appended as extra columns (kind kept).
    chunk_rows: rows softened per block (memory stays ~ the float32 output plus one block).
    extra_questions: append the sources' questions the knowledge table lacks (False: drop them, e.g.
        when the knowledge table was rebuilt and dropped some questions the source still has).
    Returns (Table, origin) where origin (K, Q) int8 is 0 = softened knowledge feature, i >= 1 = the
    i-th source scored the cell, -1 = unscored LLM-only cell (filled with that question's mean
    calibrated answer over scored cells, 0.5 when none). Values are clipped to [eps, 1 - eps].
    Formula and rationale: tables/LLM.md.
    """
    from planner.table import Table

    kq = knowledge.questions[["id", "text", "kind"]]
    extra = []
    seen = set(kq["id"])
    for t, _, _ in (sources if extra_questions else ()):
        for row in t.questions[["id", "text", "kind"]].itertuples(index=False):
            if row.id not in seen:
                seen.add(row.id)
                extra.append(tuple(row))
    questions = pd.concat([kq, pd.DataFrame(extra, columns=kq.columns)], ignore_index=True)
    K, Qk, Q = knowledge.K, knowledge.Q, len(questions)
    if fid is not None:
        f = fid.reindex(kq["id"])
        if f[["t1", "t0"]].isna().any().any():
            missing = f.index[f["t1"].isna()].tolist()[:5]
            raise ValueError(f"fidelity has no row for question id(s) {missing}")
        t1, t0 = f["t1"].to_numpy(np.float64), f["t0"].to_numpy(np.float64)
    P = np.empty((K, Q), dtype=np.float32)
    origin = np.zeros((K, Q), dtype=np.int8)
    origin[:, Qk:] = -1
    P[:, Qk:] = np.nan
    e_built = builder_noise(knowledge)                         # undo the builder's default softening first
    for start in range(0, K, chunk_rows):                      # row blocks: no (K, Q) float64 temporaries
        block = np.asarray(knowledge.P[start:start + chunk_rows], dtype=np.float64)
        if e_built is not None:
            block = unsoften(block, e_built)
        P[start:start + chunk_rows, :Qk] = soften(block, t1, t0) if fid is not None else np.clip(block, 0, 1)
    qidx = {q: j for j, q in enumerate(questions["id"])}
    kidx = {n: i for i, n in enumerate(knowledge.keywords["keyword"])}
    for s, (t, mask, cal) in enumerate(sources, start=1):
        mask = np.asarray(mask, bool)
        rows_s = np.array([i for i, n in enumerate(t.keywords["keyword"]) if n in kidx], dtype=np.int64)
        rows_s = rows_s[mask[rows_s].any(axis=1)]                # only rows the source scored
        rows_k = np.array([kidx[n] for n in t.keywords["keyword"].iloc[rows_s]], dtype=np.int64)
        cols_s = np.array([j for j, q in enumerate(t.questions["id"]) if q in qidx], dtype=np.int64)
        cols_q = np.array([qidx[q] for q in t.questions["id"].iloc[cols_s]], dtype=np.int64)
        ix = np.ix_(rows_k, cols_q)
        sub_o = origin[ix]
        m = mask[np.ix_(rows_s, cols_s)] & (sub_o <= 0)         # not taken by a higher-priority source
        p = np.asarray(t.P[rows_s], dtype=np.float64)[:, cols_s]
        p = cal(p) if cal is not None else p
        sub_P = P[ix]
        sub_P[m], sub_o[m] = p[m], s
        P[ix], origin[ix] = sub_P, sub_o
    if Q > Qk:                                                  # LLM-only cells nobody scored: column mean
        ext = P[:, Qk:]
        holes = np.isnan(ext)
        n_ok = (~holes).sum(0)
        col_mean = np.divide(np.where(holes, 0.0, ext).sum(0, dtype=np.float64), n_ok,
                             out=np.full(Q - Qk, 0.5), where=n_ok > 0)
        P[:, Qk:] = np.where(holes, col_mean[None, :], ext)
    for start in range(0, K, chunk_rows):
        np.clip(P[start:start + chunk_rows], eps, 1 - eps, out=P[start:start + chunk_rows])
    meta = {"combined_from": {"knowledge": knowledge.meta.get("hash", knowledge.hash),
                              "sources": [t.meta.get("source", f"source{s}") for s, (t, _, _) in enumerate(sources, 1)]},
            "eps": eps, "softened": fid is not None}
    kw = knowledge.keywords.copy()
    return Table(kw, questions.reset_index(drop=True), P, meta=meta), origin
