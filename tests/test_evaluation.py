import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from planner.evaluation import TableAnswerer, parse_answer, play_games, summarize, table_answerer
from planner.synthetic import make_halving, make_synthetic
from planner.table import make_table, save_table
from planner.tree import QuestionTree

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def setup():
    t = make_synthetic(400, 80, noise=0.1, seed=21, prior_skew=0.5)
    return t, QuestionTree(min_mass=1e-4).fit(t)


def test_answer_parsing_agrees_with_the_referee():
    ref = pytest.importorskip("kaggle_environments.envs.llm_20_questions.llm_20_questions")
    rng = np.random.default_rng(0)
    pieces = ["yes", "Yes.", "no", "NO!", "nope", "maybe", "", "I know", "yesno", "Nobody", "eyes", "unsure", "n", "y"]
    cases = [" ".join(rng.choice(pieces, size=rng.integers(1, 4))) for _ in range(300)] + pieces
    for text in cases:
        obs = lambda: SimpleNamespace(answers=[], questions=["q"], keyword="", category="")  # noqa: E731
        active = SimpleNamespace(action=text, observation=obs(), status="ACTIVE", reward=0)
        inactive = SimpleNamespace(action=None, observation=obs(), status="INACTIVE", reward=0)
        bad = ref.answerer_action(active, inactive)
        got = parse_answer(text)
        if bad:
            assert got is None, text
        else:
            assert got == (active.observation.answers[-1] == "yes"), text


def test_exact_answers_on_a_halving_table_solve_by_round_10():
    t = make_halving(7)
    tree = QuestionTree().fit(t)
    df = play_games(t, "q20", table_answerer("exact", t), t.names, tree=tree)
    assert df["solved"].all() and df["round"].max() <= 7
    assert summarize(df)["errors"] == 0


def test_common_random_numbers_make_q20_and_greedy_identical(setup):
    t, tree = setup
    A = table_answerer("flip:0.1", t)
    kws = t.names[::4]
    a = play_games(t, "q20", A, kws, tree=tree, games_per_keyword=2, seed=3)
    b = play_games(t, "greedy", A, kws, games_per_keyword=2, seed=3)
    assert (a["guesses"] == b["guesses"]).mean() > 0.97
    assert a["off_tree_moves"].sum() < b["off_tree_moves"].sum()
    c = play_games(t, "q20", A, kws, tree=tree, games_per_keyword=2, seed=4)
    assert (a["guesses"] != c["guesses"]).any()


def test_soft_beats_hard_and_random_under_noise(setup):
    t, tree = setup
    A = table_answerer("flip:0.1", t)
    rate = {g: play_games(t, g, A, t.names, tree=tree, seed=1)["solved"].mean() for g in ("q20", "hard", "random")}
    assert rate["q20"] > rate["hard"] + 0.1 and rate["q20"] > rate["random"]


def test_outside_universe_keywords(setup):
    t, tree = setup
    df = play_games(t, "q20", table_answerer("flip:0.1", t), ["zebra crossing", t.names[0]], tree=tree)
    assert list(df["in_universe"]) == [False, True] and list(df["answerable"]) == [False, True]
    assert not df["solved"].iloc[0] and summarize(df)["outside_universe"] == 0.5
    calls = []

    def liar(keyword, question):
        calls.append((keyword, question))
        return "No, I don't think so" if len(calls) % 3 else "maybe"

    df = play_games(t, "q20", liar, ["zebra crossing"], tree=tree)
    assert df["answerable"].iloc[0] and len(calls) == 20 and not df["solved"].iloc[0]
    assert df["errors"].iloc[0] == 6 and calls[0][0] == "zebra crossing"


def test_bad_specs(setup):
    t, tree = setup
    with pytest.raises(ValueError, match="unknown answerer"):
        table_answerer("oracle", t)
    with pytest.raises(ValueError, match="flip probability"):
        table_answerer("flip:0.7", t)
    with pytest.raises(ValueError, match="unknown guesser"):
        play_games(t, "smart", table_answerer("exact", t), t.names[:2])
    with pytest.raises(ValueError, match="needs a fitted tree"):
        play_games(t, "q20", table_answerer("exact", t), t.names[:2])


