"""agent.exact: spelling questions answered by code, and the out-of-universe maths (agent.ood)."""
import numpy as np
import pytest

from agent.exact import clean_question, exact_answer
from agent.ood import answer_zscores, out_of_universe
from agent.spelling_table import public_keywords, spelling_table

KW = "Air Conditioner"


@pytest.mark.parametrize("question, expected", [
    ('Does the keyword (in lowercase) precede "laptop" in alphabetical order?', True),
    ("Does the keyword (in lowercase) precede 'aardvark' in alphabetical order?", False),
    ("Does the keyword come after \u201cbanana\u201d alphabetically?", False),
    ('Does the keyword follow "a" in alphabetical order?', True),
    ("Does the keyword start with the letter A?", True),
    ("Does it begin with 'b'?", False),
    ("Does the keyword begin with one of the letters b, c or d?", False),
    ("Does the keyword start with one of the letters 'x', 'a'?", True),
    ("Does it start with a letter between A and M?", True),
    ("Does the keyword start with a letter in the range n-z?", False),
    ("Is the first letter of the keyword a vowel?", True),
    ("Is the first letter in the second half of the alphabet?", False),
    ("Does the keyword end with the letter R?", True),
    ("Does the keyword contain the letter Z?", False),
    ("Does the keyword contain a vowel?", True),
    ("Is the keyword one word?", False),
    ("Is the keyword two words?", True),
    ("Does the keyword consist of more than one word?", True),
    ("Is the keyword a single word?", False),
    ("Does the keyword have more than 6 letters?", True),
    ("Is it 14 letters long?", True),
    ("Does the keyword have at most 10 characters?", False),
    ("Is it Agent Alpha?", True),
    ("Is the keyword one of the following: fridge, air conditioners?", True),
    ("Is the keyword one of the following? fridge, oven", False),
    ('Is it "air conditioner"?', True),
    ('Does the keyword start with "AI"?', True),
    ('Does the keyword start with "AR"?', False),
    ('Does the keyword start with a letter from "A" to "C"?', True),
    ("Is the keyword three or more words?", False),
    ("Is the keyword exactly two words?", True),
    ("Does the keyword have more than 13 letters (not counting spaces)?", True),
    ("Does the keyword have more than 14 letters (not counting spaces)?", False),
])
def test_recognised_forms(question, expected):
    assert exact_answer(KW, question) is expected


@pytest.mark.parametrize("question", [
    "Is it a kind of machine?", "Is it an animal?", "Does it have four legs?", "Is it a place?",
    "Does it start with A and end with R?",          # compound: refuse rather than half-answer
    "Does it start with something cold?", "Is it used in a kitchen or a bathroom?", "",
    "Is it alphabetically interesting?", "x" * 750,
])
def test_other_questions_are_not_answered(question):
    assert exact_answer(KW, question) is None


def test_letters_and_words_follow_the_table_definitions():
    assert exact_answer("T-shirt", "Is the keyword exactly two words?") is True
    assert exact_answer("T-shirt", "Does the keyword have more than 6 letters?") is False


def test_agrees_with_tables_example():
    """Every spelling/alpha cell of the committed example table, and no other question."""
    from pathlib import Path
    from planner.table import load_table
    d = Path(__file__).resolve().parents[1] / "tables" / "example"
    if not (d / "P.npy").exists():
        pytest.skip("tables/example not built")
    t = load_table(d)
    for j, (text, kind) in enumerate(zip(t.questions["text"], t.questions["kind"])):
        for i in range(0, t.K, 7 if kind in ("spelling", "alpha") else 41):
            a = exact_answer(t.names[i], text)
            if kind in ("spelling", "alpha"):
                assert a == bool(t.P[i, j] >= 0.5), (t.names[i], text)
            else:
                assert a is None, (t.names[i], text)


def test_clean_question():
    assert clean_question("Is  it \u201cA\u201d?") == 'is it "a"?'


def test_agrees_with_the_spelling_table_definitions():
    """exact_answer must reproduce every cell of the stand-in table (a sample of 3000)."""
    t = spelling_table(public_keywords())
    rng = np.random.default_rng(0)
    for i, j in zip(rng.integers(t.K, size=3000), rng.integers(t.Q, size=3000)):
        assert exact_answer(t.names[i], t.questions["text"][j]) == bool(t.P[i, j] >= 0.5), (t.names[i], t.questions["text"][j])


# --- out-of-universe rule ---------------------------------------------------------------------

def test_zscores_hand_values():
    z = answer_zscores(np.array([[1.0, 1.0], [0.0, 0.0]]), np.array([True, True]), 0.1)
    # p' = 0.9: ll = 2 log .9, mu = 2 (.9 log .9 + .1 log .1), var = 2 * .09 * log(9)^2
    mu = 2 * (0.9 * np.log(0.9) + 0.1 * np.log(0.1))
    sd = np.sqrt(2 * 0.09 * np.log(9) ** 2)
    np.testing.assert_allclose(z, [(2 * np.log(0.9) - mu) / sd, (2 * np.log(0.1) - mu) / sd], rtol=1e-5)


def test_rule_fires_only_on_implausible_answers():
    P = np.array([[1.0] * 10, [0.0] * 10], dtype=np.float32)             # two keywords, 10 questions
    qids = list(range(10))
    w = np.array([0.5, 0.5])
    consistent = [True] * 9 + [False]                                   # one flip: keyword 0 is fine
    assert not out_of_universe(P, w, qids, consistent, noise=0.1).fired
    split = [True] * 5 + [False] * 5                                    # 5 contradictions for both
    res = out_of_universe(P, w, qids, split, noise=0.1)
    assert res.fired and res.best_z < -3 and res.n == 10
    assert not out_of_universe(P, w, qids[:4], split[:4], noise=0.1).fired   # too few answers
    with np.errstate(all="raise"):
        out_of_universe(P, w, qids, [None] * 10, noise=0.1)
