"""tables/refine_llm.py: the table's refine spec, and measuring cells the way the bank did."""
from pathlib import Path

import numpy as np
import pytest

from planner.table import load_table, make_table, save_table
from tables.refine_llm import CellMeasure, RefineSpec, cell_probability, refine_masks, refine_spec

ROOT = Path(__file__).resolve().parents[1]
SMOL = ROOT / "models" / "smollm2"


def _table(spec=None):
    names = ["apple", "hammer", "violin", "tiger"]
    qs = ["Is it alive?", "Is it made of metal?", "Does the keyword start with the letter A?"]
    t = make_table(names, np.full((4, 3), 0.5, np.float32), questions=qs, kinds=["natural", "natural", "spelling"],
                   meta={"refine": spec.to_meta()} if spec else {})
    t.questions["id"] = ["n1", "n2", "s1"]
    return t


SPEC = RefineSpec("qf_sub", "src", 2.0, -0.5, {"n1": 0.05, "n2": 0.1}, ["apple", "tiger"], bank_map=None)


def test_spec_round_trip_through_a_saved_table(tmp_path):
    save_table(_table(SPEC), tmp_path / "t")
    t = load_table(tmp_path / "t")
    got = refine_spec(t)
    assert got == SPEC
    refinable, measured = refine_masks(t, got)
    assert refinable.tolist() == [True, True, False] and measured.tolist() == [True, False, False, True]
    assert refine_spec(_table()) is None


@pytest.mark.parametrize("bad, msg", [({"version": 9}, "refine version 9"),
                                      ({"version": 1, "prompt": "x"}, "bad refine entry"),
                                      ({**SPEC.to_meta(), "calibration": ["a", 1]}, "bad refine entry")])
def test_bad_refine_meta_is_named(bad, msg):
    with pytest.raises(ValueError, match=msg):
        RefineSpec.from_meta(bad, where="x/meta.json")


def test_cell_probability_calibrates_maps_and_floors():
    p = cell_probability(np.array([-10.0, 0.25, 10.0]), SPEC, np.array([0.05, 0.05, 0.2]))
    np.testing.assert_allclose(p, [0.05, 0.5, 0.8])
    mapped = RefineSpec("qf_sub", "s", 1.0, 0.0, {}, [], bank_map=(1.0, 1.0))
    np.testing.assert_allclose(cell_probability(np.array([0.0]), mapped, np.array([0.01])), [1 / (1 + np.exp(-1))])


class QuestionScorer:
    """score_question only: margin +3 when the keyword's first letter is in the question."""

    prompt = "qf_sub"

    def __init__(self):
        self.calls = []

    def score_question(self, question, keywords, categories=None, logit=False):
        self.calls.append((question, list(keywords)))
        return np.array([3.0 if k[0] in question.lower() else -3.0 for k in keywords])


def test_cell_measure_groups_by_question_and_rejects_letter_questions():
    t = _table(SPEC)
    s = QuestionScorer()
    m = CellMeasure(s, SPEC, t)
    p = m(np.array([1, 2, 1]), np.array([0, 0, 1]))
    assert [c[0] for c in s.calls] == ["Is it alive?", "Is it made of metal?"]
    assert s.calls[0][1] == ["hammer", "violin"]
    # "violin" vs "Is it alive?": 'v' is in it -> +3 -> sigmoid(2*3 - .5) = 0.996, above 1 - floor;
    # "hammer" vs "Is it made of metal?": no 'h' -> -3 -> sigmoid(-6.5), below the floor 0.1
    np.testing.assert_allclose(p[1:], [0.95, 0.1], rtol=1e-6)
    with pytest.raises(ValueError, match="not a refinable"):
        m(np.array([0]), np.array([2]))


@pytest.mark.skipif(not (SMOL / "config.json").exists(), reason="packaged SmolLM2 not fetched")
def test_measured_cells_equal_the_bank_path_on_the_small_model():
    """A cell measured in a game equals what the bank stores for it (same prompt, same margin),
    calibrated and floored like the table; the scorer's other-prompt copy shares the weights."""
    from tables.llm import YesNoScorer
    from tables.scoring import score_cells

    s = YesNoScorer(SMOL, prompt="sys_sub", num_threads=2)
    qf = s.with_prompt("qf_sub")
    assert qf.model is s.model and qf.prompt == "qf_sub" and s.prompt == "sys_sub"
    t = _table(SPEC)
    got = CellMeasure(s, SPEC, t)(np.array([0, 3, 1, 2]), np.array([0, 0, 1, 1]))
    bank = score_cells(YesNoScorer(SMOL, prompt="qf_sub", num_threads=2), t.names, ["Is it alive?", "Is it made of metal?"],
                       logit=True)
    want = cell_probability(bank[[0, 3, 1, 2], [0, 0, 1, 1]], SPEC, np.array([0.05, 0.05, 0.1, 0.1]))
    np.testing.assert_allclose(got, want, atol=1e-4)
