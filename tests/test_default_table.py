"""tables/default_table.py + scripts/build_default_table.py end to end on fake committed data: a
fake bank (two prompt styles, tests.test_scoring.FakeScorer) and random embeddings of 400 real
universe things. No LLM; checks the plumbing, not the quality."""
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.table import load_table
from planner.tree import QuestionTree
from planner.types import load_types
from planner.walk import Walker
from tables.answer_bank import BankJob
from tables.embeddings import universe_things
from tables.question_bank import question_bank
from tables.scoring import ScorerSpec, run_job

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fake_data(tmp_path_factory):
    d = tmp_path_factory.mktemp("default")
    public = pd.read_csv(ROOT / "tables" / "example" / "keywords.csv")["keyword"].tolist()
    things = universe_things()
    kws = list(dict.fromkeys(things["keyword"].head(300).tolist() +
                             [k for k in public if k in set(things["keyword"])][:100]))
    rng = np.random.default_rng(0)
    emb = d / "emb"
    (emb / "shards").mkdir(parents=True)
    np.savez(emb / "basis.npz", id="fake")
    np.savez(emb / "shards" / "00000-fake.npz", keywords=np.array(kws), Z=rng.normal(size=(len(kws), 16)).astype(np.float16),
             version=1)
    bank = d / "bank"
    bank.mkdir()
    bank_kw = pd.DataFrame({"keyword": kws[:60], "category": "", "prior": "", "origin": "prior"})
    bank_kw.to_csv(bank / "keywords.csv", index=False)
    nat = question_bank(kinds=("natural",))
    letters = question_bank(kinds=("spelling", "alpha"))
    for name, lim, qs in (("qwen1.5b-qf_sub", 60, nat), ("qwen1.5b-sys_sub", 30, nat),
                          ("qwen1.5b-zs-dev", 20, nat), ("qwen1.5b-zs-dev-letters", 10, letters)):
        spec = ScorerSpec(factory="tests.test_scoring:FakeScorer", name=name)
        run_job(BankJob(spec, bank_kw.iloc[:lim], qs, root=bank, block_size=30), progress=False)
    return d


