"""What a table's live games say about a list nobody tuned for: the list-weighted solve rate.

A table measures (bank rows, path cells) the top of its prior and predicts the rest. Its live
games split into things it measured (public things of the bank or the path job) and things it did
not (the development hold-out, kept out of every measurement). A list written independently of
this project falls into both kinds in proportion to how far down the prior the measuring reached;
the hold-out, never trained on, is a sample of such a list. So the figure that stands for such a
list weighs the two solve rates by that share, not by how many games of each kind were played. A
hold-out thing counts as measured by the share of its neighbours in the prior (the things of
nearby rank) that the table measured:

    w = measured_share_at(measured, holdout, holdout_ranks).mean()   # share of an unseen list measured
    list_weighted_rate(m, h, w)                                      # w m + (1 - w) h

with ``m`` the solved share of the measured things played and ``h`` the hold-out's.
"""
from __future__ import annotations

import numpy as np


def measured_share_at(measured, holdout, ranks, half_width: int = 25) -> np.ndarray:
    """How likely a thing of each prior rank in ``ranks`` would have been measured: the measured
    share of the things within ``half_width`` ranks of it that are not hold-out.

    measured, holdout: (K,) bool in prior order (index 0 = rank 1); hold-out things are skipped
    (they are kept out of measuring by design). ranks: (n,) 1-based ranks, inf or NaN for things
    outside the universe (share 0). Returns (n,) float in [0, 1]; 0 where the window holds no
    other thing.

    >>> measured_share_at([1, 1, 0, 1, 0, 0], [0, 0, 1, 0, 0, 0], [3, 6, np.inf], half_width=1).tolist()
    [1.0, 0.0, 0.0]
    """
    m = np.asarray(measured, dtype=bool)
    h = np.asarray(holdout, dtype=bool)
    if m.shape != h.shape or m.ndim != 1:
        raise ValueError(f"measured and holdout need equal 1-d shapes, got {m.shape} and {h.shape}")
    if half_width < 0:
        raise ValueError(f"half_width must be >= 0, got {half_width}")
    r = np.asarray(ranks, dtype=float)
    r = np.where(np.isnan(r), np.inf, r)
    if r.ndim != 1:
        raise ValueError(f"ranks must be 1-d, got shape {r.shape}")
    inside = np.isfinite(r)
    if inside.any() and (r[inside].min() < 1 or r[inside].max() > m.size):
        raise ValueError(f"ranks must lie in [1, {m.size}], got {r[inside].min()} .. {r[inside].max()}")
    n = np.concatenate([[0], np.cumsum(~h)])          # (K+1,) non-hold-out things of rank <= i
    k = np.concatenate([[0], np.cumsum(m & ~h)])      # (K+1,) of them measured
    out = np.zeros(r.shape)
    c = r[inside].astype(int)
    lo = np.maximum(c - half_width, 1) - 1
    hi = np.minimum(c + half_width, m.size)
    tot, got = n[hi] - n[lo], k[hi] - k[lo]
    out[inside] = np.where(tot > 0, got / np.maximum(tot, 1), 0.0)
    return out


def list_weighted_rate(m: float, h: float, w: float) -> float:
    """w m + (1 - w) h: the solve rate of a list whose share ``w`` lies in the measured band, where
    measured things solve at rate ``m`` and the rest at ``h``.

    >>> list_weighted_rate(0.6, 0.3, 0.25)
    0.375
    """
    for name, v in (("m", m), ("h", h), ("w", w)):
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {v}")
    return float(w * m + (1.0 - w) * h)


def game_rates(games, table: str, measured, holdout_set: str = "hold-out") -> dict:
    """The two solve rates of one table's live games (scripts/live_eval.py's games.csv rows).

    games: DataFrame with columns table, keywords (the set), keyword, solved. ``measured``: the
    names (any case) of the things ``table`` measured; its games of those things outside
    ``holdout_set`` give ``m``, its games of ``holdout_set`` give ``h`` (a keyword played twice keeps
    its last game). Returns m, n_m, h, n_h.
    """
    need = {"table", "keywords", "keyword", "solved"}
    if missing := need - set(games.columns):
        raise ValueError(f"games lack columns {sorted(missing)}")
    g = games[games["table"] == table].drop_duplicates(["keywords", "keyword"], keep="last")
    if g.empty:
        raise ValueError(f"no games of table {table!r}; tables present: {sorted(games['table'].unique())}")
    have = {str(k).lower() for k in measured}
    hold = g["keywords"] == holdout_set
    meas = ~hold & g["keyword"].astype(str).str.lower().isin(have)
    solved = g["solved"].astype(bool)
    n_m, n_h = int(meas.sum()), int(hold.sum())
    if not n_m or not n_h:
        raise ValueError(f"table {table!r}: {n_m} games of measured things and {n_h} of {holdout_set!r}; need both")
    return {"m": float(solved[meas].mean()), "n_m": n_m, "h": float(solved[hold].mean()), "n_h": n_h}


def bootstrap_difference(solved_a, solved_b, measured_a, measured_b, holdout, w_a: float, w_b: float,
                         n_boot: int = 4000, seed: int = 0) -> dict:
    """How sure the list-weighted rates of two tables on the same games differ: a paired bootstrap.

    All (n,) over the games both tables played: solved_a, solved_b bool; measured_a, measured_b
    bool (the table measured the game's thing); holdout bool (a hold-out game). Games are drawn
    with replacement within the hold-out and within the rest (each keeps its size); each draw
    recomputes m and h of both tables (a draw with no measured game of a table keeps that table's
    m of all the games). Returns diff (a - b on the games), ci95 [low, high] and share_le0 (the
    draws with a - b <= 0).
    """
    sa, sb = np.asarray(solved_a, bool), np.asarray(solved_b, bool)
    ma, mb = np.asarray(measured_a, bool), np.asarray(measured_b, bool)
    h = np.asarray(holdout, bool)
    if not (sa.shape == sb.shape == ma.shape == mb.shape == h.shape) or sa.ndim != 1:
        raise ValueError("solved, measured and holdout flags need one equal 1-d shape")
    if not h.any() or h.all():
        raise ValueError("need both hold-out games and other games")
    if ((ma | mb) & h).any():
        raise ValueError("a hold-out game counted as measured")
    if not (ma.any() and mb.any()):
        raise ValueError("each table needs a game of a thing it measured")

    def rates(idx_h, idx_o):
        out = []
        for s, m, w in ((sa, ma, w_a), (sb, mb, w_b)):
            mm = m[idx_o]
            rate_m = s[idx_o][mm].mean() if mm.any() else s[m].mean()
            out.append(list_weighted_rate(float(rate_m), float(s[idx_h].mean()), w))
        return out[0] - out[1]

    ih, io = np.flatnonzero(h), np.flatnonzero(~h)
    diff = rates(ih, io)
    rng = np.random.default_rng(seed)
    d = np.array([rates(rng.choice(ih, ih.size), rng.choice(io, io.size)) for _ in range(n_boot)])
    return {"diff": float(diff), "ci95": [float(np.percentile(d, 2.5)), float(np.percentile(d, 97.5))],
            "share_le0": float(np.mean(d <= 0)), "n_boot": int(n_boot)}
