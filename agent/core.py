"""The referee boundary: one :class:`Agent` per configuration, callable as ``agent(obs, cfg)``.

Every move goes through :meth:`Agent.__call__`, which never raises: any exception is logged
and replaced by a fallback move, and the result is checked (non-empty str; answers exactly
"yes"/"no"; questions <= 750 and guesses <= 100 characters). Resources load lazily on the
first move that needs them: the table and tree (guesser, and the answerer's table lookup)
and the LLM (background thread, see agent/llm.py).
"""
from __future__ import annotations

import time

from agent import fallback
from agent.config import Config, from_env
from agent.log import get_logger
from agent.obs import Turn, read_turn

log = get_logger()
ANSWERS = ("yes", "no")


class Agent:
    """All three roles for one Config. Attributes filled lazily: ``guesser``, ``answerer``.

    ``stats`` counts moves, errors (exceptions caught at the boundary) and fallbacks, and
    keeps the slowest move in seconds.
    """

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self._table = None
        self._table_tried = False
        self._guesser = None
        self._guesser_tried = False
        self._answerer = None
        self.stats = {"moves": 0, "errors": 0, "fallbacks": 0, "slowest_s": 0.0, "first_s": None}

    # --- the boundary -------------------------------------------------------------------

    def __call__(self, obs, conf=None) -> str:
        t0 = time.perf_counter()
        turn = read_turn(obs)
        try:
            move = self._move(turn)
        except Exception as e:  # noqa: BLE001 - nothing may reach the referee
            self.stats["errors"] += 1
            log.exception("%s/%s move failed: %s", turn.role, turn.turn_type, e)
            move = None
        move = self._valid(turn, move)
        self._time(turn, time.perf_counter() - t0)
        return move

    def _move(self, turn: Turn) -> str:
        if _answering(turn):
            return self.answerer().answer(turn)
        g = self.guesser()
        if g is None:
            return self._fallback(turn)
        return g.guess(turn) if turn.turn_type == "guess" else g.ask(turn)

    def _valid(self, turn: Turn, move) -> str:
        """A move the referee accepts for this turn, whatever ``move`` was."""
        if _answering(turn):
            return move if move in ANSWERS else self._fallback(turn)
        limit = 100 if turn.turn_type == "guess" else 750
        if isinstance(move, str) and move.strip():
            return move[:limit]
        return self._fallback(turn)[:limit]

    def _fallback(self, turn: Turn) -> str:
        """The table-free move for this turn (counted in ``stats["fallbacks"]``)."""
        self.stats["fallbacks"] += 1
        if _answering(turn):
            return "no"
        return fallback.guess(turn.guesses) if turn.turn_type == "guess" else fallback.question(turn.questions)

    def _time(self, turn: Turn, dt: float) -> None:
        s = self.stats
        s["moves"] += 1
        if s["first_s"] is None:
            s["first_s"] = dt
        s["slowest_s"] = max(s["slowest_s"], dt)
        level = log.warning if dt > 20 or turn.remaining_overage < 60 else log.debug
        level("%s/%s took %.2f s; overage left %.0f s", turn.role, turn.turn_type, dt, turn.remaining_overage)

    def counts(self) -> dict:
        """Guess-turn and answer counts by source so far, and every z-score the
        out-of-universe rule evaluated ("z"); loads nothing."""
        g, a = self._guesser, self._answerer
        return {"guess": dict(g.counts) if g else {}, "answer": dict(a.counts) if a else {},
                "z": list(g.z_log) if g else []}

    # --- lazy resources -----------------------------------------------------------------

    def table(self):
        """The runtime table, loaded once (None when absent or broken: logged)."""
        if not self._table_tried:
            self._table_tried = True
            if self.cfg.table is None:
                log.warning("no table configured (Q20_TABLE or data/table beside main.py)")
            else:
                try:
                    from planner.table import load_table
                    t0 = time.perf_counter()
                    self._table = load_table(self.cfg.table)
                    log.info("table %s: %d x %d in %.1f s", self.cfg.table, self._table.K, self._table.Q,
                             time.perf_counter() - t0)
                except Exception as e:  # noqa: BLE001
                    log.error("table %s failed to load: %s: %s", self.cfg.table, type(e).__name__, e)
        return self._table

    def llm(self):
        from agent.llm import shared_llm
        return shared_llm(self.cfg.model, self.cfg.llm_prompt) if self.cfg.model else None

    def guesser(self):
        """The Guesser, built once (None without a usable table: fallback moves)."""
        if not self._guesser_tried:
            self._guesser_tried = True
            table = self.table()
            if table is not None:
                try:
                    from agent.guesser import Guesser
                    self._guesser = Guesser(self._walker(table), self.cfg, llm=self.llm())
                except Exception as e:  # noqa: BLE001
                    log.error("guesser failed to build: %s: %s", type(e).__name__, e)
        return self._guesser

    def _walker(self, table):
        from planner.walk import Walker
        types = None
        try:
            from planner.types import table_types
            types = table_types(self.cfg.table, table) if self.cfg.table is not None else None
        except Exception as e:  # noqa: BLE001 - bad types: plan with the table alone
            log.error("answerer types unusable (%s: %s); planning with the table alone", type(e).__name__, e)
        tree = None
        if self.cfg.tree is None:
            log.warning("no tree configured; walking online")
        else:
            try:
                from planner.tree import load_tree
                tree = load_tree(self.cfg.tree, table)
                tree.check_types(types)
            except Exception as e:  # noqa: BLE001 - a bad tree leaves the online walk
                log.error("tree %s unusable (%s: %s); walking online", self.cfg.tree, type(e).__name__, e)
                tree = None
        return Walker(table, tree, types=types)

    def answerer(self):
        if self._answerer is None:
            from agent.answerer import Answerer, TableAnswers
            table = self.table() if self.cfg.table_answers else None
            self._answerer = Answerer(self.cfg, TableAnswers(table) if table is not None else None, llm=self.llm())
        return self._answerer


def _answering(turn: Turn) -> bool:
    """An answer turn, or a turn of unknown type for an agent told it is the answerer."""
    return turn.turn_type == "answer" or (turn.turn_type not in ("ask", "guess") and turn.role == "answerer")


_DEFAULT: dict[str, Agent] = {}


def default_agent(root) -> Agent:
    """The process-wide Agent for a main.py in ``root`` (configured from the environment)."""
    key = str(root)
    if key not in _DEFAULT:
        _DEFAULT[key] = Agent(from_env(root))
        log.info("q20 agent config: %s", _DEFAULT[key].cfg)
    return _DEFAULT[key]
