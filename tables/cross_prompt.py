"""The cells behind the cross-prompt figures (docs/default_table.md sections 13, 31, 32): the main
bank prompt's calibrated answers on the keywords it scored for every natural question, those
keywords' completion features, and a second prompt's answers on the same cells.

    from tables.cross_prompt import main_prompt_cells, other_prompt_cells
    cells = main_prompt_cells()                  # the committed bank and completion embeddings
    So, scored = other_prompt_cells(cells)       # the second bank prompt on the same grid

Used by scripts/fit_completion.py (its cross_prompt block) and docs/experiments/measured_shrink.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class MainCells:
    """The main prompt's fully scored grid.

    source: the main bank source; others: the other table sources, in table order; banks, cals:
    source -> AnswerBank / calibration (tables.bank_sources.table_banks); questions: the natural
    questions (Q rows); keywords: the K main-bank keywords with an embedding and every natural
    question scored, in bank order; X (K, D): their completion features; S (K, Q): the main
    prompt's calibrated P(yes)."""

    source: str
    others: list
    banks: dict
    cals: dict
    questions: pd.DataFrame
    keywords: list
    X: np.ndarray
    S: np.ndarray

    @property
    def qids(self) -> list:
        return self.questions["id"].tolist()


def main_prompt_cells(bank_root=None, embeddings=None) -> MainCells:
    """Load the bank under ``bank_root`` (default the committed one) and the features in
    ``embeddings`` (default tables.embeddings.COMPLETION_SOURCE) and keep the main prompt's
    keywords that are embedded and fully scored on the natural questions."""
    from tables import bank_sources as bs
    from tables.answer_table import bank_cells
    from tables.embeddings import COMPLETION_SOURCE, ROOT as EMB_ROOT, load_embeddings
    from tables.question_bank import question_bank

    main_name, others, banks, cals = bs.table_banks(Path(bank_root) if bank_root else bs.ROOT)
    nat = question_bank(kinds=("natural",))
    names, Z = load_embeddings(Path(embeddings) if embeddings else EMB_ROOT / COMPLETION_SOURCE)
    zrow = {k: i for i, k in enumerate(names)}
    kws = [k for k in banks[main_name].keywords if k in zrow]
    S, _ = bank_cells(kws, nat["id"].tolist(), [(banks[main_name], cals[main_name])])
    full = ~np.isnan(S).any(axis=1)
    kws = [k for k, f in zip(kws, full) if f]
    return MainCells(main_name, list(others), banks, cals, nat, kws, Z[[zrow[k] for k in kws]], S[full])


def other_prompt_cells(cells: MainCells, source: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(So (K, Q), scored (K, Q) bool): the calibrated P(yes) of ``source`` (default the first
    other table source) on ``cells``' grid, NaN where it did not score the cell."""
    from tables.answer_table import bank_cells

    if source is None:
        if not cells.others:
            raise ValueError("no other prompt in the bank's table sources")
        source = cells.others[0]
    if source not in cells.banks:
        raise ValueError(f"source {source!r} is not among the table sources {sorted(cells.banks)}")
    So, n = bank_cells(cells.keywords, cells.qids, [(cells.banks[source], cells.cals[source])])
    return So, n > 0
