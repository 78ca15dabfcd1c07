"""The answerer: exact answers by code, then the table, then the LLM; always "yes" or "no".

Order for a question about ``keyword``:
1. agent.exact: spelling/order/length/handshake questions, answered from the string;
2. the table (``Config.table_answers``): when the keyword is one of the table's keywords (by
   the referee's normalization, alts included) and the question is one of its questions
   (exact text), answer P(yes) >= 0.5 -- the same knowledge our guesser plans with;
3. the LLM (tables.llm.YesNoScorer, one forward pass, yes vs no logits);
4. "no", with a log line, when none of them can answer in time.
"""
from __future__ import annotations

from agent.exact import exact_answer
from agent.log import get_logger
from agent.obs import Turn

log = get_logger()


class TableAnswers:
    """Lookup of P(yes) for (keyword string, question text) in one table."""

    def __init__(self, table):
        from planner.matching import normalize

        self._normalize = normalize
        self.P = table.P
        self.rows: dict[str, int] = {}
        for i, (name, alts) in enumerate(zip(table.names, table.keywords["alts"])):
            for s in [name, *alts]:
                self.rows.setdefault(normalize(s), i)
        self.cols = {t: j for j, t in enumerate(table.questions["text"])}

    def answer(self, keyword: str, question: str) -> bool | None:
        i = self.rows.get(self._normalize(keyword))
        j = self.cols.get(question)
        if i is None or j is None:
            return None
        return bool(self.P[i, j] >= 0.5)


class Answerer:
    """table_answers: TableAnswers or None; llm: agent.llm.LazyLLM or None; cfg: Config.

    ``last_source`` names where the latest answer came from (exact/table/llm/default);
    ``counts`` tallies answers by source.
    """

    def __init__(self, cfg, table_answers=None, llm=None):
        self.cfg = cfg
        self.table_answers = table_answers
        self.llm = llm
        self.last_source = ""
        self.counts = {"exact": 0, "table": 0, "llm": 0, "default": 0}

    def answer(self, turn: Turn) -> str:
        question = turn.questions[-1] if turn.questions else ""
        if self.llm is not None:
            self.llm.start()            # warm up in the background even for exact questions
        if not question.strip() or not turn.keyword:
            log.warning("answer turn without question or keyword (%d questions, keyword %r)",
                        len(turn.questions), turn.keyword[:40])
            return self._out(False, "default")
        r = exact_answer(turn.keyword, question)
        if r is not None:
            return self._out(r, "exact")
        if self.table_answers is not None:
            r = self.table_answers.answer(turn.keyword, question)
            if r is not None:
                return self._out(r, "table")
        r = self._llm(turn, question)
        if r is not None:
            return self._out(r, "llm")
        log.warning("no answer source for %r; answering no", question[:80])
        return self._out(False, "default")

    def _llm(self, turn: Turn, question: str) -> bool | None:
        if self.llm is None or not self.llm.available:
            return None
        wait = self.cfg.llm_wait_s if turn.remaining_overage >= self.cfg.llm_min_overage_s else 1.0
        scorer = self.llm.get(wait_s=wait)
        if scorer is None:
            return None
        try:
            a = self.llm.run(lambda: scorer.answer(turn.keyword, question[:750], turn.category or None),
                             self.cfg.llm_call_s)
            return None if a is None else a == "yes"
        except Exception as e:  # noqa: BLE001 - a model error must not cost the game
            log.error("LLM answer failed: %s: %s", type(e).__name__, e)
            return None

    def _out(self, r: bool, source: str) -> str:
        self.last_source = source
        self.counts[source] += 1
        return "yes" if r else "no"
