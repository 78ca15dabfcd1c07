"""Two guessers on the same games: paired counts and exact tests.

Live games are one game a keyword against a greedy answerer, so two tables on the same keywords
differ only where they disagree. What decides between them is the discordant games, not the two
totals:

    d = paired_games(games, "build/candC", "build/default")     # games.csv rows of both tables
    d["all"]       # {"games": 180, "a": 57, "b": 54, "a_only": 12, "b_only": 9, "p_sign": 0.66, ...}

``sign_test`` is McNemar's exact test on the discordant pairs; ``rounds`` compares how early the
games were solved (an unsolved game counts as ``rounds + 1``) by the Wilcoxon signed-rank test on
the nonzero differences, a second, more sensitive figure that also counts solving sooner.
"""
from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd


def sign_test(a_only: int, b_only: int) -> float:
    """Two-sided exact sign test (McNemar's exact test) for discordant counts: P(a result at least
    as far from even as (a_only, b_only) | each discordant game is a fair coin). 1.0 when none.

    sign_test(2, 6) == 0.2890625; sign_test(0, 5) == 0.0625.
    """
    if a_only < 0 or b_only < 0:
        raise ValueError(f"discordant counts must be >= 0, got {a_only}, {b_only}")
    n = a_only + b_only
    if n == 0:
        return 1.0
    k = min(a_only, b_only)
    tail = sum(comb(n, i) for i in range(k + 1)) / 2.0 ** n
    return float(min(1.0, 2.0 * tail))


def paired_solved(a, b) -> dict:
    """Paired solved flags of the same games, ``a`` and ``b`` bool arrays of shape (n,).

    Returns games, a, b (totals), a_only, b_only (discordant), p_sign (``sign_test``).
    """
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired flags need equal 1-d shapes, got {a.shape} and {b.shape}")
    a_only, b_only = int((a & ~b).sum()), int((b & ~a).sum())
    return {"games": int(a.size), "a": int(a.sum()), "b": int(b.sum()), "a_only": a_only, "b_only": b_only,
            "p_sign": sign_test(a_only, b_only)}


def paired_rounds(ra, rb, rounds: int = 20) -> dict:
    """Paired solve rounds, ``ra`` and ``rb`` of shape (n,) with NaN (or > ``rounds``) for unsolved,
    scored ``rounds + 1``. Returns mean_a, mean_b, mean_diff (a - b; negative: a solves sooner),
    a_sooner, b_sooner (games), p_wilcoxon (two-sided, nonzero differences; 1.0 when none differ).
    """
    from scipy.stats import wilcoxon

    def score(r):
        r = np.asarray(r, dtype=float)
        return np.where(np.isnan(r) | (r > rounds), rounds + 1.0, r)

    sa, sb = score(ra), score(rb)
    if sa.shape != sb.shape or sa.ndim != 1:
        raise ValueError(f"paired rounds need equal 1-d shapes, got {sa.shape} and {sb.shape}")
    d = sa - sb
    nz = d[d != 0]
    p = float(wilcoxon(nz).pvalue) if nz.size else 1.0
    return {"mean_a": float(sa.mean()) if sa.size else float("nan"), "mean_b": float(sb.mean()) if sb.size else float("nan"),
            "mean_diff": float(d.mean()) if d.size else 0.0, "a_sooner": int((d < 0).sum()), "b_sooner": int((d > 0).sum()),
            "p_wilcoxon": p}


def paired_frames(games: pd.DataFrame, a: str, b: str, need=()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The games of tables ``a`` and ``b`` on the keywords both played, aligned: two frames indexed
    by (keywords, keyword) in the same order (a keyword played twice by one table keeps its last
    game). ValueError when a column (table, keywords, keyword, solved, and ``need``) is missing or a
    table has no games."""
    if missing := {"table", "keywords", "keyword", "solved", *need} - set(games.columns):
        raise ValueError(f"games lack columns {sorted(missing)}")
    for t in (a, b):
        if not (games["table"] == t).any():
            raise ValueError(f"no games of table {t!r}; tables present: {sorted(games['table'].unique())}")
    g = games.drop_duplicates(["table", "keywords", "keyword"], keep="last")
    ga = g[g["table"] == a].set_index(["keywords", "keyword"])
    gb = g[g["table"] == b].set_index(["keywords", "keyword"])
    both = ga.index.intersection(gb.index, sort=False)
    return ga.loc[both], gb.loc[both]


def paired_games(games: pd.DataFrame, a: str, b: str, rounds: int = 20) -> dict:
    """Per keyword set (the ``keywords`` column of scripts/live_eval.py's games.csv) and over all:
    ``paired_solved`` and ``paired_rounds`` of tables ``a`` and ``b`` on the keywords both played,
    plus the names of the discordant keywords. A keyword played twice by one table (two runs
    concatenated) keeps its last game.
    """
    ga, gb = paired_frames(games, a, b, need=("round",))
    both = ga.index
    sa, sb = ga["solved"].astype(bool).to_numpy(), gb["solved"].astype(bool).to_numpy()
    ra = np.where(sa, ga["round"].astype(float), np.nan)
    rb = np.where(sb, gb["round"].astype(float), np.nan)
    sets = both.get_level_values(0).to_numpy()
    words = both.get_level_values(1).to_numpy()
    out = {}
    for name in [*dict.fromkeys(sets), "all"]:
        m = np.ones(len(both), dtype=bool) if name == "all" else sets == name
        out[name] = {**paired_solved(sa[m], sb[m]), **paired_rounds(ra[m], rb[m], rounds),
                     "a_only_keywords": sorted(words[m & sa & ~sb].tolist()),
                     "b_only_keywords": sorted(words[m & sb & ~sa].tolist())}
    return out
