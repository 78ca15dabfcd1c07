"""tables/dev_games.py on the fake committed data of tests/test_default_table.py (no LLM)."""
import numpy as np
import pytest

from planner.evaluation import play_games
from tables.answer_bank import load_bank
from tables.dev_games import dev_setup
from tests.test_default_table import fake_data  # noqa: F401 - the module fixture


def test_dev_setup_hides_the_dev_keywords_and_refines_them(fake_data, tmp_path):  # noqa: F811
    from tables.default_table import build_default_table

    table, types, _ = build_default_table(400, bank_root=fake_data / "bank", embeddings_dir=fake_data / "emb",
                                          progress=lambda *a: None)
    s = dev_setup(table, bank_root=fake_data / "bank", embeddings_dir=fake_data / "emb")
    chat = load_bank(fake_data / "bank" / "qwen1.5b-sys_sub")
    assert s.keywords and set(s.keywords) <= set(chat.keywords) & set(table.names)
    nat = (table.questions["kind"] == "natural").to_numpy()
    rows = [table.names.index(k) for k in s.keywords]
    assert not np.allclose(s.table.P[np.ix_(rows, nat)], table.P[np.ix_(rows, nat)])      # predicted now
    assert np.array_equal(s.table.P[:, ~nat], table.P[:, ~nat])                          # letters untouched
    assert not s.measured[rows].any() and s.report["keywords"] == len(s.keywords)
    # the answerer is the second style's greedy answer
    j = int(np.flatnonzero(nat)[0])
    m = chat.grid([s.keywords[0]], [table.questions["id"][j]])[0, 0]
    assert s.answerer(s.keywords[0], table.questions["text"][j]) == ("yes" if m > 0 else "no")
    df = play_games(s.table, "greedy", s.answerer, s.keywords[:5], types=types, refiner=s.refiner(4, 4))
    assert (df["refined_cells"] > 0).any() and (df["refined_cells"] <= 4 * 20).all()
    assert s.refiner(0, 0) is None
    from planner.table import make_table
    keep = [i for i, n in enumerate(table.names) if n not in set(chat.keywords)]
    other = make_table([table.names[i] for i in keep], table.P[keep], questions=table.questions["text"].tolist(),
                       kinds=table.questions["kind"].tolist())
    other.questions["id"] = table.questions["id"].tolist()
    with pytest.raises(ValueError, match="no keyword of the second source"):
        dev_setup(other, bank_root=fake_data / "bank", embeddings_dir=fake_data / "emb")


def test_bank_predicted_replaces_every_bank_keyword_out_of_fold(fake_data):  # noqa: F811
    """Every main-bank keyword of the table gets the cells a model fitted without its fold predicts
    (the same as predicting that fold directly), other rows and the letter columns stay; too few
    bank keywords for the folds is an error."""
    from tables.default_table import build_default_table
    from tables.dev_games import bank_predicted, predicted_cells

    table, types, _ = build_default_table(400, bank_root=fake_data / "bank", embeddings_dir=fake_data / "emb",
                                          progress=lambda *a: None)
    bank = fake_data / "bank"
    main = load_bank(bank / "qwen1.5b-qf_sub")
    t2, types2, held = bank_predicted(table, types, folds=3, bank_root=bank, embeddings_dir=fake_data / "emb")
    assert sorted(held) == sorted(k for k in main.keywords if k in set(table.names))
    nat = (table.questions["kind"] == "natural").to_numpy()
    rows = [table.names.index(k) for k in held]
    other = np.setdiff1d(np.arange(table.K), rows)
    assert not np.allclose(t2.P[np.ix_(rows, nat)], table.P[np.ix_(rows, nat)])
    assert np.array_equal(t2.P[other], table.P[other]) and np.array_equal(t2.P[:, ~nat], table.P[:, ~nat])
    assert types2.names == types.names
    # the first fold, predicted directly from the other folds, gives the same cells
    part = np.random.default_rng(0).permutation(len(held)) % 3
    kws = [k for k in main.keywords if k in set(table.names)]
    f0 = [k for k, p in zip(kws, part) if p == 0]
    [(direct, n)] = predicted_cells(table, [(f0, [k for k, p in zip(kws, part) if p != 0])], bank, fake_data / "emb")
    assert n == len(kws) - len(f0)
    np.testing.assert_allclose(t2.P[np.ix_([table.names.index(k) for k in f0], nat)], direct, atol=1e-6)
    with pytest.raises(ValueError, match="too few"):
        bank_predicted(table, types, folds=len(held) + 1, bank_root=bank, embeddings_dir=fake_data / "emb")


