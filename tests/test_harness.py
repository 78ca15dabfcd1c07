"""agent/harness.py: the answer memo (read back, appended, robust to a killed run) and the
transcript reader that seeds it."""
import pandas as pd
import pytest

from agent.harness import MEMO_COLUMNS, memo_answerer, memo_rows_from_games, read_memo
from planner.evaluation import transcript


def counting(answers):
    calls = []

    def answer(kw, q):
        calls.append((kw, q))
        return answers[(kw, q)]
    return answer, calls


def test_memo_reads_back_and_asks_only_new(tmp_path):
    path = tmp_path / "memo" / "answers.csv"
    truth = {("cat", "Is it alive?"): "yes", ("cat", 'Is it "big", really?'): "no", ("rock", "Is it alive?"): "no"}
    fn, calls = counting(truth)
    a = memo_answerer(fn, path, "m", "p")
    assert a("cat", "Is it alive?") == "yes" and a("cat", "Is it alive?") == "yes"
    assert a("cat", 'Is it "big", really?') == "no"
    assert calls == [("cat", "Is it alive?"), ("cat", 'Is it "big", really?')]
    assert a.counts == {"llm": 2, "memo": 1}
    fn2, calls2 = counting(truth)
    b = memo_answerer(fn2, path, "m", "p")               # a rerun: the file answers
    assert b("cat", 'Is it "big", really?') == "no" and b("rock", "Is it alive?") == "no"
    assert calls2 == [("rock", "Is it alive?")]
    assert read_memo(path, "m", "p") == truth
    assert read_memo(path, "m", "other prompt") == {}    # another prompt's replies are not this one's


def test_memo_drops_a_half_written_last_row(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text(",".join(MEMO_COLUMNS) + "\nm,p,cat,Is it alive?,yes\nm,p,cat,Is it bi")
    assert read_memo(path, "m", "p") == {("cat", "Is it alive?"): "yes"}


def test_memo_bad_row_names_file_and_row(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text(",".join(MEMO_COLUMNS) + "\nm,p,cat,Is it alive?,yes\nm,p,cat,Is it big?,maybe\n")
    with pytest.raises(ValueError, match=r"answers.csv, row 3: .*maybe"):
        read_memo(path, "m", "p")
    path.write_text("keyword,question,answer\n")
    with pytest.raises(ValueError, match="header"):
        read_memo(path, "m", "p")


def test_rows_from_transcripts_round_trip():
    texts = ["Is it alive?", "Does its name contain -> an arrow?", "Is it big?"]
    games = pd.DataFrame({"keyword": ["cat", "dog"],
                          "transcript": [transcript(texts, [0, 1], [True, False], ["dog", "cat"]),
                                         transcript(texts, [2, 0], [None, True], ["x; y", "z"])]})
    assert memo_rows_from_games(games) == [("cat", "Is it alive?", "yes"),
                                           ("cat", "Does its name contain -> an arrow?", "no"),
                                           ("dog", "Is it alive?", "yes")]
