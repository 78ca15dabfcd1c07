"""The agent through the real referee (kaggle-environments 1.14.17) on the stand-in table.

The stand-in table is the public keywords x spelling questions (agent.spelling_table), which
our answerer answers exactly, so every game here must be solved.
"""
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("kaggle_environments")

from agent.config import REFINE_CELLS_ON, Config, from_env  # noqa: E402
from agent.core import Agent  # noqa: E402
from agent.guesser import clean_guess  # noqa: E402
from agent.llm import LazyLLM  # noqa: E402
from agent.referee import (FlipAnswerer, bad_answerer, error_agent, passive_answerer,  # noqa: E402
                           passive_guesser, play_game)
from agent.spelling_table import public_keywords, write_spelling_files  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = public_keywords()
PICK = [KEYWORDS[i] for i in (7, 101, 250, 333, 480, 578)]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_spelling_files(tmp_path_factory.mktemp("spelling"))


@pytest.fixture(scope="module")
def cfg(files):
    table, tree = files
    return Config(root=table.parent, table=table, tree=tree)


def test_full_games_guesser_and_answerer_ours(cfg):
    me = Agent(cfg)
    for e in PICK:
        r = play_game(e, [me, me, passive_guesser, passive_answerer])
        assert r.errors == [] and r.solved, (e, r)
        assert r.rewards[0] == 21 - r.round
        assert set(r.answers) <= {"yes", "no"}
    assert me.stats["errors"] == 0 and me.stats["fallbacks"] == 0
    assert me.counts()["answer"]["exact"] > 0


def test_all_four_ours_via_main_py(files, monkeypatch):
    """Kaggle's validation episode: four copies of main.py, loaded by the referee's own loader."""
    table, tree = files
    monkeypatch.setenv("Q20_TABLE", str(table))
    monkeypatch.setenv("Q20_TREE", str(tree))
    monkeypatch.setenv("Q20_MODEL", "")
    main = str(ROOT / "agent" / "main.py")
    r = play_game(KEYWORDS[42], [main] * 4)
    assert r.statuses == ["DONE"] * 4 and r.solved
    assert r.rewards[0] == r.rewards[2] == 21 - r.round


def test_noisy_answerer_still_valid(cfg):
    me = Agent(cfg)
    flip = FlipAnswerer(me, 0.3, seed=1)
    for e in PICK[:3]:
        r = play_game(e, [me, flip, passive_guesser, passive_answerer])
        assert r.errors == []
        assert all(len(q) <= 750 for q in r.questions)
    assert flip.flips > 0 and me.stats["errors"] == 0


@pytest.mark.parametrize("opponent, expected", [
    ([passive_guesser, bad_answerer], [1, 1, 1, -1]),     # their answerer loses by error; we get +1
    ([error_agent, passive_answerer], [1, 1, -1, 1]),     # their guesser raises
])
def test_against_referee_stub_behaviours(cfg, opponent, expected):
    me = Agent(cfg)
    r = play_game(KEYWORDS[300], [me, me, *opponent])
    assert r.rewards[:2] == expected[:2] and r.statuses[0] == r.statuses[1] == "DONE"
    assert me.stats["errors"] == 0


def test_our_answerer_with_their_guesser(cfg):
    """Our answerer for a foreign guesser (the referee's passive stub): answers stay yes/no."""
    me = Agent(cfg)
    r = play_game(KEYWORDS[10], [passive_guesser, me, passive_guesser, passive_answerer])
    assert r.errors == [] and len(r.answers) == 20 and set(r.answers) <= {"yes", "no"}


def test_missing_files_still_play(tmp_path):
    """No table, no tree, no model: fallback moves, a whole game without error."""
    cfg = Config(root=tmp_path, table=tmp_path / "nope", tree=tmp_path / "nope.npz", model=tmp_path / "nomodel")
    me = Agent(cfg)
    r = play_game(KEYWORDS[5], [me, me, passive_guesser, passive_answerer])
    assert r.errors == [] and len(r.guesses) == 20 and len(set(r.questions)) == 20
    assert me.stats["errors"] == 0 and me.stats["fallbacks"] >= 40


def test_broken_tree_walks_online(files, tmp_path):
    table, _ = files
    bad = tmp_path / "tree.npz"
    bad.write_bytes(b"not a tree")
    me = Agent(Config(root=tmp_path, table=table, tree=bad))
    r = play_game(KEYWORDS[77], [me, me, passive_guesser, passive_answerer])
    assert r.solved and r.errors == []