def test_evaluate_script(tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "scripts"))
    import evaluate
    t = make_synthetic(120, 30, noise=0.05, seed=2)
    save_table(t, tmp_path / "t")
    kw = tmp_path / "kw.txt"
    kw.write_text("# test list\n" + "\n".join(t.names[:40]) + "\nnot a keyword|alt\n")
    args = evaluate.make_parser().parse_args(
        ["--keywords", str(kw), "--table", str(tmp_path / "t"), "--guesser", "q20", "--guesser", "hard",
         "--answerer", "flip:0.05", "--out", str(tmp_path / "out"), "--json", "--jobs", "2"])
    evaluate.main(args)
    out = json.loads(capsys.readouterr().out)
    assert out["keywords"] == 41 and len(out["results"]) == 2
    r = {x["guesser"]: x for x in out["results"]}
    assert r["q20"]["games"] == 41 and r["q20"]["outside_universe"] == pytest.approx(1 / 41)
    assert (tmp_path / "out" / "solve_curve.png").stat().st_size > 1000
    bad = tmp_path / "bad.txt"; bad.write_text("apple\n|alt\n")
    with pytest.raises(SystemExit, match=r"bad\.txt: line 2: empty keyword"):
        evaluate.read_keywords(str(bad))
    held = evaluate.read_keywords("holdout")                       # the development hold-out, no header row
    assert len(held) == 100 and "keyword" not in {k for k, _ in held}


def test_evaluate_through_the_real_referee(tmp_path, capsys):
    pytest.importorskip("kaggle_environments")
    sys.path.insert(0, str(ROOT / "scripts"))
    import evaluate
    kw = tmp_path / "kw.txt"
    kw.write_text("Screwdriver\nPickaxe\nTelescope\n")
    args = evaluate.make_parser().parse_args(
        ["--keywords", str(kw), "--table", str(ROOT / "tables" / "example"), "--referee", "--answerer", "exact",
         "--out", str(tmp_path / "out"), "--json"])
    evaluate.main(args)
    out = json.loads(capsys.readouterr().out)
    assert out["games"] == 3 and out["errors"] == 0 and out["solve_rate_20"] == 1.0


def test_replay_games_reads_transcripts_back_into_the_belief(setup):
    """Games played by the exact answerer, replayed: the belief after the recorded answers is the
    walker's own (rank 0 for a halving table's keyword after its 7 answers); a keyword whose
    recorded answers are all flipped is ranked far down; an unknown keyword is skipped."""
    from planner.evaluation import replay_games
    from planner.walk import Walker

    t = make_halving(7)
    tree = QuestionTree().fit(t)
    df = play_games(t, "q20", table_answerer("exact", t), t.names[:12], tree=tree)
    assert df["solved"].all()
    rep = replay_games(Walker(t), df)
    assert len(rep) == 12 and (rep["rank"] == 0).all() and (rep["rounds"].to_numpy() == df["rounds_played"].to_numpy()).all()
    flipped = df.copy()
    flipped["transcript"] = [tr.replace("-> yes", "-> N").replace("-> no", "-> yes").replace("-> N", "-> no")
                             for tr in df["transcript"]]
    flipped.loc[len(flipped)] = flipped.iloc[0]
    flipped.loc[len(flipped) - 1, "keyword"] = "not a keyword of the table"
    rep2 = replay_games(Walker(t), flipped)
    assert len(rep2) == 12 and (rep2["rank"] > 0).all() and (rep2["log2_p"] < rep["log2_p"]).all()
    # an unsolved game's guesses are all wrong ones: a keyword it guessed leaves the belief
    lost = df.iloc[[0]].assign(solved=False)
    assert replay_games(Walker(t), lost)["log2_p"].iloc[0] < -900