def test_bank_measure_gives_bank_cells_and_binned_draws(fake_data):  # noqa: F811
    """A held keyword's measured cell is the built table's; another keyword's is a fixed draw from
    the built cells of held keywords in the same bin of predicted cells."""
    from tables.default_table import build_default_table
    from tables.dev_games import bank_measure, bank_predicted

    table, types, _ = build_default_table(400, bank_root=fake_data / "bank", embeddings_dir=fake_data / "emb",
                                          progress=lambda *a: None)
    t2, _, held = bank_predicted(table, None, folds=3, bank_root=fake_data / "bank", embeddings_dir=fake_data / "emb")
    measure = bank_measure(table, t2, held, bins=4)
    nat = np.flatnonzero((table.questions["kind"] == "natural").to_numpy())
    h = [table.names.index(k) for k in held[:3]]
    np.testing.assert_allclose(measure(np.array(h), np.full(3, nat[0])), table.P[h, nat[0]])
    other = [i for i in range(table.K) if table.names[i] not in set(held)][:50]
    got = measure(np.array(other), np.full(50, nat[1]))
    assert np.array_equal(got, measure(np.array(other), np.full(50, nat[1])))          # fixed draws
    hr = [table.names.index(k) for k in held]
    pool = set(np.asarray(table.P[np.ix_(hr, nat)], dtype=np.float64).ravel().tolist())
    assert set(got.tolist()) <= pool
    # a draw comes from its own bin: low predicted cells draw from the measured cells of low predictions
    pp = np.asarray(t2.P[np.ix_(hr, nat)], dtype=np.float64).ravel()
    mm = np.asarray(table.P[np.ix_(hr, nat)], dtype=np.float64).ravel()
    low = [i for i in other if t2.P[i, nat[1]] <= np.quantile(pp, 0.25)]
    if low:
        assert set(measure(np.array(low), np.full(len(low), nat[1])).tolist()) <= set(mm[pp <= np.quantile(pp, 0.25)].tolist())


def test_live_replay_script_replays_refinement_on_both_tables(fake_data, tmp_path):  # noqa: F811
    """scripts/live_replay.py --bank-predicted --refine ... --as-built on recorded games of bank
    things: one line a setting for the bank-predicted table and one for the table as built; the
    table alone measures nothing, a setting at both turns measures within its budget of two plans
    a round; a malformed setting is refused before anything runs."""
    import json
    import sys
    from pathlib import Path

    from planner.evaluation import table_answerer
    from planner.table import save_table
    from planner.types import TYPES_FILE, save_types
    from tables.default_table import build_default_table

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import live_replay

    table, types, _ = build_default_table(400, bank_root=fake_data / "bank", embeddings_dir=fake_data / "emb",
                                          progress=lambda *a: None)
    d = tmp_path / "table"
    save_table(table, d)
    save_types(types, d / TYPES_FILE)
    main = load_bank(fake_data / "bank" / "qwen1.5b-qf_sub")
    kws = [k for k in main.keywords if k in set(table.names)][:8]
    games = play_games(table, "greedy", table_answerer("exact", table), kws, types=types, seed=0)
    games.insert(0, "keywords", "in-bank public")
    games.to_csv(tmp_path / "games.csv", index=False)
    args = ["--games", str(tmp_path / "games.csv"), "--table", str(d), "--keywords", "in-bank public",
            "--bank-predicted", "--folds", "3", "--bank-root", str(fake_data / "bank"),
            "--refine", "16/4/suspects/both", "--as-built", "--json", str(tmp_path / "out.json")]
    out = live_replay.main(live_replay.make_parser().parse_args(args))
    assert json.loads((tmp_path / "out.json").read_text()) == out
    runs = [r for r in out if "refine" in r]
    assert [r["refine"] for r in runs] == ["0/0/leaders", "16/4/suspects/both"] * 2
    assert "bank predicted" in runs[0]["table"] and "as built" in runs[2]["table"]
    assert all(r["games"] == len(kws) for r in runs)
    assert runs[0]["refined_cells"] == runs[2]["refined_cells"] == 0
    assert 0 < runs[1]["refined_cells"] <= 4 * (2 * 20 - 1)
    with pytest.raises(SystemExit, match="refine"):
        live_replay.main(live_replay.make_parser().parse_args(args[:-5] + ["--refine", "16/4/suspects/always"]))
