"""tables/question_bank.py: the committed natural questions validate; bad files give clear errors."""
import pandas as pd
import pytest

from tables.question_bank import (NATURAL, TOPICS, QuestionBankError, load_questions, normalize_text,
                                  question_bank, read_id_list)


def test_committed_natural_questions():
    q = load_questions(NATURAL)
    assert len(q) >= 300
    assert (q["kind"] == "natural").all()
    assert set(q["topic"]) == set(TOPICS)
    assert q["id"].str.startswith("nat:").all()
    assert not q["text"].str.contains(r"[()\[\]]").any()
    # every question names the thing as "it": substituting prompts (qf_sub, sys_sub) put the keyword there
    assert q["text"].str.contains(r"\bits?\b", case=False).all()


def test_bank_composes_kinds():
    b = question_bank()
    counts = b["kind"].value_counts()
    assert counts["natural"] >= 300 and counts["spelling"] > 100 and counts["alpha"] > 100 and counts["category"] >= 10
    assert b["id"].is_unique and b["text"].map(normalize_text).is_unique
    assert b["kind"].iloc[0] == "natural"
    assert set(question_bank(kinds=("natural",))["kind"]) == {"natural"}


def test_normalize_text():
    assert normalize_text("Is it  made of METAL?") == "is it made of metal"
    assert normalize_text("Is it man-made?") == normalize_text("is it man made")


def write(tmp_path, rows, name="q.csv"):
    p = tmp_path / name
    pd.DataFrame(rows, columns=["id", "text", "kind", "topic"]).to_csv(p, index=False)
    return p


GOOD = [("nat:a", "Is it an animal?", "natural", "what"), ("nat:b", "Is it made of metal?", "natural", "material")]


@pytest.mark.parametrize("bad,match", [
    (("nat:a", "Is it red?", "natural", "look"), r"row 4: duplicate id 'nat:a' \(first at row 2\)"),
    (("nat:c", "is it an ANIMAL", "natural", "what"), r"row 4: text 'is it an ANIMAL' repeats row 2"),
    (("nat:c", "Is it red?", "trivia", "look"), r"row 4: unknown kind 'trivia'"),
    (("nat:c", "Is it red?", "natural", "colour"), r"row 4: unknown topic 'colour'"),
    (("nat:c", "Is it red", "natural", "look"), r"row 4: question 'Is it red' does not end with '\?'"),
    (("nat:c", "Is it a crane (bird)?", "natural", "what"), r"row 4: brackets"),
    (("", "Is it red?", "natural", "look"), r"row 4: empty id"),
])
def test_errors_name_file_row_and_value(tmp_path, bad, match):
    p = write(tmp_path, GOOD + [bad])
    assert len(load_questions(write(tmp_path, GOOD, "good.csv"))) == 2
    with pytest.raises(QuestionBankError, match=match) as e:
        load_questions(p)
    assert str(p) in str(e.value)


def test_missing_file_and_columns(tmp_path):
    with pytest.raises(QuestionBankError, match="file not found"):
        load_questions(tmp_path / "none.csv")
    p = tmp_path / "cols.csv"
    p.write_text("id,question\nx,Is it?\n")
    with pytest.raises(QuestionBankError, match=r"missing column\(s\) \['text', 'kind'\]"):
        load_questions(p)


def test_category_ids_must_exist(tmp_path):
    ids = tmp_path / "category.txt"
    ids.write_text("# comment\ncat:00021939  # man-made\ncat:99999999\n")
    assert read_id_list(ids) == ["cat:00021939", "cat:99999999"]
    with pytest.raises(QuestionBankError, match="'cat:99999999' is not in"):
        question_bank(kinds=("category",), category_ids=ids)
