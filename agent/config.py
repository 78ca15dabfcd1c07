"""Where the agent finds its tree, table and model, and its tunable rules.

Resolution order for each path: an environment variable, else the default location beside
main.py (the submission layout), else None (that part of the agent falls back)::

    Q20_TREE   tree file           default <root>/data/tree.npz
    Q20_TABLE  table directory     default <root>/data/table
    Q20_MODEL  HF model directory  default <root>/model

Submission layout (``scripts/make_submission.py``)::

    main.py  lib/{agent,planner,tables}/  data/tree.npz  data/table/  [model/]
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path


# Cells a turn when refinement is switched on (Q20_REFINE_CELLS=8; live_eval.py --refine on): the
# setting sections 15-16 and 19 of docs/default_table.md played.
REFINE_CELLS_ON = 8


@dataclass(frozen=True)
class Config:
    """Paths (None = absent) and rules. Frozen: build a new one with :meth:`with_`.

    answer_noise: flip probability assumed for the opponent's answerer by the out-of-universe
        rule (on top of the table's own softness). 0.05 and z < -2.5 were chosen on self-play
        with 30% of the keywords held out of tables/example (docs in agent/ood.py).
    ood_z / ood_min_answers / ood_top: the out-of-universe rule fires when at least
        ``ood_min_answers`` answers are in and every one of the ``ood_top`` most probable
        candidates has an answer log-likelihood z-score below ``ood_z`` (see agent/ood.py).
    table_answers: the answerer answers from the table when keyword and question are both in it.
    llm_prompt: prompt variant passed to tables.llm.YesNoScorer.
    llm_wait_s: longest a move waits for the LLM to finish loading before falling back.
    llm_call_s: longest a move waits for one LLM call (answer or guess) before falling back.
    llm_min_overage_s: below this remaining overage time the agent stops starting LLM calls
        that could overrun a move.
    refine_rule / refine_top / refine_cells / refine_s: refinement (planner/refine.py) each guess
        turn: asked questions measured by the LLM for keywords the table only predicts, among the
        ``refine_top`` most probable: the leaders' cells (``leaders``), the cells the answers
        contradict most (``contradiction``) or every asked cell of the most contradicted keywords
        (``suspects``; ``refine_top`` None: the rule's own, 8 for the leaders, 64 for the
        others); at most ``refine_cells`` cells and ``refine_s``
        seconds a turn (0 cells: off, the default since docs/default_table.md section 19: live on
        the 360-keyword table it solved 35 of 80 against the table alone's 36; ``Q20_REFINE_CELLS``
        (``REFINE_CELLS_ON`` = 8 is the setting it was played with) and ``Q20_REFINE_RULE``
        override; an unknown rule or turns value in the environment is logged and the default kept).
    refine_turns: "both" (default): the ask turn measures too, after a wrong guess, so a round
        measures twice the cells while no move pays for more than ``refine_cells``; "guess": the
        guess turn only (``Q20_REFINE_TURNS`` overrides; planner.refine.TURNS).
    """
    root: Path
    tree: Path | None = None
    table: Path | None = None
    model: Path | None = None
    answer_noise: float = 0.05
    ood_z: float = -2.5
    ood_min_answers: int = 8
    ood_top: int = 20
    table_answers: bool = True
    llm_prompt: str = "sys_sub"
    llm_wait_s: float = 30.0
    llm_call_s: float = 20.0
    llm_min_overage_s: float = 30.0
    refine_rule: str = "suspects"
    refine_top: int | None = None
    refine_cells: int = 0
    refine_s: float = 3.0
    refine_turns: str = "both"

    def refine_keywords(self) -> int:
        """``refine_top``, or where it is None the rule's own (planner.refine.RULE_TOP: the
        setting each rule was played with live)."""
        from planner.refine import RULE_TOP

        return int(self.refine_top) if self.refine_top is not None else RULE_TOP.get(self.refine_rule, 8)

    def with_(self, **changes) -> "Config":
        return replace(self, **changes)


def _path(env: str, default: Path, environ) -> Path | None:
    """The env var's path if set (empty string = disabled), else ``default`` when it exists."""
    if env in environ:
        v = environ[env].strip()
        return Path(v) if v else None
    return default if default.exists() else None


def from_env(root, environ=None) -> Config:
    """Config for a main.py living in ``root``; ``environ`` defaults to ``os.environ``."""
    environ = os.environ if environ is None else environ
    root = Path(root)
    cfg = Config(
        root=root,
        tree=_path("Q20_TREE", root / "data" / "tree.npz", environ),
        table=_path("Q20_TABLE", root / "data" / "table", environ),
        model=_path("Q20_MODEL", root / "model", environ),
    )
    cells = environ.get("Q20_REFINE_CELLS", "").strip()
    if cells.isdigit():
        cfg = cfg.with_(refine_cells=int(cells))
    from planner.refine import RULES, TURNS

    for env, field, known in (("Q20_REFINE_RULE", "refine_rule", RULES), ("Q20_REFINE_TURNS", "refine_turns", TURNS)):
        v = environ.get(env, "").strip()
        if v in known:
            cfg = cfg.with_(**{field: v})
        elif v:                      # a typo must not switch refinement off: keep the default, say so
            from agent.log import get_logger

            get_logger().warning("%s=%r is not one of %s; using %r", env, v, known, getattr(cfg, field))
    if "Q20_TABLE_ANSWERS" in environ:
        cfg = cfg.with_(table_answers=environ["Q20_TABLE_ANSWERS"].strip() not in ("0", "false", "no", ""))
    return cfg
