"""Scoring jobs (tables/scoring.py): shards, resume, joblib and Dask backends, assembly.

Uses a fake scorer (deterministic P from a hash) so it runs without a model; one test at the end
runs the real SmolLM2 through build_table (marked llm).
"""
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from planner.table import make_table, save_table
from tables.scoring import (Job, ScorerSpec, ScoringError, load_answers, read_keywords,
                            read_questions, run_job, sample_rows)

ROOT = Path(__file__).resolve().parents[1]
SMOL = ROOT / "models" / "smollm2"
KEYWORDS = ["apple", "paris", "whale", "hammer", "guitar", "tomato", "spider"]
QUESTIONS = ["Is it a fruit?", "Is it a city?", "Is it an animal?"]


def fake_p(keyword: str, question: str) -> float:
    h = hashlib.sha256(f"{keyword}|{question}".encode()).digest()
    return h[0] / 255.0


class FakeScorer:
    """Deterministic stand-in for YesNoScorer. fail_on: raise when asked about this keyword;
    log: append each scored keyword to this file; sleep: seconds per keyword."""

    def __init__(self, fail_on=None, log=None, sleep=0.0):
        self.fail_on, self.log, self.sleep = fail_on, log, sleep

    def score(self, keyword, questions, category=None):
        if keyword == self.fail_on:
            raise RuntimeError(f"simulated crash on {keyword}")
        if self.log:
            with open(self.log, "a") as f:
                f.write(keyword + "\n")
        if self.sleep:
            time.sleep(self.sleep)
        return np.array([fake_p(keyword, q) for q in questions])


def spec(**options):
    return ScorerSpec(factory="tests.test_scoring:FakeScorer", options=tuple(sorted(options.items())), name="fake")


def expected(keywords=KEYWORDS, questions=QUESTIONS):
    return np.array([[fake_p(k, q) for q in questions] for k in keywords], dtype=np.float32)


@pytest.fixture
def universe(tmp_path):
    d = tmp_path / "universe"
    t = make_table(KEYWORDS, np.zeros((len(KEYWORDS), len(QUESTIONS))), prior=np.arange(1, len(KEYWORDS) + 1),
                   questions=QUESTIONS, categories=["thing", "place", "thing", "thing", "thing", "thing", "thing"])
    save_table(t, d)
    return d


def make_job(universe, out, sp=None, rows=None, block_size=2):
    kw, qs = read_keywords(universe), read_questions(universe)
    rows = np.arange(len(kw)) if rows is None else rows
    return Job(sp or spec(), kw, qs, rows, out=out, block_size=block_size)


# --- inputs ------------------------------------------------------------------------------------


def test_read_inputs(tmp_path, universe):
    kw = read_keywords(universe)
    assert kw["keyword"].tolist() == KEYWORDS and list(kw.columns) == ["keyword", "alts", "category", "prior"]
    assert read_questions(universe)["text"].tolist() == QUESTIONS
    (tmp_path / "k.txt").write_text("a\nb\n\n")
    (tmp_path / "q.csv").write_text("text\nIs it big?\n")
    assert read_keywords(tmp_path / "k.txt")["keyword"].tolist() == ["a", "b"]
    q = read_questions(tmp_path / "q.csv")
    assert q["id"].tolist() == ["q00000"] and q["kind"].tolist() == ["llm"]


def test_read_errors(tmp_path):
    (tmp_path / "dup.txt").write_text("a\nb\na\n")
    with pytest.raises(ScoringError, match="row 4: duplicate keyword 'a'"):
        read_keywords(tmp_path / "dup.txt")
    (tmp_path / "bad.csv").write_text("word\nx\n")
    with pytest.raises(ScoringError, match="needs a 'keyword' column"):
        read_keywords(tmp_path / "bad.csv")
    with pytest.raises(ScoringError, match="needs a 'text' column"):
        read_questions(tmp_path / "bad.csv")
    with pytest.raises(ScoringError, match="file not found"):
        read_questions(tmp_path / "missing.csv")


def test_sample_rows():
    assert sample_rows(5, None).tolist() == [0, 1, 2, 3, 4]
    a = sample_rows(100, 10, seed=3)
    assert len(a) == 10 and np.all(np.diff(a) > 0) and a.tolist() == sample_rows(100, 10, seed=3).tolist()
    w = np.zeros(100)
    w[[5, 50, 70]] = 1
    assert sample_rows(100, 3, weights=w).tolist() == [5, 50, 70]


