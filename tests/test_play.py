import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from planner.synthetic import make_synthetic
from planner.table import make_table, save_table
from planner.tree import QuestionTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import play  # noqa: E402


class ScriptedPerson:
    """Reads q20's prompts from its own write() and answers from one row of the table."""

    def __init__(self, table, keyword, flips=(), junk_first=0, answer_for_word=None):
        self.table, self.k = table, keyword
        self.qtext = {t: i for i, t in enumerate(table.questions["text"])}
        self.buf, self.flips, self.junk = "", set(flips), junk_first
        self.n_q = 0
        self.word = answer_for_word or table.names[keyword]

    def write(self, s):
        self.buf += s

    def flush(self):
        pass

    def readline(self):
        line = self._reply(self.buf.rsplit("\n", 1)[-1])
        self.buf += line                      # the terminal echoes what the person typed
        return line

    def _reply(self, last):
        if self.junk:
            self.junk -= 1
            return "maybe?\n"
        m = re.match(r"Q\d+: (.*) \[y/n/\?\] $", last)
        if m:
            q = self.qtext[m.group(1)]
            yes = self.table.P[self.k, q] >= 0.5
            if self.n_q in self.flips:
                yes = not yes
            self.n_q += 1
            return "y\n" if yes else "n\n"
        m = re.match(r"\s*My guess: (.*)\. Right\? \[y/n\] $", last)
        if m:
            return "y\n" if m.group(1) == self.table.names[self.k] else "n\n"
        if last.startswith("What was it?"):
            return self.word + "\n"
        raise AssertionError(f"unexpected prompt {last!r}")


@pytest.fixture(scope="module")
def game():
    t = make_synthetic(300, 60, noise=0.05, seed=11)
    return t, QuestionTree(min_mass=1e-3).fit(t)


@pytest.mark.parametrize("k", [0, 17, 123, 299])
def test_wins_a_noiseless_game(game, k):
    t, tree = game
    person = ScriptedPerson(t, k)
    rec = play.play(t, tree, person, person, show=True)
    assert rec["solved_round"] is not None and rec["solved_round"] <= 20
    assert "bits; top:" in person.buf


def test_bad_input_is_asked_again(game):
    t, tree = game
    person = ScriptedPerson(t, 5, junk_first=3)
    rec = play.play(t, tree, person, person)
    assert person.buf.count("please answer y (yes), n (no) or ? (unsure)") == 3
    assert rec["solved_round"] is not None


def test_failed_game_reports_disagreements_and_writes_feedback(tmp_path):
    # two keywords the table cannot tell apart, answered against the table on purpose
    t = make_table(["apple", "pear"], [[1.0, 0.0], [1.0, 0.0]], questions=["Is it a fruit?", "Is it red?"])
    tree = QuestionTree(min_mass=0).fit(t)
    person = ScriptedPerson(t, 0, flips={0, 1}, answer_for_word="Apples")
    # the person denies every guess by thinking of a third thing that is not in the table
    person.table = make_table(["apple", "pear", "zzz"], [[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]],
                              questions=["Is it a fruit?", "Is it red?"])
    person.k = 2
    fb = tmp_path / "fb.jsonl"
    rec = play.play(t, tree, person, person, rounds=2, feedback=fb)
    assert rec["solved_round"] is None and rec["in_universe"] is True
    assert "your answers disagreed with it on 2 question(s)" in person.buf
    line = json.loads(fb.read_text().splitlines()[0])
    assert line["keyword"] == "Apples" and len(line["rounds"]) == 2 and line["table_hash"] == t.hash
    assert {d["question"] for d in line["disagreements"]} == {"Is it a fruit?", "Is it red?"}


def test_cli_survives_junk_and_end_of_input(tmp_path):
    t = make_synthetic(50, 12, seed=1)
    save_table(t, tmp_path / "t")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "play.py"), "--table", str(tmp_path / "t"),
                           "--feedback", str(tmp_path / "fb.jsonl")],
                          input="hello\n\x03\nx\ny\n", capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "Bye." in proc.stdout
    assert proc.stdout.count("please answer") == 3
