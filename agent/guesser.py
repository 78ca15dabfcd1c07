"""The guesser: questions from the tree (or the online policy), guesses from the posterior.

All state comes from the observation: the history is mapped to table question ids, answers
and guesses, and the planner's :class:`~planner.walk.Walker` gives the move. When the
out-of-universe rule (agent/ood.py) fires, the guess comes from the LLM instead, conditioned
on the questions and answers; the decision and its z-score are logged every guess turn.

Refinement (planner/refine.py; off by default, ``cfg.refine_cells`` = 0): when it is switched
on, the LLM is loaded and the table says how its cells were
measured (``meta["refine"]``, tables/refine_llm.py), each guess turn (and, with
``cfg.refine_turns == "both"``, which the refiner carries, each ask turn) first measures the
asked questions for keywords whose cells the table only predicts (``cfg.refine_rule``), within
``cfg.refine_cells`` cells and ``cfg.refine_s`` seconds; the measured cells (kept for the
process) replace the table's in the belief, and the walk goes online.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from agent import fallback
from agent.log import get_logger
from agent.obs import Turn
from agent.ood import OodResult, out_of_universe
from planner.matching import normalize

log = get_logger()
MAX_QUESTION = 750
MAX_GUESS = 100


@dataclass
class History:
    """The answered rounds as the walker wants them: question ids (None = not a table
    question), answers (True/False/None) and the guesses so far."""
    qids: list
    answers: list
    guesses: list[str]


class Guesser:
    """Plays ask and guess turns over one table (and optionally its fitted tree).

    walker: planner.walk.Walker; llm: agent.llm.LazyLLM or None; cfg: agent.config.Config.
    ``last_ood`` keeps the latest out-of-universe verdict; ``counts`` tallies guess turns by
    source ("table", "llm") and those where the rule fired ("ood"), and ``z_log`` every
    evaluated best z-score, for self-play statistics.
    """

    def __init__(self, walker, cfg, llm=None):
        self.walker = walker
        self.cfg = cfg
        self.llm = llm
        self.texts = walker.table.questions["text"].tolist()
        self.names = walker.table.names
        self.last_ood: OodResult | None = None
        self.counts = {"table": 0, "llm": 0, "ood": 0}
        self.z_log: list[float] = []
        self.refiner = None
        self._refine_tried = False

    def cells(self) -> dict | None:
        """The cells measured so far in this process ({(keyword, question): P}), or None."""
        return self.refiner.cells_ if self.refiner is not None else None

    def history(self, turn: Turn) -> History:
        """Answered rounds only: as many questions as there are answers."""
        n = min(len(turn.questions), len(turn.answers))
        qids = [self.walker.question_id(q) for q in turn.questions[:n]]
        return History(qids, list(turn.answers[:n]), list(turn.guesses))

    def ask(self, turn: Turn) -> str:
        """The next question's text (never one already asked)."""
        h = self.history(turn)
        self.refine(h, turn, ask=True)
        move = self.walker.next_question(h.qids, h.answers, h.guesses, self.cells())
        q = self.texts[move.index][:MAX_QUESTION]
        if q in turn.questions:      # only possible with foreign history; stay valid and new
            log.warning("walker repeated question %r; using a generic one", q)
            return fallback.question(turn.questions)
        return q

    def guess(self, turn: Turn) -> str:
        """The most probable keyword not guessed yet, or the LLM's guess once out of universe."""
        h = self.history(turn)
        if self.llm is not None:
            self.llm.start()            # load in the background long before a final guess needs it
        self.refine(h, turn)
        ood = self.check_ood(h)
        if ood.fired:
            self.counts["ood"] += 1
            g = self.llm_guess(turn)
            if g:
                self.counts["llm"] += 1
                return g
        self.counts["table"] += 1
        move = self.walker.next_guess(h.qids, h.answers, h.guesses, self.cells())
        return self.names[move.index][:MAX_GUESS]

    def build_refiner(self):
        """The Refiner over this table and the loaded LLM, once; None when the LLM is not loaded
        yet (tried again next turn), refinement is off, or the table cannot be refined (logged)."""
        c = self.cfg
        if self.refiner is not None or self._refine_tried or self.llm is None or c.refine_cells <= 0:
            return self.refiner
        scorer = self.llm.get(wait_s=0.0)
        if scorer is None:
            return None
        self._refine_tried = True
        try:
            from planner.refine import Refiner
            from tables.refine_llm import CellMeasure, refine_masks, refine_spec

            table = self.walker.table
            spec = refine_spec(table)
            if spec is None:
                log.info("table has no refine spec; cells are not measured in games")
                return None
            refinable, measured = refine_masks(table, spec)
            self.refiner = Refiner(CellMeasure(scorer, spec, table), refinable, measured,
                                   top=c.refine_keywords(), budget=c.refine_cells, rule=c.refine_rule, P=table.P,
                                   turns=c.refine_turns)
            log.info("refining with %s: %d refinable questions, %d measured keywords", spec.prompt,
                     int(refinable.sum()), int(measured.sum()))
        except Exception as e:  # noqa: BLE001 - the game goes on with the table alone
            log.error("refiner unusable: %s: %s", type(e).__name__, e)
        return self.refiner

    def refine(self, h: History, turn: Turn, ask: bool = False) -> int:
        """Measure this turn's cells (planner/refine.py) within cfg.refine_s; returns how many. An
        ask turn (``ask``) measures only when the refiner's ``turns`` is "both"."""
        r = self.build_refiner()
        if r is None or (ask and r.turns != "both") or turn.remaining_overage < self.cfg.llm_min_overage_s:
            return 0
        import time

        w = self.walker.belief(h.qids, h.answers, h.guesses, r.cells_)
        plan = r.plan(w, h.qids, r.cells_, h.answers)
        if not plan:
            return 0
        deadline = time.perf_counter() + self.cfg.refine_s
        try:
            n = self.llm.run(lambda: r.fetch(plan, deadline), self.cfg.refine_s + self.cfg.llm_call_s)
        except Exception as e:  # noqa: BLE001 - the table's cells stay
            log.error("refinement failed: %s: %s", type(e).__name__, e)
            return 0
        log.debug("refined %s of %d planned cells", n, len(plan))
        return int(n or 0)

    def check_ood(self, h: History) -> OodResult:
        """The out-of-universe rule on this history (logged when it fires)."""
        c = self.cfg
        w = self.walker.belief(h.qids, h.answers, h.guesses, self.cells())
        res = out_of_universe(self.walker.table.P, w, h.qids, h.answers, noise=c.answer_noise,
                              z_threshold=c.ood_z, min_answers=c.ood_min_answers, top=c.ood_top)
        self.last_ood = res
        if res.n >= c.ood_min_answers:
            self.z_log.append(res.best_z)
        if res.fired:
            log.info("out of universe after %d answers: best z %.2f < %.2f", res.n, res.best_z, c.ood_z)
        return res

    def llm_guess(self, turn: Turn) -> str | None:
        """A guess generated by the LLM from the Q&A, or None (no model, too slow, junk, repeat)."""
        if self.llm is None or turn.remaining_overage < self.cfg.llm_min_overage_s:
            return None
        scorer = self.llm.get(wait_s=min(self.cfg.llm_wait_s, 5.0))
        if scorer is None:
            return None
        try:
            raw = self.llm.run(lambda: scorer.generate(guess_prompt(turn), max_new_tokens=12), self.cfg.llm_call_s)
        except Exception as e:  # noqa: BLE001 - fall back to the table's guess
            log.error("LLM guess failed: %s: %s", type(e).__name__, e)
            return None
        raw = raw or ""
        g = clean_guess(raw)
        if not g or normalize(g) in {normalize(x) for x in turn.guesses}:
            log.info("LLM guess %r unusable; table guess instead", raw[:80])
            return None
        log.info("LLM guess %r", g)
        return g


def guess_prompt(turn: Turn) -> str:
    """The LLM prompt for a final guess: the game so far, wrong guesses, one-line answer."""
    lines = [f"Q: {q[:200]}\nA: {'yes' if a else 'no'}"
             for q, a in zip(turn.questions, turn.answers) if a is not None]
    wrong = ", ".join(g[:50] for g in turn.guesses[-10:])
    return ("We are playing 20 Questions. The secret keyword is a physical thing or a place.\n"
            + "\n".join(lines)
            + (f"\nWrong guesses so far: {wrong}." if wrong else "")
            + "\nWhat is the keyword? Reply with the keyword only.")


def clean_guess(raw: str) -> str:
    """First line of a generation, without quotes, labels or trailing punctuation.

    >>> clean_guess('Keyword: "Alarm clock".\\nBecause...')
    'Alarm clock'
    """
    line = (raw or "").strip().split("\n")[0]
    line = re.sub(r"^(?:the )?(?:keyword|answer|guess)(?: is)?\s*[:\-]?\s*", "", line, flags=re.IGNORECASE)
    line = line.strip(" \t\"'`*.,;:!?()[]")
    return line[:MAX_GUESS] if len(re.findall(r"[A-Za-z]", line)) >= 2 else ""