# --- runs ----------------------------------------------------------------------------------------


def test_serial_run_and_assembly(tmp_path, universe):
    job = make_job(universe, tmp_path / "out")
    s = run_job(job, progress=False)
    assert s["shards"] == 4 and s["computed"] == 4 and s["cells"] == len(KEYWORDS) * len(QUESTIONS)
    t, mask = load_answers(tmp_path / "out" / "fake")
    np.testing.assert_array_equal(t.P, expected())
    assert mask.all() and t.names == KEYWORDS
    assert t.keywords["category"].tolist()[1] == "place"
    assert t.meta["source"] == "fake" and t.meta["scored_cells"] == mask.size
    assert json.loads((job.shard_dir / "job.json").read_text())["n_shards"] == 4


def test_sample_mask_and_merge(tmp_path, universe):
    out = tmp_path / "out"
    run_job(make_job(universe, out, rows=np.array([1, 4])), progress=False)
    t, mask = load_answers(out / "fake")
    assert mask.sum(1).tolist() == [0, 3, 0, 0, 3, 0, 0]
    assert np.all(t.P[~mask] == 0.5)
    run_job(make_job(universe, out, rows=np.array([0, 4, 6])), progress=False)  # a second sample merges
    t, mask = load_answers(out / "fake")
    assert mask.sum(1).tolist() == [3, 3, 0, 0, 3, 0, 3]
    np.testing.assert_array_equal(t.P[mask.any(1)], expected()[mask.any(1)])
    assert len(t.meta["jobs"]) == 2


def test_resume_after_crash(tmp_path, universe):
    """A run that dies in shard 2 keeps shards 0-1; the resumed run computes only shards 2-3 and
    assembles the same table as an uninterrupted run."""
    out, log = tmp_path / "out", tmp_path / "calls.txt"
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_job(make_job(universe, out, spec(fail_on="tomato")), progress=False)
    job = make_job(universe, out, spec(log=str(log)))
    assert job.pending() == [2, 3] and not (out / "fake" / "P.npy").exists()
    s = run_job(job, progress=False)
    assert s["skipped"] == 2 and s["computed"] == 2
    assert log.read_text().split() == KEYWORDS[4:]  # shards 2-3 = rows 4..6
    ref = make_job(universe, tmp_path / "ref")
    run_job(ref, progress=False)
    a, b = load_answers(out / "fake"), load_answers(tmp_path / "ref" / "fake")
    np.testing.assert_array_equal(a[0].P, b[0].P)
    np.testing.assert_array_equal(a[1], b[1])
    log.unlink()
    assert run_job(job, progress=False)["computed"] == 0 and not log.exists()


def test_resume_after_crash_mid_shard(tmp_path, universe):
    out, log = tmp_path / "out", tmp_path / "calls.txt"
    with pytest.raises(RuntimeError):
        run_job(make_job(universe, out, spec(fail_on="hammer")), progress=False)  # row 3: 2nd of shard 1
    assert sorted(p.name for p in make_job(universe, out).shard_dir.iterdir()) == ["job.json", "shard_000000.npz"]
    run_job(make_job(universe, out, spec(log=str(log))), progress=False)
    assert log.read_text().split() == KEYWORDS[2:]
    np.testing.assert_array_equal(load_answers(out / "fake")[0].P, expected())


def test_max_shards_chunks(tmp_path, universe):
    job = make_job(universe, tmp_path / "out")
    s = run_job(job, max_shards=3, progress=False)
    assert s["computed"] == 3 and s["assembled"] is None
    s = run_job(job, max_shards=3, progress=False)
    assert s["computed"] == 1 and s["assembled"]


def test_assemble_partial_then_full(tmp_path, universe):
    """The finished shards of an unfinished job can be assembled (nothing computed with max_shards=0);
    the full assembly later merges into the same directory."""
    out = tmp_path / "out"
    job = make_job(universe, out)
    s = run_job(job, max_shards=0, assemble_partial=True, progress=False)
    assert s["computed"] == 0 and s["assembled"] is None                 # no shard yet: nothing to assemble
    s = run_job(job, max_shards=2, assemble_partial=True, progress=False)
    assert s["computed"] == 2 and s["partial"] and s["assembled"]
    t, mask = load_answers(out / "fake")
    assert mask.sum(1).tolist() == [3, 3, 3, 3, 0, 0, 0]                   # shards 0-1 = rows 0..3
    np.testing.assert_array_equal(t.P[:4], expected()[:4])
    assert t.meta["partial"] == {"job": job.id, "shards_done": 2, "shards": 4}
    s = run_job(job, progress=False)
    t, mask = load_answers(out / "fake")
    assert s["computed"] == 2 and mask.all() and "partial" not in t.meta
    np.testing.assert_array_equal(t.P, expected())


