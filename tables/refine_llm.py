"""Measuring table cells with the LLM during a game (planner/refine.py decides which).

A table built by tables/default_table.py carries ``meta["refine"]``: how its measured cells were
made (the bank's main prompt, that source's Platt calibration, the per-question softness floor,
the keywords the bank scored). :func:`refine_spec` reads it back; :class:`CellMeasure` scores
new cells the same way, so a cell measured in a game is what the bank would have stored for it::

    spec = refine_spec(table)                       # None: the table cannot be refined
    measure = CellMeasure(scorer, spec, table)      # scorer: tables.llm.YesNoScorer
    P = measure(keyword_rows, question_cols)        # (n,) calibrated, floored P(yes)

torch is only touched through the scorer it is given; numpy is the only import (the submission
ships this file beside tables/llm.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

REFINE_VERSION = 1


@dataclass
class RefineSpec:
    """What measuring a cell of one table means.

    prompt: tables.prompts name the bank's main source used; source: that source's name;
    a, b: its Platt calibration; floor: {question id: e_q} (P clipped to [e_q, 1 - e_q]);
    measured: keyword names whose cells are bank measurements; bank_map: (a, b) of the
    unseen-prompt map the table's bank cells went through, or None.
    """

    prompt: str
    source: str
    a: float
    b: float
    floor: dict
    measured: list
    bank_map: tuple | None = None

    def to_meta(self) -> dict:
        return {"version": REFINE_VERSION, "prompt": self.prompt, "source": self.source,
                "calibration": [self.a, self.b], "floor": self.floor, "measured_keywords": list(self.measured),
                "bank_map": list(self.bank_map) if self.bank_map is not None else None}

    @classmethod
    def from_meta(cls, d: dict, where: str = "table meta") -> "RefineSpec":
        if d.get("version") != REFINE_VERSION:
            raise ValueError(f"{where}: refine version {d.get('version')!r}, this code reads {REFINE_VERSION}")
        try:
            a, b = (float(x) for x in d["calibration"])
            floor = {str(q): float(e) for q, e in d["floor"].items()}
            bm = d.get("bank_map")
            return cls(prompt=str(d["prompt"]), source=str(d["source"]), a=a, b=b, floor=floor,
                       measured=[str(k) for k in d["measured_keywords"]],
                       bank_map=tuple(float(x) for x in bm) if bm is not None else None)
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{where}: bad refine entry: {type(e).__name__}: {e}") from e


def refine_spec(table) -> RefineSpec | None:
    """The table's RefineSpec from ``meta["refine"]``, or None when it has none."""
    d = (table.meta or {}).get("refine")
    return RefineSpec.from_meta(d) if d else None


def refine_masks(table, spec: RefineSpec) -> tuple[np.ndarray, np.ndarray]:
    """(refinable (Q,) bool: questions with a floor, i.e. the natural questions the bank asks;
    measured (K,) bool: keywords the bank scored)."""
    ids = table.questions["id"].astype(str).tolist() if "id" in table.questions else []
    refinable = np.array([q in spec.floor for q in ids], dtype=bool) if ids else np.zeros(table.Q, dtype=bool)
    have = set(spec.measured)
    measured = np.array([n in have for n in table.names], dtype=bool)
    return refinable, measured


def cell_probability(logit, spec: RefineSpec, floor) -> np.ndarray:
    """Calibrated, floored P(yes) from the scorer's yes-vs-no margins (n,): sigmoid(a m + b),
    through the bank map when the table used one, clipped to [floor, 1 - floor].

    >>> s = RefineSpec("qf_sub", "src", 1.0, 0.0, {}, [])
    >>> cell_probability(np.array([0.0, 10.0]), s, np.array([0.1, 0.1])).round(3).tolist()
    [0.5, 0.9]
    """
    z = spec.a * np.asarray(logit, dtype=np.float64) + spec.b
    p = 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))
    if spec.bank_map is not None:          # tables.noise.apply_platt, inlined (the submission ships this file alone)
        a, b = spec.bank_map
        q = np.clip(p, 1e-12, 1 - 1e-12)
        p = 1.0 / (1.0 + np.exp(-np.clip(a * (np.log(q) - np.log1p(-q)) + b, -500, 500)))
    f = np.asarray(floor, dtype=np.float64)
    return np.clip(p, f, 1.0 - f)


class CellMeasure:
    """The measuring callable of planner.refine.Refiner for one table and one LLM scorer.

    scorer: tables.llm.YesNoScorer (any prompt: a copy with ``spec.prompt`` shares its weights).
    Calls are grouped by question, so a question-first prompt pays its prefix once per question.
    ``seconds_`` total time spent scoring.
    """

    def __init__(self, scorer, spec: RefineSpec, table):
        self.scorer = scorer.with_prompt(spec.prompt) if hasattr(scorer, "with_prompt") else scorer
        self.spec = spec
        self.names = table.names
        self.texts = table.questions["text"].tolist()
        ids = table.questions["id"].astype(str).tolist()
        self.floor = np.array([spec.floor.get(q, np.nan) for q in ids], dtype=np.float64)
        self.seconds_ = 0.0

    def __call__(self, keywords, cols) -> np.ndarray:
        import time

        keywords, cols = np.asarray(keywords, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        if np.isnan(self.floor[cols]).any():
            bad = int(cols[np.isnan(self.floor[cols])][0])
            raise ValueError(f"question {bad} ({self.texts[bad]!r}) is not a refinable (natural) question")
        t0 = time.perf_counter()
        out = np.empty(len(keywords), dtype=np.float64)
        for q in np.unique(cols):
            m = np.flatnonzero(cols == q)
            logit = self.scorer.score_question(self.texts[q], [self.names[k] for k in keywords[m]], logit=True)
            out[m] = cell_probability(logit, self.spec, np.full(len(m), self.floor[q]))
        self.seconds_ += time.perf_counter() - t0
        return out