def test_from_env_defaults_beside_main(tmp_path):
    (tmp_path / "data" / "table").mkdir(parents=True)
    cfg = from_env(tmp_path, environ={})
    assert cfg.table == tmp_path / "data" / "table" and cfg.tree is None and cfg.model is None
    cfg = from_env(tmp_path, environ={"Q20_TABLE": "", "Q20_MODEL": "/x", "Q20_TABLE_ANSWERS": "0"})
    assert cfg.table is None and cfg.model == Path("/x") and not cfg.table_answers
    assert from_env(tmp_path, environ={"Q20_REFINE_RULE": "leaders", "Q20_REFINE_CELLS": "3"}).refine_rule == "leaders"
    assert from_env(tmp_path, environ={"Q20_REFINE_RULE": " contradiction "}).refine_rule == "contradiction"
    assert from_env(tmp_path, environ={"Q20_REFINE_RULE": "suspects"}).refine_rule == "suspects"
    assert from_env(tmp_path, environ={}).refine_turns == "both"
    # refinement is off unless asked for (docs/default_table.md section 19)
    assert from_env(tmp_path, environ={}).refine_cells == 0
    assert from_env(tmp_path, environ={"Q20_REFINE_CELLS": "8"}).refine_cells == REFINE_CELLS_ON == 8
    assert from_env(tmp_path, environ={"Q20_REFINE_TURNS": " guess "}).refine_turns == "guess"
    # a typo keeps the default rule and turns rather than making the Refiner refuse to build
    bad = from_env(tmp_path, environ={"Q20_REFINE_TURNS": "ask", "Q20_REFINE_RULE": "suspect"})
    assert bad.refine_turns == "both" and bad.refine_rule == "suspects"
    # each rule considers as many keywords as it was played live with, unless refine_top says
    cfg = from_env(tmp_path, environ={})
    assert cfg.with_(refine_rule="leaders").refine_keywords() == 8
    assert cfg.with_(refine_rule="contradiction").refine_keywords() == 64
    assert cfg.with_(refine_rule="suspects", refine_top=20).refine_keywords() == 20


# --- LLM paths with a stub scorer ---------------------------------------------------------------

class StubScorer:
    """Says yes to questions containing "metal"; generates a fixed guess."""

    def __init__(self, guess="Alarm clock"):
        self.guess, self.prompts = guess, []

    def answer(self, keyword, question, category=None):
        return "yes" if "metal" in question.lower() else "no"

    def generate(self, prompt, max_new_tokens=16):
        self.prompts.append(prompt)
        return f'Keyword: "{self.guess}".\nIt rings.'


def _with_llm(cfg, tmp_path, scorer=None, fail=False):
    me = Agent(cfg.with_(model=tmp_path))

    def loader(model_dir, prompt):
        if fail:
            raise OSError("weights missing")
        return scorer

    llm = LazyLLM(tmp_path, loader=loader)
    me.llm = lambda: llm
    return me, llm


def test_answerer_uses_llm_for_other_questions(cfg, tmp_path):
    me, _ = _with_llm(cfg, tmp_path, StubScorer())
    obs = {"turnType": "answer", "role": "answerer", "keyword": "Anvil", "category": "things",
           "questions": ["Is it made of metal?"], "answers": [], "guesses": []}
    assert me(obs) == "yes"
    obs["questions"] = ["Is it alive?"]
    assert me(obs) == "no"
    obs["questions"] = ["Does the keyword start with the letter A?"]
    assert me(obs) == "yes"
    assert me.counts()["answer"] == {"exact": 1, "table": 0, "llm": 2, "default": 0}


def test_llm_load_failure_answers_no(cfg, tmp_path):
    me, llm = _with_llm(cfg, tmp_path, fail=True)
    obs = {"turnType": "answer", "role": "answerer", "keyword": "Anvil", "questions": ["Is it made of metal?"],
           "answers": [], "guesses": []}
    assert me(obs) == "no" and me(obs) == "no"
    assert not llm.available and me.stats["errors"] == 0


def test_out_of_universe_guess_comes_from_llm(cfg, tmp_path):
    """Answers that contradict every table keyword: the rule fires and the LLM names the guess."""
    scorer = StubScorer("Zebra finch")
    me, _ = _with_llm(cfg, tmp_path, scorer)
    qs = ["Does the keyword start with the letter A?", "Does the keyword start with the letter B?",
          "Does the keyword start with the letter C?", "Does the keyword start with the letter D?",
          "Does the keyword start with the letter E?", "Does the keyword start with the letter F?",
          "Does the keyword start with the letter G?", "Does the keyword start with the letter H?",
          "Does the keyword start with the letter I?", "Does the keyword start with the letter J?"]
    obs = {"turnType": "guess", "role": "guesser", "questions": qs, "answers": ["yes"] * 10,
           "guesses": ["x"] * 9, "remainingOverageTime": 300}
    assert me(obs) == "Zebra finch"
    g = me.guesser()
    assert g.last_ood.fired and g.counts["llm"] == 1
    assert "Wrong guesses so far" in scorer.prompts[-1] and qs[0] in scorer.prompts[-1]
    obs["remainingOverageTime"] = 5                       # no time left for the LLM: table guess
    assert me(obs) in g.names