def test_kill_and_resume(tmp_path, universe):
    """SIGKILL a build_table process mid-run; the resumed run finishes with the same table."""
    out, log = tmp_path / "out", tmp_path / "calls.txt"
    code = (
        "import sys, numpy as np; sys.path.insert(0, %r)\n"
        "from tests.test_scoring import make_job, spec\nfrom tables.scoring import run_job\n"
        "run_job(make_job(%r, %r, spec(sleep=0.4), block_size=1), progress=False)\n"
    ) % (str(ROOT), str(universe), str(out))
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    shard_dir = make_job(universe, out, spec(sleep=0.4), block_size=1).shard_dir
    deadline = time.time() + 60
    while time.time() < deadline and len(list(shard_dir.glob("shard_*.npz"))) < 2:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(shard_dir.glob("shard_*.npz")))
    assert 2 <= done < len(KEYWORDS)
    s = run_job(make_job(universe, out, spec(sleep=0.4, log=str(log)), block_size=1), progress=False)
    assert s["skipped"] == done and log.read_text().split() == KEYWORDS[done:]
    np.testing.assert_array_equal(load_answers(out / "fake")[0].P, expected())


def test_joblib_equals_serial(tmp_path, universe):
    run_job(make_job(universe, tmp_path / "a"), progress=False)
    run_job(make_job(universe, tmp_path / "b"), n_jobs=2, progress=False)
    np.testing.assert_array_equal(load_answers(tmp_path / "a" / "fake")[0].P, load_answers(tmp_path / "b" / "fake")[0].P)


def test_dask_local_cluster_equals_serial(tmp_path, universe):
    pytest.importorskip("dask.distributed")
    run_job(make_job(universe, tmp_path / "a"), progress=False)
    s = run_job(make_job(universe, tmp_path / "b"), n_jobs=2, scheduler="local-threads", progress=False)
    assert s["computed"] == 4
    a, b = load_answers(tmp_path / "a" / "fake"), load_answers(tmp_path / "b" / "fake")
    np.testing.assert_array_equal(a[0].P, b[0].P)
    assert a[0].hash == b[0].hash


def test_universe_mismatch(tmp_path, universe):
    out = tmp_path / "out"
    run_job(make_job(universe, out), progress=False)
    kw, qs = read_keywords(universe), read_questions(universe)
    other = Job(spec(), kw.iloc[:3].reset_index(drop=True), qs, np.arange(3), out=out)
    with pytest.raises(ScoringError, match="different universe"):
        run_job(other, progress=False)


def test_job_errors(universe, tmp_path):
    kw, qs = read_keywords(universe), read_questions(universe)
    with pytest.raises(ScoringError, match="block_size"):
        Job(spec(), kw, qs, np.arange(2), out=tmp_path, block_size=0)
    with pytest.raises(ScoringError, match="out of range"):
        Job(spec(), kw, qs, np.array([0, 99]), out=tmp_path)


# --- the real model ------------------------------------------------------------------------------


@pytest.mark.llm
@pytest.mark.skipif(not (SMOL / "config.json").exists(),
                    reason="models/smollm2 absent: run `python scripts/fetch_models.py smollm2`")
def test_build_table_smollm2_serial_equals_dask(tmp_path, universe):
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_table

    base = ["--model", str(SMOL), "--prompt", "plain_sub", "--table", str(universe), "--keywords-sample", "3",
            "--block-size", "2", "--batch-size", "2", "--no-progress"]
    assert build_table.main(build_table.make_parser().parse_args(base + ["--out", str(tmp_path / "a")])) == 0
    assert build_table.main(build_table.make_parser().parse_args(
        base + ["--out", str(tmp_path / "b"), "--scheduler", "local-threads", "--n-jobs", "2"])) == 0
    a, ma = load_answers(tmp_path / "a" / "smollm2-plain_sub")
    b, mb = load_answers(tmp_path / "b" / "smollm2-plain_sub")
    assert ma.sum() == 3 * len(QUESTIONS)
    np.testing.assert_array_equal(ma, mb)
    np.testing.assert_allclose(a.P, b.P, atol=1e-5)