def test_build_default_table_script(fake_data, tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_default_table as script

    out = script.main(script.make_parser().parse_args(
        ["--out", str(tmp_path / "t"), "--n-keywords", "150", "--bank-root", str(fake_data / "bank"),
         "--embeddings", str(fake_data / "emb"), "--json"]))
    t = load_table(tmp_path / "t")
    types = load_types(tmp_path / "t" / "types.npz", t)
    assert t.K == 150 and types.names == ["llm", "exact"]
    kinds = t.questions["kind"].value_counts()
    assert kinds["natural"] == len(question_bank(kinds=("natural",))) and kinds["spelling"] > 20 and kinds["alpha"] >= 1
    rep = json.loads((tmp_path / "t" / "report.json").read_text())
    assert rep["completion_cv"]["keywords_cv"] == 60 and rep["prior"]["positives"] > 10
    top = rep["prior"]["top1500"]
    assert top["train_positives"] + top["holdout"] + top["unlabeled"] == min(1500, rep["prior"]["things"])
    assert len(top["first_unlabeled"]) == min(40, top["unlabeled"])
    assert 0 < rep["floor"]["p50"] < 0.5 and rep["coverage"]["holdout"]["n"] == 100
    # the development sources measure an unseen prompt; they never build the table
    assert rep["other_sources"] == ["qwen1.5b-sys_sub"]
    dev = rep["unseen_prompt"]
    assert dev["keywords"] == 20 and dev["bank_cells"]["cells"] == 20 * len(question_bank(kinds=("natural",)))
    from tables.default_table import letter_rates
    old = letter_rates()["spelling"]
    assert set(dev["letters"]) >= {"spelling", "alpha"} and rep["letter_rates"]["spelling"] == pytest.approx(
        [(old[0] + dev["letters"]["spelling"]["t1"]) / 2, (old[1] + dev["letters"]["spelling"]["t0"]) / 2])
    assert out["K"] == 150
    nat = (t.questions["kind"] == "natural").to_numpy()
    assert np.all((t.P[:, nat] >= 0.0) & (t.P[:, nat] <= 1.0))
    tree = QuestionTree(min_mass=1e-2).fit(t, types=types)
    w = Walker(t, tree, types=types)
    assert w.next_question([], [], []).on_tree
    # how a cell measured in a game is made: the main source's prompt, calibration and floors
    from tables.refine_llm import refine_masks, refine_spec
    spec = refine_spec(t)
    assert spec.prompt == "sys_sub" and spec.source == "qwen1.5b-qf_sub" and spec.bank_map is not None
    f = np.array([spec.floor[q] for q in t.questions["id"][nat]])
    assert np.all(t.P[:, nat] >= f - 1e-6) and np.all(t.P[:, nat] <= 1 - f + 1e-6)      # the table's own floors
    refinable, measured = refine_masks(t, spec)
    assert refinable.sum() == kinds["natural"] and 0 < measured.sum() <= 60
    assert set(spec.measured) <= set(pd.read_csv(fake_data / "bank" / "keywords.csv")["keyword"])
    assert min(spec.floor.values()) >= 0.01


def test_sweep_reports_holdout_estimate(fake_data):
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_default_table as script

    out = script.main(script.make_parser().parse_args(
        ["--sweep", "100", "200", "--bank-root", str(fake_data / "bank"), "--embeddings", str(fake_data / "emb"),
         "--min-mass", "1e-2", "--mc-games", "50", "--json"]))
    rows = out["sweep"]
    assert [r["n_keywords"] for r in rows] == [100, 200]
    for r in rows:
        for res in r["by_type"].values():
            # a hold-out thing counts only where the table holds it, at most its coverage
            assert 0.0 <= res["holdout_est"] <= r["holdout_coverage"] + 1e-9
    assert rows[1]["holdout_coverage"] >= rows[0]["holdout_coverage"]


def test_committed_default_table(tmp_path):
    """The default table from the committed bank, calibration and embeddings (what `make default`
    builds, cut small): it validates and round-trips with its types, holds the bank's calibrated
    cells (within the softness floor) where the bank has them, and its typed tree saves, loads and
    opens with a natural question (an LLM answers letter questions at chance)."""
    from planner.table import save_table
    from planner.tree import load_tree
    from planner.types import save_types
    from tables import bank_sources as bs
    from tables.answer_bank import load_bank
    from tables.answer_table import bank_cells
    from tables.default_table import build_default_table

    from tables.embeddings import COMPLETION_SOURCE, ROOT as EMB_ROOT
    table, types, rep = build_default_table(400, completion_embeddings=EMB_ROOT / COMPLETION_SOURCE, progress=lambda m: None)
    assert rep["completion_embeddings"] == "tables/embeddings/qwen1.5b-facts"    # repo-relative: no path in the hash
    save_table(table, tmp_path / "t")
    save_types(types, tmp_path / "t" / "types.npz")
    t = load_table(tmp_path / "t")
    types = load_types(tmp_path / "t" / "types.npz", t)
    assert t.K == 400 and t.hash == table.hash and types.names == ["llm", "exact"]
    assert rep["bank_cells_in_table"] > 0 and rep["completion_cv"]["keywords_cv"] >= 100
    from tables.default_table import learned_order
    assert learned_order()[:400] == t.names       # what embed_keywords.py --order learned embeds first

    main = rep["main_source"]
    sources = [(load_bank(bs.ROOT / s), bs.calibration(s)) for s in [main, *rep["other_sources"]]]
    nat = (t.questions["kind"] == "natural").to_numpy()
    qids = t.questions["id"][nat].tolist()
    names = t.names
    S, n = bank_cells(names, qids, sources)
    rows = np.flatnonzero((n > 0).all(axis=1))
    assert len(rows) > 0, "no bank keyword in the top 400"
    got, want = t.P[np.ix_(rows, np.flatnonzero(nat))], S[rows]
    dev = rep.get("unseen_prompt")
    if dev:                      # bank cells pass through the measured map to an unseen prompt
        from tables.answer_table import question_floor
        from tables.noise import apply_platt

        topics = question_bank(kinds=("natural",)).set_index("id").loc[qids, "topic"].tolist()
        f = question_floor(bs.agreement_by_question(sources[0][0].select(qids), sources[1][0].select(qids)),
                           qids, topics)[None, :]
        want = apply_platt(np.clip(want, f, 1 - f), dev["bank_cells"]["a"], dev["bank_cells"]["b"])
    same = np.abs(got - want) < 1e-4
    # the floor pulls a cell toward 0.5, never across it; a question the two prompt styles answer
    # no better than chance has floor 0.5 (e.g. "Is it made of gold or silver?" at 60 keywords)
    softened = ((got - 0.5) * (want - 0.5) >= 0) & (np.abs(got - 0.5) < np.abs(want - 0.5))
    assert np.all(same | softened) and same.mean() > 0.3           # only the floor moves a bank cell

    tree = QuestionTree(min_mass=1e-2).fit(t, types=types)
    tree.save(tmp_path / "tree.npz")
    back = load_tree(tmp_path / "tree.npz", table=t)
    back.check_types(types)
    first = Walker(t, back, types=types).next_question([], [], [])
    assert t.questions["kind"].iloc[first.index] == "natural", t.questions["text"].iloc[first.index]


def test_truthful_type_keeps_the_cells_before_the_unseen_map(fake_data):
    from tables.default_table import build_default_table

    kw = dict(bank_root=fake_data / "bank", embeddings_dir=fake_data / "emb", progress=lambda m: None)
    table, types, rep = build_default_table(120, truthful_weight=0.3, **kw)
    plain, ptypes, _ = build_default_table(120, unseen=False, **kw)
    assert types.names == ["llm", "exact", "truthful", "llm_half"] and ptypes.names == ["llm", "exact"]
    np.testing.assert_allclose(types.prior, [0.5, 0.2, 0.15, 0.15])
    nat = (table.questions["kind"] == "natural").to_numpy()
    truthful = types.matrix(table, 2)
    # the truthful type holds the table as it is without the map; the llm type (the table) is mapped
    np.testing.assert_allclose(truthful[:, nat], plain.P[:, nat], atol=1e-6)
    assert np.abs(table.P[:, nat] - plain.P[:, nat]).max() > 0.01
    np.testing.assert_array_equal(truthful[:, ~nat], table.P[:, ~nat])
    half = types.matrix(table, 3)[:, nat]           # between the two, cell by cell (monotone maps)
    lo, hi = np.minimum(truthful[:, nat], table.P[:, nat]), np.maximum(truthful[:, nat], table.P[:, nat])
    assert np.all((half >= lo - 1e-5) & (half <= hi + 1e-5)) and not np.allclose(half, table.P[:, nat])
    with pytest.raises(ValueError, match="truthful_weight"):
        build_default_table(120, truthful_weight=0.8, **kw)


def test_soft_completion_rescales_only_the_completion_cells(fake_data):
    from tables.default_table import build_default_table, scaled

    kw = dict(bank_root=fake_data / "bank", embeddings_dir=fake_data / "emb", progress=lambda m: None, unseen=False)
    plain, _, _ = build_default_table(400, **kw)            # every thing, the bank's 60 among them
    soft, _, rep = build_default_table(400, soft_completion=True, **kw)
    sc = rep["completion_scale"]
    assert sc["cells"] > 0 and sc["log_loss_after"] <= sc["log_loss_before"] + 1e-9
    assert soft.meta["report"]["completion_scale"] == sc          # the dev games read it from the table
    nat = np.flatnonzero((plain.questions["kind"] == "natural").to_numpy())
    bank_kw = set(plain.meta["refine"]["measured_keywords"])
    floor = np.array([plain.meta["refine"]["floor"][q] for q in plain.questions["id"].iloc[nat]])
    P0, P1 = plain.P[:, nat], soft.P[:, nat]
    expect = scaled(P0, sc, floor)
    moved = ~np.isclose(P0, P1, atol=1e-6)
    assert moved.any()
    np.testing.assert_allclose(P1[moved], expect[moved], atol=1e-5)   # a moved cell is the scaled cell
    # every bank-measured row of the table keeps its cells (only predictions are rescaled)
    rows = [i for i, n in enumerate(plain.names) if n in bank_kw]
    np.testing.assert_array_equal(P1[rows], P0[rows])
    assert (~moved).sum() >= rep["bank_cells_in_table"] > 0       # bank cells stay as measured
    np.testing.assert_array_equal(soft.P[:, len(nat):], plain.P[:, len(nat):])    # letters untouched


def _embeddings_dir(d, kws, Z, template="facts"):
    (d / "shards").mkdir(parents=True)
    np.savez(d / "basis.npz", id="fake2", template=template, layers=np.array([24, -1]))
    np.savez(d / "shards" / "00000-fake.npz", keywords=np.array(kws), Z=Z.astype(np.float16), version=1)
    return d


def test_completion_features_from_another_embeddings_dir(fake_data, tmp_path):
    from tables.default_table import build_default_table
    from tables.embeddings import load_embeddings

    kws, Z = load_embeddings(fake_data / "emb")
    other = _embeddings_dir(tmp_path / "facts", kws, np.random.default_rng(1).normal(size=(len(kws), 24)))
    kw = dict(bank_root=fake_data / "bank", embeddings_dir=fake_data / "emb", progress=lambda m: None, unseen=False)
    plain, _, _ = build_default_table(200, **kw)
    alt, _, rep = build_default_table(200, completion_embeddings=other, **kw)
    # the prior (and so the cut) comes from --embeddings; only the completion's features changed
    assert plain.names == alt.names
    np.testing.assert_allclose(plain.prior, alt.prior)
    assert rep["completion_embeddings"] == str(other) and "facts" in rep["completion_features"]   # outside the repo: as given
    nat = np.flatnonzero((plain.questions["kind"] == "natural").to_numpy())
    measured = set(plain.meta["refine"]["measured_keywords"])
    rows = [i for i, n in enumerate(plain.names) if n in measured]
    pred = [i for i, n in enumerate(plain.names) if n not in measured]
    np.testing.assert_array_equal(alt.P[np.ix_(rows, nat)], plain.P[np.ix_(rows, nat)])     # bank cells as measured
    assert not np.allclose(alt.P[np.ix_(pred, nat)], plain.P[np.ix_(pred, nat)])            # predictions moved
    # a cut keyword without a row in the completion dir: a clear error naming the dir and the keyword
    keep = [k for k in kws if k != plain.names[0]]
    short = _embeddings_dir(tmp_path / "short", keep, np.ones((len(keep), 24)))
    with pytest.raises(ValueError, match="short.*no embedding for 1 of the table's keywords") as e:
        build_default_table(200, completion_embeddings=short, **kw)
    assert plain.names[0] in str(e.value)


def test_bank_keywords_builds_the_table_of_the_bank_as_it_stood(fake_data):
    from tables import bank_sources as bs
    from tables.answer_bank import load_bank
    from tables.default_table import build_default_table

    kw = dict(bank_root=fake_data / "bank", embeddings_dir=fake_data / "emb", progress=lambda m: None, unseen=False)
    full, _, rep_full = build_default_table(400, **kw)
    pinned, _, rep = build_default_table(400, bank_keywords=20, **kw)
    main = load_bank(fake_data / "bank" / bs.make_job(bs.MAIN, root=fake_data / "bank").source)
    assert rep["bank_keywords"] == 20 and rep_full["bank_keywords"] == len(main.keywords) > 20
    other = set().union(*(load_bank(fake_data / "bank" / s).keywords for s in rep["other_sources"]))
    measured, cut = set(pinned.meta["refine"]["measured_keywords"]), set(pinned.keywords["keyword"])
    assert measured <= set(main.keywords[:20]) | other               # the main source's later keywords are predicted
    assert set(main.keywords[:20]) & cut <= measured and (set(main.keywords[20:]) - other) & cut
    assert 0 < rep["bank_cells_in_table"] < rep_full["bank_cells_in_table"]
    assert rep["completion_cv"]["keywords_cv"] == 20
    with pytest.raises(ValueError, match="the bank holds"):
        build_default_table(400, bank_keywords=len(main.keywords) + 1, **kw)


def test_completion_params_reach_the_completion_model(fake_data, tmp_path):
    from tables.default_table import build_default_table

    kw = dict(bank_root=fake_data / "bank", embeddings_dir=fake_data / "emb", progress=lambda m: None, unseen=False)
    plain, _, rep0 = build_default_table(200, **kw)
    sharp, _, rep = build_default_table(200, completion_params={"taus": (50.0,)}, **kw)
    assert "completion_params" not in rep0 and rep["completion_params"] == {"taus": [50.0]}
    assert rep["completion_cv"]["model"] != rep0["completion_cv"]["model"]       # the CV ran the given grid
    nat = np.flatnonzero((plain.questions["kind"] == "natural").to_numpy())
    measured = set(plain.meta["refine"]["measured_keywords"])
    pred = [i for i, n in enumerate(plain.names) if n not in measured]
    assert not np.allclose(sharp.P[np.ix_(pred, nat)], plain.P[np.ix_(pred, nat)])   # predictions moved
    # the script's flag: the grid in the report; a bad grid or a non-kernel model is a clear error
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_default_table as script

    base = ["--out", str(tmp_path / "t"), "--n-keywords", "150", "--bank-root", str(fake_data / "bank"),
            "--embeddings", str(fake_data / "emb"), "--no-unseen-map", "--json"]
    script.main(script.make_parser().parse_args(base + ["--kernel-taus", "1", "2"]))
    assert json.loads((tmp_path / "t" / "report.json").read_text())["completion_params"] == {"taus": [1.0, 2.0]}
    for bad, msg in ((["--kernel-taus", "0", "2"], "must be > 0"),
                     (["--kernel-taus", "1", "--completion", "ridge"], "applies to --completion kernel")):
        with pytest.raises(SystemExit, match=msg):
            script.main(script.make_parser().parse_args(base + bad))


def test_fit_completion_script_takes_the_kernel_grid(fake_data, tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "scripts"))
    import fit_completion as script

    base = ["--cv", "--json", "--bank-root", str(fake_data / "bank"), "--embeddings", str(fake_data / "emb"),
            "--knowledge", str(tmp_path / "none")]
    out = script.main(script.make_parser().parse_args(base + ["--kernel-taus", "0.5", "1"]))
    assert out["taus"] == [0.5, 1.0] and out["keywords_cv"] == 60 and 0 <= out["auc_mean"] <= 1
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["taus"] == [0.5, 1.0]
    assert "taus" not in script.main(script.make_parser().parse_args(base))
    with pytest.raises(SystemExit, match="applies to --model kernel"):
        script.main(script.make_parser().parse_args(base + ["--kernel-taus", "1", "--model", "ridge"]))