def test_replay_prior_rank_and_bands():
    """A replayed game carries its keyword's prior rank (0 = most probable, as a naive count) and
    whether it was solved; by_prior_band counts games and solves per band of that rank."""
    from planner.evaluation import by_prior_band, replay_games
    from planner.walk import Walker

    t = make_halving(6)
    t.keywords["prior"] = np.linspace(1.0, 2.0, t.K) / np.linspace(1.0, 2.0, t.K).sum()   # last = most probable
    tree = QuestionTree().fit(t)
    df = play_games(t, "q20", table_answerer("exact", t), t.names[:10], tree=tree)
    df.loc[[1, 3], "solved"] = False
    rep = replay_games(Walker(t), df)
    naive = [sum(p > t.prior[i] for p in t.prior) for i in range(10)]
    assert rep["prior_rank"].tolist() == naive == [t.K - 1 - i for i in range(10)]
    assert rep["solved"].tolist() == df["solved"].tolist()
    bands = by_prior_band(rep, edges=(t.K - 5, t.K - 2))
    assert [(b["lo"], b["hi"], b["games"], b["solved"]) for b in bands] == \
        [(0, t.K - 5, 5, 5), (t.K - 5, t.K - 2, 3, 2), (t.K - 2, None, 2, 1)]   # unsolved: ranks K-2 and K-4
    assert bands[1]["share"] == round(2 / 3, 4)
    assert by_prior_band(rep.iloc[:0], edges=(5,))[0] == {"lo": 0, "hi": 5, "games": 0, "solved": 0, "share": None,
                                                          "median_rank": None, "mean_log2_p": None}


def test_recorded_cells_and_their_calibration():
    """The cells a transcript put to the answerer, once each, with the table's P; a calibration of
    cells that predict perfectly vs. cells that are inverted."""
    import pandas as pd

    from planner.evaluation import cell_calibration, recorded_cells, transcript

    t = make_halving(3)
    texts = t.questions["text"].tolist()
    k = 5
    ans = [bool(t.P[k, j] >= 0.5) for j in range(3)]
    games = pd.DataFrame({"keyword": [t.names[k], t.names[k], "unknown thing"],
                          "transcript": [transcript(texts, [0, 1, 2], ans, ["a", "b", "c"]),
                                         transcript(texts, [2, 0], [ans[2], None], ["d", "e"]),
                                         transcript(texts, [0], [True], ["f"])]})
    cells = recorded_cells(t, games)
    assert sorted(cells["q"]) == [0, 1, 2] and (cells["k"] == k).all()
    assert (cells["answer"] == [int(ans[j]) for j in cells["q"]]).all()
    assert np.allclose(cells["p"], t.P[k, cells["q"]])
    good = cell_calibration([.9, .8, .2, .1], [1, 1, 0, 0])
    bad = cell_calibration([.9, .8, .2, .1], [0, 0, 1, 1])
    assert good["auc"] == 1.0 and bad["auc"] == 0.0 and good["other_side"] == 0.0 and bad["other_side"] == 1.0
    assert good["log_loss"] < bad["log_loss"] and sum(b[2] for b in good["bins"]) == 4


def test_replay_refined_guesses_itself_and_refinement_helps():
    """Without a refiner, games an exact answerer played on a halving table replay as solved with
    the keyword first; on a table that only predicts most keywords (right 70% of the time), a
    refiner measuring the truth wins back games on the same answers, within its budget."""
    from planner.evaluation import replay_refined
    from planner.refine import Refiner
    from planner.walk import Walker

    t = make_halving(6)
    df = play_games(t, "q20", table_answerer("exact", t), t.names[:10], tree=QuestionTree().fit(t))
    rep = replay_refined(Walker(t), df)
    assert rep["solved"].all() and (rep["rank"] == 0).all() and (rep["refined_cells"] == 0).all()
    assert (rep["round"] <= df["rounds_played"]).all()

    rng = np.random.default_rng(3)
    K, Q = 300, 50
    truth = np.where(rng.random((K, Q)) < 0.5, 0.92, 0.08).astype(np.float32)
    guess = np.where(rng.random((K, Q)) < 0.7, truth, 1 - truth)
    P = (0.5 + 0.3 * (guess - 0.5)).astype(np.float32)
    blur = make_table([f"thing{i}" for i in range(K)], P, prior=np.ones(K) / K)
    games = play_games(blur, "greedy", TableAnswerer(truth, "truth"), blur.names[::4], seed=1)
    base = replay_refined(Walker(blur), games)
    r = Refiner(lambda k, q: truth[k, q], np.ones(Q, bool), np.zeros(K, bool), top=64, budget=8,
                rule="contradiction", P=blur.P)
    ref = replay_refined(Walker(blur), games, r)
    assert (ref["refined_cells"] <= 8 * games["rounds_played"].to_numpy()).all() and ref["refined_cells"].sum() > 0
    assert ref["solved"].sum() > base["solved"].sum() and ref["rank"].median() < base["rank"].median()