def test_in_universe_history_does_not_fire(cfg):
    me = Agent(cfg)
    e = KEYWORDS[123]
    r = play_game(e, [me, me, passive_guesser, passive_answerer])
    assert r.solved and me.guesser().counts["ood"] == 0


def test_clean_guess():
    assert clean_guess('Keyword: "Alarm clock".\nBecause...') == "Alarm clock"
    assert clean_guess("The answer is: guinea pig!") == "guinea pig"
    assert clean_guess("...") == "" and clean_guess("") == "" and clean_guess("B") == ""
    assert len(clean_guess("a" * 500)) == 100


def test_move_times_are_small(cfg):
    me = Agent(cfg)
    r = play_game(KEYWORDS[200], [me, me, passive_guesser, passive_answerer])
    assert max(r.move_s[0] + r.move_s[1]) < 5.0
    assert np.isfinite(me.stats["slowest_s"])


def test_scorer_options(tmp_path):
    from agent.llm import scorer_options
    (tmp_path / "model.safetensors").write_bytes(b"0" * 10)
    assert scorer_options(tmp_path, cuda=False, environ={}) == {"num_threads": 1}
    assert scorer_options(tmp_path, cuda=False, environ={"Q20_LLM_THREADS": "4"}) == {"num_threads": 4}
    assert scorer_options(tmp_path, cuda=True, environ={}) == {"device": "cuda", "dtype": "float16", "load_in_4bit": False}
    assert scorer_options(tmp_path, cuda=True, environ={"Q20_LLM_4BIT": "1"})["load_in_4bit"] is True


def test_slow_llm_call_falls_back(cfg, tmp_path):
    """An LLM call past llm_call_s gives the fallback answer in time, and the next move skips it."""
    import time

    class Slow(StubScorer):
        def answer(self, keyword, question, category=None):
            time.sleep(1.0)
            return "yes"

    me, _ = _with_llm(cfg.with_(llm_call_s=0.2), tmp_path, Slow())
    obs = {"turnType": "answer", "role": "answerer", "keyword": "Anvil", "questions": ["Is it made of metal?"],
           "answers": [], "guesses": []}
    t = time.perf_counter()
    assert me(obs) == "no" and me(obs) == "no"
    assert time.perf_counter() - t < 0.9
    assert me.counts()["answer"]["default"] == 2
    time.sleep(1.0)
    me.cfg = me.cfg.with_(llm_call_s=5.0)
    me.answerer().cfg = me.cfg
    assert me(obs) == "yes"


def test_llm_timeout_returns_none_and_guess_falls_back(cfg, tmp_path):
    """A generate call past llm_call_s: the table's guess, no exception."""
    import time

    class SlowGen(StubScorer):
        def generate(self, prompt, max_new_tokens=16):
            if max_new_tokens > 2:          # not the warm-up call
                time.sleep(1.0)
            return "Zebra finch"

    me, llm = _with_llm(cfg.with_(llm_call_s=0.2), tmp_path, SlowGen())
    qs = [f"Does the keyword start with the letter {c}?" for c in "ABCDEFGHIJ"]
    obs = {"turnType": "guess", "role": "guesser", "questions": qs, "answers": ["yes"] * 10,
           "guesses": ["x"] * 9, "remainingOverageTime": 300}
    assert me(obs) in me.guesser().names and me(obs) in me.guesser().names
    assert me.stats["errors"] == 0
    llm.join(5)


class RefineStub(StubScorer):
    """Also scores cells the question-first way: a firm "no" to every (keyword, question)."""

    def __init__(self):
        super().__init__()
        self.cells = []

    def score_question(self, question, keywords, categories=None, logit=False):
        self.cells += [(k, question) for k in keywords]
        return np.full(len(keywords), -8.0)


