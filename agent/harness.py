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
