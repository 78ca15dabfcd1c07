"""tables/path_cells.py: picking a thing's path cells by self-play, the path job (sparse shards,
resume), the keyword list; the sparse shard format of tables/answer_bank.py. A fake scorer
stands in for the LLM (tests/test_scoring.py)."""
import json

import numpy as np
import pandas as pd
import pytest

from planner.evaluation import TableAnswerer, parse_transcript, play_games
from planner.synthetic import make_synthetic
from planner.table import load_table, save_table
from planner.tree import QuestionTree
from tables.answer_bank import BankError, load_bank
from tables.path_cells import PathJob, add_path_keywords, pick_path_cells
from tables.scoring import ScorerSpec, run_job
from tests.test_scoring import fake_p


def _table(K=60, Q=30, seed=0):
    t = make_synthetic(K, Q, noise=0.1, seed=seed, prior_skew=1.0)
    t.questions["kind"] = ["natural"] * (Q - 5) + ["spelling"] * 5
    t.questions["id"] = [f"q{j}" for j in range(Q)]
    return t


def _sparse(path, keywords, qids, logit):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, keywords=np.array(keywords), qids=np.array(qids), logit=np.asarray(logit, dtype=np.float16), version=1)


def test_sparse_shards_load_beside_block_shards_and_bad_ones_are_named(tmp_path):
    d = tmp_path / "src"
    (d / "shards").mkdir(parents=True)
    (d / "source.json").write_text(json.dumps({"version": 1, "source": "src", "spec": {}}))
    np.savez(d / "shards" / "00000-a.npz", keywords=np.array(["apple", "pear"]), qids=np.array(["q1", "q2"]),
             logit=np.array([[1, 2], [3, 4]], dtype=np.float16), version=1)
    _sparse(d / "shards" / "00001-b.npz", ["pear", "plum", "plum"], ["q1", "q3", "q1"], [9, -1, 0.5])
    b = load_bank(d)
    assert b.keywords == ["apple", "pear", "plum"] and b.qids == ["q1", "q2", "q3"]
    want = np.array([[1, 2, np.nan], [3, 4, np.nan], [0.5, np.nan, -1]], dtype=np.float32)
    np.testing.assert_array_equal(b.logit, want)                  # pear/q1 scored twice: the first shard's value
    assert b.cells == 6 and b.head(2).keywords == ["apple", "pear"]
    _sparse(d / "shards" / "00002-c.npz", ["fig", "fig"], ["q1"], [1, 2])
    with pytest.raises(BankError, match="00002-c.npz: sparse shard with 2 keywords, 1 qids and 2 logits"):
        load_bank(d)
    _sparse(d / "shards" / "00002-c.npz", ["fig", "kiwi"], ["q1", "q2"], [1, np.nan])
    with pytest.raises(BankError, match=r"00002-c.npz: logit\[1\] \('kiwi', 'q2'\) is nan"):
        load_bank(d)


def test_pick_path_cells_counts_the_natural_questions_self_play_asks():
    t = _table()
    tree = QuestionTree(min_mass=1e-2).fit(t)
    kws = [t.names[i] for i in (0, 5, 17, 40)]
    got = pick_path_cells(t, tree, None, kws, games=6, cells=7, seed=3)
    # the same games counted by hand
    df = play_games(t, "q20", TableAnswerer(np.asarray(t.P, np.float32), "self"), kws, tree=tree,
                    games_per_keyword=6, seed=3)
    col = {x: j for j, x in enumerate(t.questions["text"])}
    for k in kws:
        counts = {}
        for tr in df.loc[df["keyword"] == k, "transcript"]:
            for text, _, _ in parse_transcript(tr):
                if col[text] < 25:
                    counts[f"q{col[text]}"] = counts.get(f"q{col[text]}", 0) + 1
        mine = got[got["keyword"] == k]
        assert len(mine) == min(7, len(counts))
        assert all(counts[q] == n for q, n in zip(mine["qid"], mine["count"]))
        assert list(mine["count"]) == sorted(mine["count"], reverse=True)
        assert min(mine["count"]) >= sorted(counts.values(), reverse=True)[len(mine) - 1]   # the most asked
    root = f"q{tree.question_[0]}"
    assert all(root in set(got.loc[got["keyword"] == k, "qid"]) for k in kws)    # every game asks the root
    assert got["qid"].map(lambda q: int(q[1:]) < 25).all()                        # natural questions only
    assert list(dict.fromkeys(got["keyword"])) == kws
    with pytest.raises(ValueError, match="not in the table"):
        pick_path_cells(t, tree, None, ["no such thing"])


def test_path_job_scores_the_picked_cells_and_resumes(tmp_path):
    t = _table()
    save_table(t, tmp_path / "agent")
    t = load_table(tmp_path / "agent")
    QuestionTree(min_mass=1e-2).fit(t).save(tmp_path / "agent" / "tree.npz")
    spec = ScorerSpec(factory="tests.test_scoring:FakeScorer", name="fakepath")
    kws = list(t.names[:5])
    job = PathJob(spec, kws, str(tmp_path / "agent"), t.hash, root=tmp_path / "bank", block_size=2, games=3,
                  cells_per_keyword=4)
    s = run_job(job, progress=False, max_shards=2)
    assert s["computed"] == 2 and job.pending() == [2]
    s = run_job(job, progress=False)
    assert s["computed"] == 1 and s["skipped"] == 2 and not job.pending()
    b = load_bank(tmp_path / "bank" / "fakepath")
    from tables.path_cells import _agent
    table, tree, types = _agent(str(tmp_path / "agent"), t.hash)
    want = pick_path_cells(table, tree, types, kws, games=3, cells=4)
    text = dict(zip(t.questions["id"], t.questions["text"]))
    assert b.cells == len(want)
    for k, q in zip(want["keyword"], want["qid"]):
        p = np.clip(fake_p(k, text[q]), 1e-7, 1 - 1e-7)
        assert b.grid([k], [q])[0, 0] == pytest.approx(np.log(p) - np.log1p(-p), abs=0.02)
    other = PathJob(spec, kws, str(tmp_path / "agent"), "0" * 64, root=tmp_path / "bank", block_size=2)
    assert other.id != job.id and not other.pending()     # cells another picking table chose still count
    with pytest.raises(BankError, match="the path job was made for 000000000000"):
        _agent.cache_clear()
        other.worker(other.task(0))


def test_add_path_keywords_follows_the_prior_and_skips_bank_and_holdout(tmp_path):
    from planner.table import make_table

    names = ["apple", "pear", "plum", "fig", "kiwi", "lime", "lemon", "grape"]
    prior = np.array([5, 8, 1, 7, 2, 6, 4, 3], dtype=float)          # order: pear fig lime apple lemon grape kiwi plum
    t = make_table(names, np.full((8, 3), 0.5), prior=prior)
    src = tmp_path / "path"
    first = add_path_keywords(t, 3, src, bank_keywords=["fig"], holdout=["Lime"])   # the referee's match ignores case
    assert first == ["pear", "apple", "lemon"]
    more = add_path_keywords(t, 2, src, bank_keywords=["fig"], holdout=["Lime"])
    assert more == ["grape", "kiwi"]
    listed = pd.read_csv(src / "keywords.csv")
    assert listed["keyword"].tolist() == first + more and listed["origin"].str.startswith("path:").all()