def test_path_keywords_put_the_path_cells_in_on_the_main_calibration(fake_data, tmp_path):
    import shutil

    from tables import bank_sources as bs
    from tables.default_table import build_default_table

    bank = tmp_path / "bank"
    shutil.copytree(fake_data / "bank", bank)
    kw = dict(bank_root=bank, embeddings_dir=fake_data / "emb", progress=lambda m: None, unseen=False)
    base, _, _ = build_default_table(400, **kw)
    bank_kws = set(pd.read_csv(bank / "keywords.csv")["keyword"])
    free = [k for k in base.names if k not in bank_kws][:3]
    qids = base.questions["id"].astype(str).tolist()
    cells = [(free[0], qids[0], 2.0), (free[0], qids[5], -3.0), (free[1], qids[7], 0.5), (free[2], qids[1], 4.0)]
    src = bank / bs.path_source()
    (src / "shards").mkdir(parents=True)
    (src / "source.json").write_text(json.dumps({"version": 1, "source": src.name, "spec": {}, "use_category": False}))
    np.savez(src / "shards" / "00000-fake.npz", keywords=np.array([c[0] for c in cells]),
             qids=np.array([c[1] for c in cells]), logit=np.array([c[2] for c in cells], dtype=np.float16), version=1)
    assert bs.path_source() not in bs.table_sources(bank)          # never a whole-row source
    t, _, rep = build_default_table(400, path_keywords=2, **kw)     # the first two keywords' cells only
    assert rep["path_cells"] == {"source": src.name, "keywords": 2, "in_cut": 2, "cells": 3}
    cal = bs.calibration(bs.make_job(bs.MAIN, root=bank).source, root=bank)
    fl = t.meta["refine"]["floor"]
    row = {n: i for i, n in enumerate(t.names)}
    for k, q, logit in cells[:3]:
        p = float(cal(np.array([1 / (1 + np.exp(-np.float16(logit)))]))[0]) if cal is not None else 1 / (1 + np.exp(-logit))
        assert t.P[row[k], qids.index(q)] == pytest.approx(np.clip(p, fl[q], 1 - fl[q]), abs=1e-5)
    changed = np.argwhere(~np.isclose(t.P, base.P))
    assert {(t.names[r], qids[c]) for r, c in changed} == {(k, q) for k, q, _ in cells[:3]}   # nothing else moved
    assert free[0] not in t.meta["refine"]["measured_keywords"]       # a partial row is not a measured keyword
    assert rep["completion_cv"]["keywords_cv"] == build_default_table(400, **kw)[2]["completion_cv"]["keywords_cv"]
    # path_rows: the same path cells also train the completion; the measured cells stay as they are,
    # the completion cells move (most on the questions the path rows measured; the rest through the
    # model's one Platt map: tests/test_path_completion.py)
    tr, _, rep_r = build_default_table(400, path_keywords=2, path_rows=True, **kw)
    assert rep_r["completion_path_rows"]["keywords"] == 2 and rep_r["completion_path_rows"]["cells"] == 3
    for k, q, _ in cells[:3]:
        assert tr.P[row[k], qids.index(q)] == t.P[row[k], qids.index(q)]
    nat = [c for c, q in enumerate(qids) if q.startswith("nat:")]
    shift = np.abs(tr.P[:, nat] - t.P[:, nat]).mean(axis=0)
    top = {qids[nat[c]] for c in np.argsort(-shift)[:3]}
    assert top == {q for _, q, _ in cells[:3]}
    letters = [c for c, q in enumerate(qids) if not q.startswith("nat:")]
    assert letters and np.array_equal(tr.P[:, letters], t.P[:, letters])      # letter questions untouched
    with pytest.raises(ValueError, match="path_rows needs path_keywords"):
        build_default_table(400, path_rows=True, **kw)
