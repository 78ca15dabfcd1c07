"""The agent's answerer as a plain function, for the evaluation harness (scripts/evaluate.py).

``llm_answerer(model_dir)(keyword, question)`` answers exactly as agent/main.py does in the
answerer role (code first, then the LLM) but without the table shortcut, so that an evaluation
against it measures the guesser against a real, noisy answerer and not against its own table.
Answers are memoized per (keyword, question): the LLM is deterministic, and guessers that ask
the same question in the same game family meet the same answer.

``llm_only_answerer(model_dir)`` is the other team's answerer as most of them were: the LLM answers
every question, letter and alphabetical ones included (no code path), "yes" when its P(yes) >= 0.5.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "qwen1.5b"


def _model(model_dir) -> Path:
    """The model directory (default models/qwen1.5b); SystemExit when it is missing."""
    model = Path(model_dir) if model_dir else DEFAULT_MODEL
    if not model.exists():
        raise SystemExit(f"{model}: model directory not found (python scripts/fetch_models.py ...)")
    return model


def llm_answerer(model_dir=None, prompt: str = "sys_sub"):
    """A callable (keyword, question) -> "yes" | "no" backed by the agent's Answerer."""
    from agent.answerer import Answerer
    from agent.config import Config
    from agent.llm import LazyLLM
    from agent.obs import Turn

    model = _model(model_dir)
    root = Path(__file__).resolve().parents[1]
    cfg = Config(root=root, model=model, table_answers=False, llm_prompt=prompt, llm_wait_s=600.0,
                 llm_call_s=120.0, llm_min_overage_s=0.0)
    answerer = Answerer(cfg, table_answers=None, llm=LazyLLM(model, prompt=prompt))

    @lru_cache(maxsize=None)
    def answer(keyword: str, question: str) -> str:
        turn = Turn(turn_type="answer", role="answerer", questions=[question], answers=[], guesses=[],
                    keyword=keyword, category="things", remaining_overage=300.0, step=0)
        return answerer.answer(turn)

    answer.counts = answerer.counts
    return answer


def llm_only_answerer(model_dir=None, prompt: str = "sys_sub", threshold: float = 0.5, num_threads=None):
    """A callable (keyword, question) -> "yes" | "no": the LLM alone (tables.llm.YesNoScorer), no code."""
    model = _model(model_dir)
    state = {}

    @lru_cache(maxsize=None)
    def answer(keyword: str, question: str) -> str:
        if "scorer" not in state:
            from tables.llm import YesNoScorer
            state["scorer"] = YesNoScorer(model, prompt=prompt, batch_size=1, num_threads=num_threads)
        p = float(state["scorer"].score(keyword, [question])[0])
        answer.counts["llm"] += 1
        return "yes" if p >= threshold else "no"

    answer.counts = {"llm": 0}
    return answer


MEMO_COLUMNS = ["model", "prompt", "keyword", "question", "answer"]


def read_memo(path, model: str, prompt: str) -> dict:
    """{(keyword, question): "yes" | "no"} of ``model`` with ``prompt`` from a memo file (other pairs'
    rows are skipped); {} when the file does not exist. A last line without its newline is an
    append a killed run left half-written, and is dropped; any other bad row is a ValueError
    naming the file, row and value."""
    import csv

    p = Path(path)
    if not p.exists():
        return {}
    text = p.read_text(encoding="utf-8")
    if text and not text.endswith("\n"):
        text = text[:text.rfind("\n") + 1]
    rows = list(csv.reader(text.splitlines()))
    if not rows or rows[0] != MEMO_COLUMNS:
        raise ValueError(f"{p}: header {rows[0] if rows else []} is not {MEMO_COLUMNS}")
    out = {}
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(MEMO_COLUMNS) or r[4] not in ("yes", "no"):
            raise ValueError(f"{p}, row {i}: {r!r} is not (model, prompt, keyword, question, yes|no)")
        if r[0] == model and r[1] == prompt:
            out[(r[2], r[3])] = r[4]
    return out


def memo_answerer(answer, path, model: str, prompt: str):
    """``answer`` (keyword, question) -> "yes" | "no" behind a memo file: replies already in ``path``
    (for this model and prompt) are read back, new ones appended and flushed one row at a time,
    so a killed run keeps every reply it paid for and a rerun or another table on the same
    keywords asks the answerer only what it never asked. ``.counts``: {"llm": new replies,
    "memo": replies read back}. Only for deterministic answerers (a greedy LLM)."""
    import csv
    import io

    p = Path(path)
    memo = read_memo(p, model, prompt)
    p.parent.mkdir(parents=True, exist_ok=True)
    if not p.exists() or p.stat().st_size == 0:
        p.write_text(",".join(MEMO_COLUMNS) + "\n", encoding="utf-8")

    def memoized(keyword: str, question: str) -> str:
        key = (keyword, question)
        if key in memo:
            memoized.counts["memo"] += 1
            return memo[key]
        a = answer(keyword, question)
        memo[key] = a
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow([model, prompt, keyword, question, a])
        with open(p, "a", encoding="utf-8") as f:       # one write a row: a kill leaves at most a partial last line
            f.write(buf.getvalue())
        memoized.counts["llm"] += 1
        return a

    memoized.counts = {"llm": 0, "memo": 0}
    memoized.size = lambda: len(memo)
    return memoized


def memo_rows_from_games(games) -> list:
    """(keyword, question, answer) of every answered round in games.csv transcripts
    (planner.evaluation.transcript: "N. question -> yes; guess: ..." joined by " || ")."""
    from planner.evaluation import parse_transcript

    return [(str(kw), q, "yes" if a else "no")
            for kw, tr in zip(games["keyword"], games["transcript"])
            for q, a, _ in parse_transcript(tr) if a is not None]