def test_guess_turn_measures_the_leaders_cells(tmp_path):
    """With the LLM loaded and a table that says how its cells were measured, a guess turn measures
    the asked question for the most probable unmeasured keywords (within the budget), and the guess
    and the next question come from the belief with those cells."""
    from planner.table import make_table, save_table
    from planner.tree import QuestionTree
    from tables.refine_llm import RefineSpec

    rng = np.random.default_rng(0)
    names = [f"thing {i}" for i in range(30)]
    qids = [f"n{j}" for j in range(12)]
    spec = RefineSpec("qf_sub", "stub", 1.0, 0.0, {q: 0.02 for q in qids}, names[:5])
    t = make_table(names, rng.uniform(0.2, 0.8, (30, 12)).astype(np.float32), prior=rng.dirichlet(np.ones(30)),
                   questions=[f"Is it kind {j}?" for j in range(12)], kinds=["natural"] * 12,
                   meta={"refine": spec.to_meta()})
    t.questions["id"] = qids
    save_table(t, tmp_path / "table")
    tree = QuestionTree(min_mass=1e-3).fit(t)
    tree.save(tmp_path / "tree.npz")
    cfg = Config(root=tmp_path, table=tmp_path / "table", tree=tmp_path / "tree.npz", refine_cells=4, refine_s=30.0,
                 refine_rule="leaders", refine_top=8)
    scorer = RefineStub()
    me, llm = _with_llm(cfg, tmp_path, scorer)
    assert llm.get(wait_s=10) is scorer
    q0 = int(tree.question_[0])
    w = me.guesser().walker
    before = w.belief([q0], [True], [])
    lead = [k for k in np.argsort(-before, kind="stable") if k >= 5][:4]        # unmeasured leaders
    obs = {"turnType": "guess", "role": "guesser", "questions": [t.questions["text"][q0]], "answers": ["yes"],
           "guesses": [], "remainingOverageTime": 300}
    guess = me(obs)
    g = me.guesser()
    assert sorted(k for k, _ in g.refiner.cells_) == sorted(lead) and {q for _, q in g.refiner.cells_} == {q0}
    assert {k for k, _ in scorer.cells} == {names[k] for k in lead}
    assert guess not in {names[k] for k in lead}                       # a firm "no" to a question answered yes
    assert guess == names[w.next_guess([q0], [True], [], g.refiner.cells_).index]
    first = dict(g.refiner.cells_)
    obs.update(turnType="ask", guesses=[guess])
    q = me(obs)
    assert q != obs["questions"][0] and not w.next_question([q0], [True], [guess], g.refiner.cells_).on_tree
    assert me.stats["errors"] == 0
    # refine_turns "both" (default): the ask turn measures the next leaders, on the belief after the wrong guess
    from planner.refine import select_cells

    assert cfg.refine_turns == "both"
    after = w.belief([q0], [True], [guess], first)
    want = select_cells(after, [q0], np.ones(12, bool), np.isin(names, names[:5]), set(first), top=8, budget=4)
    assert len(want) == 4 and sorted(set(g.refiner.cells_) - set(first)) == sorted(want)
    # refine_turns "guess": the ask turn measures nothing
    me5, llm5 = _with_llm(cfg.with_(refine_turns="guess"), tmp_path, RefineStub())
    llm5.get(wait_s=10)
    me5(dict(obs, turnType="guess", guesses=[]))
    me5(dict(obs, turnType="ask", guesses=[guess]))
    assert sorted(me5.guesser().refiner.cells_) == sorted(first)
    # the contradiction rule: the cells select_contradicted picks for that belief and answer
    from planner.refine import select_contradicted

    me3, llm3 = _with_llm(cfg.with_(refine_rule="contradiction", refine_top=20), tmp_path, RefineStub())
    llm3.get(wait_s=10)
    obs.update(turnType="guess", guesses=[])
    me3(obs)
    want = select_contradicted(before, [q0], [True], t.P, np.ones(12, bool), np.isin(names, names[:5]), set(),
                               top=20, budget=4)
    assert len(want) == 4 and sorted(me3.guesser().refiner.cells_) == sorted(want)
    # the suspects rule: select_suspects' cells (one question asked: one cell a suspect)
    from planner.refine import select_suspects

    me4, llm4 = _with_llm(cfg.with_(refine_rule="suspects", refine_top=20), tmp_path, RefineStub())
    llm4.get(wait_s=10)
    me4(obs)
    want = select_suspects(before, [q0], [True], t.P, np.ones(12, bool), np.isin(names, names[:5]), set(),
                           top=20, budget=4)
    assert len(want) == 4 and sorted(me4.guesser().refiner.cells_) == sorted(want)
    # refinement off: nothing measured
    me2, llm2 = _with_llm(cfg.with_(refine_cells=0), tmp_path, RefineStub())
    llm2.get(wait_s=10)
    obs.update(turnType="guess", guesses=[])
    me2(obs)
    assert me2.guesser().refiner is None