def test_reply_cells_reads_a_memo_once_per_cell(tmp_path):
    import sys

    import pandas as pd

    from planner.evaluation import reply_cells
    from planner.table import save_table

    t = make_halving(3)
    texts = t.questions["text"].tolist()
    replies = pd.DataFrame({"keyword": [t.names[5], t.names[5], t.names[5], "unknown thing", t.names[2], t.names[2]],
                            "question": [texts[0], texts[0], texts[1], texts[0], "not a column", texts[2]],
                            "answer": ["yes", "no", "No.", "yes", "yes", "maybe"]})
    cells = reply_cells(t, replies)
    # the first reply to a cell counts; unknown keywords, other questions and unparsed answers are left out
    assert list(zip(cells["k"], cells["q"], cells["answer"])) == [(5, 0, 1), (5, 1, 0)]
    assert np.allclose(cells["p"], t.P[5, [0, 1]])
    with pytest.raises(ValueError, match=r"lack columns \['answer'\]"):
        reply_cells(t, replies.drop(columns="answer"))
    # the script: the same cells scored, one line a table
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import score_replies as script

    save_table(make_table(t.names, t.P, questions=texts, kinds=["natural", "natural", "spelling"]), tmp_path / "t")
    f = tmp_path / "replies.csv"
    replies.to_csv(f, index=False)
    out = script.main(script.make_parser().parse_args(["--table", str(tmp_path / "t"), "--replies", str(f), "--all-keywords"]))
    assert out[0]["cells"] == 2 and out[0]["keywords"] == 1 and out[0]["yes_rate"] == 0.5
    assert out[0]["auc"] == 1.0                                    # bit 0 of 5 is set (yes), bit 1 is not (no)
    held = script.main(script.make_parser().parse_args(["--table", str(tmp_path / "t"), "--replies", str(f)]))
    assert held[0]["cells"] == 0                                  # none of these keywords is in the hold-out
    with pytest.raises(SystemExit, match="no file"):
        script.main(script.make_parser().parse_args(["--table", str(tmp_path / "t"), "--replies", str(tmp_path / "x.csv")]))
    # --prompt keeps one answerer's rows of a file holding two
    replies.assign(prompt=["a", "b", "a", "a", "a", "a"]).to_csv(f, index=False)
    out = script.main(script.make_parser().parse_args(["--table", str(tmp_path / "t"), "--replies", str(f), "--all-keywords",
                                                       "--prompt", "b"]))
    assert out[0]["cells"] == 1 and out[0]["yes_rate"] == 0.0
    with pytest.raises(SystemExit, match=r"no reply of prompt 'c' \(the file has \['a', 'b'\]\)"):
        script.main(script.make_parser().parse_args(["--table", str(tmp_path / "t"), "--replies", str(f), "--prompt", "c"]))


def test_answer_shift_recovers_a_yes_bias():
    from planner.evaluation import answer_shift

    rng = np.random.default_rng(0)
    p = rng.uniform(0.02, 0.98, size=20000)
    z = np.log(p / (1 - p))
    for s in (-2.0, 0.0, 1.5, 3.8):
        a = rng.random(len(p)) < 1 / (1 + np.exp(-(z + s)))
        got, ll = answer_shift(p, a)
        assert abs(got - s) < 0.1
        assert ll <= answer_shift(p, a, bound=1e-9)[1] + 1e-12     # no worse than no shift
    assert answer_shift([0.5] * 4, [1, 1, 1, 0])[0] == pytest.approx(np.log(3), abs=1e-4)
    assert np.isnan(answer_shift([], [])[0])
