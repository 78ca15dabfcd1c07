"""PNG plots of an analysis (matplotlib imported lazily, Agg backend)."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_solve_curves(results: dict, path, rounds: int = 20, title: str = "") -> Path:
    """results: label -> Analysis. Cumulative P(solved by round r), r = 1..rounds."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    r = np.arange(1, rounds + 1)
    for label, a in results.items():
        ax.plot(r, np.cumsum(a.solve_curve[1:rounds + 1]), marker="o", ms=3,
                label=f"{label} ({a.solve_rate_20:.1%} by {rounds}, E[T]={a.expected_turns:.1f})")
    ax.set_xlabel("round"); ax.set_ylabel("P(solved by round)"); ax.set_ylim(0, 1); ax.set_xticks(r)
    ax.grid(alpha=.3); ax.legend(fontsize=8, loc="upper left"); ax.set_title(title or "cumulative solve curve")
    fig.tight_layout(); fig.savefig(path, dpi=110); plt.close(fig)
    return Path(path)


def plot_turns_histogram(analysis, path, title: str = "") -> Path:
    """Histogram of per-keyword expected turns (a miss within 20 rounds counts as 21)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    v = analysis.per_keyword["expected_turns_capped"].to_numpy()
    ax.hist(v, bins=np.arange(0.5, analysis.rounds + 2.5, 0.5), color="tab:blue", alpha=.8)
    ax.axvline(analysis.bound_turns, color="k", ls="--", label=f"noisy-channel bound {analysis.bound_turns:.1f}")
    ax.set_xlabel("expected turns (miss = 21)"); ax.set_ylabel("keywords"); ax.legend(fontsize=8)
    ax.set_title(title or "per-keyword expected turns")
    fig.tight_layout(); fig.savefig(path, dpi=110); plt.close(fig)
    return Path(path)


def plot_game_curves(games, path, rounds: int = 20) -> Path:
    """games: DataFrame with guesser, answerer, solved, round. Cumulative share solved by round."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    r = np.arange(1, rounds + 1)
    for (g, a), df in games.groupby(["guesser", "answerer"], sort=False):
        won = df.loc[df["solved"], "round"].to_numpy()
        curve = [(won <= x).sum() / max(1, len(df)) for x in r]
        ax.plot(r, curve, marker="o", ms=3, label=f"{g} vs {a} ({curve[-1]:.1%})")
    ax.set_xlabel("round"); ax.set_ylabel("share of games solved"); ax.set_ylim(0, 1); ax.set_xticks(r)
    ax.grid(alpha=.3); ax.legend(fontsize=7, loc="upper left"); ax.set_title("games solved by round")
    fig.tight_layout(); fig.savefig(path, dpi=110); plt.close(fig)
    return Path(path)
