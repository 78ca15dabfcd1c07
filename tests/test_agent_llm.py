"""The agent with the real packaged SmolLM2 (needs `python scripts/fetch_models.py smollm2`)."""
from pathlib import Path

import pytest

from agent.config import Config
from agent.core import Agent
from agent.llm import LazyLLM

MODEL = Path(__file__).resolve().parents[1] / "models" / "smollm2"
pytestmark = [pytest.mark.llm,
              pytest.mark.skipif(not (MODEL / "config.json").exists(), reason="models/smollm2 not fetched")]


def test_llm_answers_and_guesses(tmp_path):
    pytest.importorskip("transformers")
    me = Agent(Config(root=tmp_path, model=MODEL))
    obs = {"turnType": "answer", "role": "answerer", "keyword": "banana", "category": "things",
           "questions": ["Is it a fruit?"], "answers": [], "guesses": [], "remainingOverageTime": 300}
    assert me(obs) in ("yes", "no")
    assert me.counts()["answer"]["llm"] == 1
    scorer = me.llm().get(wait_s=60)
    assert scorer is not None
    g = scorer.generate("Name one fruit. Reply with one word.", max_new_tokens=8)
    assert isinstance(g, str)


def test_lazy_llm_bad_dir(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    llm = LazyLLM(tmp_path)
    assert llm.get(wait_s=60) is None and not llm.available


def test_llm_only_answerer_answers_everything_with_the_model():
    """The opponent-style answerer: no code path, so a letter question also costs an LLM call."""
    from agent.harness import llm_only_answerer
    from tables.llm import YesNoScorer

    ans = llm_only_answerer(MODEL, num_threads=1)
    q1, q2 = "Is it a kind of furniture?", 'Does the keyword start with the letter "C"?'
    a1, a2 = ans("chair", q1), ans("chair", q2)
    assert a1 in ("yes", "no") and a2 in ("yes", "no")
    assert ans.counts["llm"] == 2
    assert ans("chair", q1) == a1 and ans.counts["llm"] == 2          # memoized
    p = YesNoScorer(MODEL, prompt="sys_sub", batch_size=1, num_threads=1).score("chair", [q2])[0]
    assert a2 == ("yes" if p >= 0.5 else "no")
