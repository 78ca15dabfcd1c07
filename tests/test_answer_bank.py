"""The answer bank (tables/answer_bank.py, tables/bank_sources.py): shards, resume, extension,
round trip, bad files, keyword sampling, cross-source comparison. A fake scorer stands in for the
LLM (tests/test_scoring.py's FakeScorer); one test runs SmolLM2 through the script (marked llm)."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tables.answer_bank import (BANK_VERSION, Bank, BankError, BankJob, load_bank, read_bank_keywords, read_shard,
                                sample_bank_keywords)
from tables.bank_sources import agreement_by_question, compare_banks, equal_rate_answers, status
from tables.scoring import ScorerSpec, run_job
from tests.test_scoring import fake_p

ROOT = Path(__file__).resolve().parents[1]
SMOL = ROOT / "models" / "smollm2"
KEYWORDS = ["apple", "paris", "whale", "hammer", "guitar", "tomato", "spider"]
QUESTIONS = pd.DataFrame({"id": ["q1", "q2", "q3"], "text": ["Is it a fruit?", "Is it a city?", "Is it an animal?"]})


def spec(name="fake", **options):
    return ScorerSpec(factory="tests.test_scoring:FakeScorer", options=tuple(sorted(options.items())), name=name)


def kw(names=KEYWORDS):
    return pd.DataFrame({"keyword": names, "category": "", "prior": "", "origin": ""})


def expected_logit(keywords=KEYWORDS, questions=QUESTIONS["text"]):
    P = np.clip(np.array([[fake_p(k, q) for q in questions] for k in keywords]), 1e-7, 1 - 1e-7)
    return (np.log(P) - np.log1p(-P)).astype(np.float16).astype(np.float32)


def job(root, keywords=KEYWORDS, questions=QUESTIONS, block_size=2, **options):
    return BankJob(spec(**options), kw(keywords), questions, root=root, block_size=block_size)


def test_round_trip(tmp_path):
    s = run_job(job(tmp_path), progress=False)
    assert s["computed"] == 4 and s["cells"] == 21
    b = load_bank(tmp_path / "fake")
    assert b.keywords == KEYWORDS and b.qids == ["q1", "q2", "q3"] and b.cells == 21
    np.testing.assert_array_equal(b.logit, expected_logit())
    np.testing.assert_allclose(b.P, 1 / (1 + np.exp(-expected_logit())), rtol=1e-6)
    assert json.loads((tmp_path / "fake" / "source.json").read_text())["version"] == BANK_VERSION
    fr = b.frame()
    assert len(fr) == 21 and set(fr.columns) == {"keyword", "qid", "logit"}
    again = run_job(job(tmp_path), progress=False)
    assert again["skipped"] == 4 and again["computed"] == 0


def test_extend_keywords_and_questions_reuses_shards(tmp_path):
    run_job(job(tmp_path, KEYWORDS[:4]), progress=False)
    s = run_job(job(tmp_path, KEYWORDS), progress=False)  # appended keywords: only new blocks run
    assert s["skipped"] == 2 and s["computed"] == 2
    more = pd.DataFrame({"id": ["q4"], "text": ["Is it red?"]})
    s = run_job(job(tmp_path, questions=more), progress=False)  # a new question: its own shards
    assert s["computed"] == 4
    b = load_bank(tmp_path / "fake", qids=["q4", "q1"])
    assert b.qids == ["q4", "q1", "q2", "q3"] and b.mask.all()
    np.testing.assert_array_equal(b.logit[:, 1:], expected_logit())
    np.testing.assert_array_equal(b.logit[:, :1], expected_logit(questions=["Is it red?"]))


def test_partial_bank_has_nan_cells(tmp_path):
    run_job(job(tmp_path), progress=False, max_shards=1)
    b = load_bank(tmp_path / "fake")
    assert b.keywords == KEYWORDS[:2] and b.cells == 6 and b.mask.all()
    run_job(job(tmp_path, questions=QUESTIONS.iloc[:1]), progress=False)
    b = load_bank(tmp_path / "fake")
    assert b.cells == 6 + 5 and np.isnan(b.logit[2:, 1:]).all()


def test_joblib_and_dask_equal_serial(tmp_path):
    run_job(job(tmp_path / "a"), progress=False)
    run_job(job(tmp_path / "b"), n_jobs=2, progress=False)
    pytest.importorskip("dask.distributed")
    run_job(job(tmp_path / "c"), n_jobs=2, scheduler="local-threads", progress=False)
    a = load_bank(tmp_path / "a" / "fake").logit
    np.testing.assert_array_equal(a, load_bank(tmp_path / "b" / "fake").logit)
    np.testing.assert_array_equal(a, load_bank(tmp_path / "c" / "fake").logit)


def test_commit_hook_sees_every_shard(tmp_path):
    seen = []
    run_job(job(tmp_path), progress=False, on_shard=seen.append)
    assert sorted(p.name for p in seen) == sorted(p.name for p in (tmp_path / "fake" / "shards").glob("*.npz"))


def test_resume_after_kill_loses_no_finished_shard(tmp_path):
    """SIGKILL a bank job mid-run: its finished shards stay valid and the resumed run skips them."""
    root, log = tmp_path / "bank", tmp_path / "calls.txt"
    code = ("import sys; sys.path.insert(0, %r)\n"
            "from tests.test_answer_bank import job\nfrom tables.scoring import run_job\n"
            "run_job(job(%r, block_size=1, sleep=0.4), progress=False)\n") % (str(ROOT), str(root))
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    shards = root / "fake" / "shards"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(shards.glob("*.npz"))) < 2:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = sorted(shards.glob("*.npz"))
    assert 2 <= len(finished) < len(KEYWORDS)
    before = {p.name: p.read_bytes() for p in finished}
    s = run_job(job(root, block_size=1, sleep=0.4, log=str(log)), progress=False)
    assert s["skipped"] == len(finished)
    assert log.read_text().split() == KEYWORDS[len(finished):]
    assert all((shards / n).read_bytes() == data for n, data in before.items())
    np.testing.assert_array_equal(load_bank(root / "fake").logit, expected_logit())


# --- bad files ---------------------------------------------------------------------------------


def test_bad_shards_give_clear_errors(tmp_path):
    run_job(job(tmp_path), progress=False)
    d = tmp_path / "fake"
    shard = sorted((d / "shards").glob("*.npz"))[0]
    good = read_shard(shard)

    def rewrite(**over):
        arrays = {**good, **over}
        with open(shard, "wb") as f:
            np.savez(f, **arrays)

    rewrite(version=np.array(BANK_VERSION + 1))
    with pytest.raises(BankError, match=rf"{shard.name}: format version {BANK_VERSION + 1}"):
        load_bank(d)
    rewrite(logit=good["logit"][:, :2])
    with pytest.raises(BankError, match=r"logit shape \(2, 2\) does not match 2 keywords x 3 questions"):
        load_bank(d)
    bad = good["logit"].copy()
    bad[1, 2] = np.nan
    rewrite(logit=bad)
    with pytest.raises(BankError, match=r"logit\[1, 2\] \('paris', 'q3'\) is nan"):
        load_bank(d)
    shard.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(BankError, match=rf"{shard.name}: unreadable shard"):
        load_bank(d)
    with pytest.raises(BankError, match="not a bank source dir"):
        load_bank(tmp_path / "nothing")


def test_source_manifest_guards_the_source(tmp_path):
    run_job(job(tmp_path), progress=False)
    other = BankJob(ScorerSpec(model_dir="models/x", prompt="qf_plain", name="fake"), kw(), QUESTIONS, root=tmp_path)
    with pytest.raises(BankError, match="source.json: describes"):
        run_job(other, progress=False)


def test_bad_keyword_list(tmp_path):
    p = tmp_path / "keywords.csv"
    p.write_text("keyword,category\napple,food\nbanana,food\napple,food\n")
    with pytest.raises(BankError, match=r"keywords.csv: row 4: duplicate keyword 'apple' \(first at row 2\)"):
        read_bank_keywords(p)
    p.write_text("keyword\napple\n\nbanana\n")
    with pytest.raises(BankError, match="row 3: empty keyword"):
        read_bank_keywords(p)
    p.write_text("name\napple\n")
    with pytest.raises(BankError, match="needs a 'keyword' column"):
        read_bank_keywords(p)


# --- keywords, comparison, status -------------------------------------------------------------------


def test_sample_bank_keywords_excludes_holdout():
    universe = pd.DataFrame({"keyword": [f"k{i}" for i in range(200)], "category": "artifact",
                             "prior": np.linspace(1, 2, 200)})
    public = [f"k{i}" for i in range(0, 40)]
    holdout = [f"K{i}" for i in range(0, 10)]  # matched after normalisation
    out = sample_bank_keywords(universe, public, holdout, n_prior=50, n_public=20, seed=3)
    assert len(out) == 70 and out["keyword"].is_unique
    assert not set(out["keyword"]) & {f"k{i}" for i in range(10)}
    assert (out["origin"] == "public").sum() == 20
    assert set(out.loc[out["origin"] == "public", "keyword"]) <= set(public[10:])
    again = sample_bank_keywords(universe, public, holdout, n_prior=50, n_public=20, seed=3)
    assert out.equals(again)
    with pytest.raises(BankError, match="only 30 public keywords"):
        sample_bank_keywords(universe, public, holdout, n_prior=5, n_public=31)


def test_equal_rate_answers_and_compare():
    assert equal_rate_answers(np.array([0.1, 0.9, 0.5, 0.7]), 0.5).tolist() == [False, True, False, True]
    assert not equal_rate_answers(np.array([1.0, 2.0]), 0.0).any()
    # a: monotone in b but shifted (a yes-sayer): at equal rates they agree fully, raw they do not
    lb = np.array([[-2.0, -1.0, 1.0, 2.0], [-3.0, 3.0, -0.5, 0.5]])
    la = lb + 5.0
    a = Bank("a", ["x", "y"], ["q1", "q2", "q3", "q4"], la.astype(np.float32), {})
    b = Bank("b", ["y", "x", "z"], ["q4", "q3", "q2", "q1"],
             np.vstack([lb[1, ::-1], lb[0, ::-1], np.zeros(4)]).astype(np.float32), {})
    c = compare_banks(a, b)
    assert c["cells"] == 8 and c["keywords"] == 2
    assert c["rate"] == 0.5 and c["agreement_equal_rate"] == 1.0 and c["auc"] == 1.0
    assert c["agreement_raw"] == 0.5
    per = agreement_by_question(a, b).set_index("qid")
    assert per.loc["q1", "cells"] == 2 and per["agreement"].eq(1.0).all()


def _two_sources(tmp_path, monkeypatch):
    """A bank root with the main source (7 keywords) and the chat source (its first 3), fake answers."""
    import tables.bank_sources as bs

    pd.DataFrame({"keyword": KEYWORDS}).to_csv(tmp_path / "keywords.csv", index=False)
    qfile = tmp_path / "natural.csv"
    pd.DataFrame({"id": ["q1", "q2", "q3"], "text": QUESTIONS["text"], "kind": "natural", "topic": "what"}).to_csv(qfile, index=False)
    monkeypatch.setattr(bs, "SOURCES", {
        "main": {"model": "m", "prompt": "qf_plain", "quantize": None, "limit": None, "kinds": ("natural",)},
        "chat": {"model": "m", "prompt": "sys_sub", "quantize": None, "limit": 3, "kinds": ("natural",)}})
    import tables.question_bank as qb

    monkeypatch.setattr(qb, "NATURAL", qfile)
    main, second = bs.make_job("main", root=tmp_path), bs.make_job("chat", root=tmp_path)
    for j, name in ((main, main.source), (second, second.source)):
        j.spec = spec(name=name)
        run_job(j, progress=False)
    return main, second


def test_status_counts_sources(tmp_path, monkeypatch):
    main, second = _two_sources(tmp_path, monkeypatch)
    st = status(root=tmp_path)
    assert st["questions_natural"] == 3 and st["sources"] == 2
    assert st["keywords"] == 7 and st["cells"] == 21
    assert st["cross_prompt_agreement"] == 1.0  # the same fake answers under two names
    assert st["agreement"][second.source]["cells"] == 9


def test_table_banks_main_first_and_cut(tmp_path, monkeypatch):
    import tables.bank_sources as bs

    main, second = _two_sources(tmp_path, monkeypatch)
    name, others, banks, cals = bs.table_banks(tmp_path, bank_keywords=4)
    assert name == main.source and others == [second.source]
    assert list(banks) == [main.source, second.source]          # main first: the floor's pair order
    assert banks[main.source].keywords == KEYWORDS[:4] and banks[second.source].keywords == KEYWORDS[:3]
    assert cals == {main.source: None, second.source: None}     # no check-set scores committed here
    name, others, banks, _ = bs.table_banks(tmp_path, main_source=second.source)
    assert name == second.source and others == [main.source] and banks[main.source].keywords == KEYWORDS
    assert bs.table_banks(tmp_path, other_sources=[])[1] == []


def test_select_keeps_questions_in_order():
    b = Bank("s", ["a", "b", "c"], ["q1", "q2", "hs"], np.array([[1, 2, 3], [4, 5, 6], [np.nan, np.nan, 9]], np.float32), {})
    sel = b.select(["q2", "q1", "q9"])
    assert sel.keywords == ["a", "b"] and sel.qids == ["q2", "q1", "q9"]    # "c" scored none of them
    np.testing.assert_array_equal(sel.logit[:, :2], [[2, 1], [5, 4]])
    assert np.isnan(sel.logit[:, 2]).all() and sel.cells == 4


def test_head_is_the_bank_as_it_stood():
    L = np.arange(12, dtype=np.float32).reshape(4, 3)
    b = Bank("s", ["a", "b", "c", "d"], ["q1", "q2", "q3"], L, {})
    h = b.head(2)
    assert h.keywords == ["a", "b"] and h.qids == b.qids and h.source == "s"
    np.testing.assert_array_equal(h.logit, L[:2])
    assert b.head(4).cells == 12
    for n in (0, 5):
        with pytest.raises(ValueError, match=f"first {n} keywords, the bank holds 4"):
            b.head(n)


@pytest.mark.llm
@pytest.mark.skipif(not (SMOL / "config.json").exists(), reason="models/smollm2 absent")
def test_script_extends_bank_with_smollm2(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    import answer_bank

    pd.DataFrame({"keyword": ["banana", "hammer", "whale"]}).to_csv(tmp_path / "keywords.csv", index=False)
    args = answer_bank.make_parser().parse_args(
        ["--extend", "main", "--root", str(tmp_path), "--model", str(SMOL), "--block-size", "2",
         "--kinds", "natural", "--limit-questions", "12", "--no-progress", "--max-shards", "1"])
    assert answer_bank.main(args) == 0
    b = load_bank(next(p.parent for p in tmp_path.glob("*/source.json")))
    assert b.keywords == ["banana", "hammer"] and len(b.qids) == 12 and b.mask.all()
    assert b.spec["prompt"] == "qf_sub" and np.isfinite(b.logit).all()


def test_bank_report_runs_on_a_fake_bank(tmp_path, monkeypatch):
    """scripts/bank_report.py on two fake sources over the real natural questions."""
    import tables.bank_sources as bs
    from tables.question_bank import question_bank

    sys.path.insert(0, str(ROOT / "scripts"))
    import bank_report

    nat = question_bank(kinds=("natural",)).iloc[:40]
    pd.DataFrame({"keyword": KEYWORDS, "origin": ["prior"] * 5 + ["public"] * 2}).to_csv(tmp_path / "keywords.csv", index=False)
    monkeypatch.setattr(bs, "SOURCES", {
        "main": {"model": "m", "prompt": "qf_sub", "quantize": None, "limit": None, "kinds": ("natural",)},
        "chat": {"model": "m", "prompt": "sys_sub", "quantize": None, "limit": 4, "kinds": ("natural",)}})
    hs = question_bank(kinds=("handshake",))
    for preset in ("main", "chat"):
        j = bs.make_job(preset, root=tmp_path)
        j.questions = pd.concat([nat, hs], ignore_index=True)   # the handshake is scored but never compared
        j.spec = spec(name=j.source)
        run_job(j, progress=False)
    out = tmp_path / "report.md"
    assert bank_report.main(bank_report.make_parser().parse_args(["--root", str(tmp_path), "--out", str(out)])) == 0
    text = out.read_text()
    assert len(hs) == 1 and "160 shared cells over 4 keywords" in text   # 4 chat keywords x 40 natural questions
    assert "## Yes rate per question over the prior" in text and "## Cross-prompt agreement" in text
    assert "m-qf_sub" in text and "| qid | text | topic | yes_rate |" in text


def test_prompt_comparisons_on_known_prompts():
    """Three synthetic prompts over one truth: b flips a's answers on a known set of questions, c
    is a with a global yes shift. Pairs, per-question transfer and leave-one-prompt-out agree with
    what was built in."""
    from tables.answer_bank import Bank
    from tables.bank_sources import leave_one_prompt_out, prompt_pairs, question_agreement_transfer

    rng = np.random.default_rng(0)
    K, Q = 60, 40
    kws, qids = [f"k{i}" for i in range(K)], [f"q{j}" for j in range(Q)]
    truth = rng.normal(size=(K, Q)) * 3
    flip = np.zeros(Q, bool)
    flip[:10] = True                                          # b answers these 10 questions the other way
    la = truth + rng.normal(size=(K, Q)) * 0.3
    lb = np.where(flip[None, :], -truth, truth) + rng.normal(size=(K, Q)) * 0.3
    lc = truth + 2.0 + rng.normal(size=(K, Q)) * 0.3         # says yes more often
    banks = {n: Bank(n, kws, qids, v.astype(np.float32), {}) for n, v in (("a", la), ("b", lb), ("c", lc))}
    pp = prompt_pairs(banks).set_index(["a", "b"])
    assert pp.loc[("a", "c"), "yes_b"] > pp.loc[("a", "c"), "yes_a"] + 0.1
    assert pp.loc[("a", "c"), "agreement_equal_rate"] > pp.loc[("a", "b"), "agreement_equal_rate"]
    assert pp.loc[("a", "b"), "cells"] == K * Q
    tr = question_agreement_transfer(banks).set_index(["pair1", "pair2"])
    # disagreement on the flipped questions is shared by a~b and b~c: a property of those questions with b
    assert tr.loc[("a ~ b", "b ~ c"), "corr"] > 0.8
    lo = leave_one_prompt_out(banks).set_index(["target", "predictor"])
    assert lo.loc[("c", "a"), "auc"] > 0.95 and lo.loc[("c", "b"), "auc"] < lo.loc[("c", "a"), "auc"]
    assert ("c", "mean of others") in lo.index and (lo["cells"] == K * Q).all()


def test_add_keywords_appends_in_order_and_keeps_the_holdout_out(tmp_path):
    """Candidates go to the end of the list in their order with the given origin, skipping listed
    keywords and any a guess of a hold-out thing would win against (plural included); the first
    rows (those scored shards hold) stay as they were; at most n are added."""
    from tables.bank_sources import add_keywords

    pd.DataFrame({"keyword": ["cat", "dog"], "category": ["animal"] * 2, "prior": ["0.1", "0.2"],
                  "origin": ["public", "prior"]}).to_csv(tmp_path / "keywords.csv", index=False)
    hold = tmp_path / "holdout.csv"
    pd.DataFrame({"keyword": ["Toasters", "The Kettle"]}).to_csv(hold, index=False)
    cand = pd.DataFrame({"keyword": ["dog", "toaster", "lamp", "kettle", "spoon", "fork"],
                         "category": ["animal", "artifact", "artifact", "artifact", "artifact", "artifact"],
                         "prior": [0.2, 0.3, 0.1, 0.1, 0.05, 0.01]})
    added = add_keywords(cand, 2, origin="learned", root=tmp_path, holdout_path=hold)
    assert added["keyword"].tolist() == ["lamp", "spoon"]
    out = pd.read_csv(tmp_path / "keywords.csv", dtype=str, keep_default_na=False)
    assert out["keyword"].tolist() == ["cat", "dog", "lamp", "spoon"]
    assert out["origin"].tolist() == ["public", "prior", "learned", "learned"]
    assert add_keywords(cand, 5, origin="learned", root=tmp_path, holdout_path=hold)["keyword"].tolist() == ["fork"]
    with pytest.raises(BankError, match="missing"):
        add_keywords(cand[["keyword"]], 1, origin="learned", root=tmp_path, holdout_path=hold)
