"""tables/bias_types.py: maps from the table's cells to a source's greedy answers, out-of-fold
predictions, the mapped cells; and the yes-bias types of the default table (fake committed data)."""
import numpy as np
import pytest

from planner.types import load_types, save_types
from tables.bias_types import fit_source_maps, map_cells, oof_completion
from tests.test_default_table import fake_data  # noqa: F401 - the module fixture


class FakeBank:
    """A bank with a ``grid`` of raw logits (the only part the maps read)."""

    def __init__(self, keywords, qids, L, source="fake"):
        self.keywords, self.qids, self.L, self.source = list(keywords), list(qids), L, source
        self.spec = {"prompt": source}

    def grid(self, keywords, qids):
        r = {k: i for i, k in enumerate(self.keywords)}
        c = {q: j for j, q in enumerate(self.qids)}
        out = np.full((len(keywords), len(qids)), np.nan)
        for i, k in enumerate(keywords):
            for j, q in enumerate(qids):
                if k in r and q in c:
                    out[i, j] = self.L[r[k], c[q]]
        return out


def test_map_cells_bank_and_completion_rows():
    P = np.array([[0.2, 0.2], [0.2, 0.2]])
    origin = np.array([[1, 0], [0, 1]])
    got = map_cells(P, origin, {"bank": (1.0, 1.0), "completion": (2.0, 0.0)}, [0.0, 0.3])
    lo = 1 / (1 + np.exp(-(np.log(0.25) + 1)))           # bank: sigmoid(logit 0.2 + 1)
    co = 1 / (1 + 16)                                    # completion: sigmoid(2 logit 0.2) = 1 / 17
    assert 0.3 < lo < 0.7
    np.testing.assert_allclose(got, [[lo, 0.3], [co, lo]], rtol=1e-5)      # the 1/17 of column 1 floored to 0.3
    # no bank map: the completion map everywhere
    np.testing.assert_allclose(map_cells(P, origin, {"completion": (2.0, 0.0)}, [0, 0]), np.full((2, 2), co), rtol=1e-5)


def test_fit_source_maps_recovers_a_yes_bias():
    """Greedy answers drawn as a yes-biased answerer of known bias would give them: the fitted
    completion map shifts toward yes by about that bias, and the excluded keywords are not used."""
    rng = np.random.default_rng(0)
    n, Q = 300, 40
    kw, qids = [f"k{i}" for i in range(n)], [f"q{j}" for j in range(Q)]
    P = rng.uniform(0.02, 0.98, (n, Q))
    says = rng.random((n, Q)) < 1 / (1 + np.exp(-(np.log(P / (1 - P)) + 2.0)))     # bias +2
    bank = FakeBank(kw, qids, np.where(says, 1.0, -1.0))
    fit = fit_source_maps(bank, [], kw, P, qids, np.zeros(Q), exclude=kw[:100])
    assert fit["bank"] is None                              # no other source: no bank map
    c = fit["completion"]
    assert abs(c.b - 2.0) < 0.3 and abs(c.a - 1.0) < 0.2
    assert fit["report"]["completion_cells"]["keywords"] == 200
    assert fit["report"]["completion_cells"]["yes_rate"] > P.mean() + 0.15
    with pytest.raises(ValueError, match="excluded"):
        fit_source_maps(bank, [], kw, P, qids, np.zeros(Q), exclude=kw)


class Recording:
    """A completion model that predicts each test row's own training target if it saw it (leak)."""
    seen: list = []

    def __init__(self, seed=0):
        pass

    def fit(self, X, Y):
        Recording.seen.append({tuple(np.round(x, 6)) for x in X})
        self.mean_ = Y.mean(axis=0)
        return self

    def predict_proba(self, X):
        assert not any(tuple(np.round(x, 6)) in Recording.seen[-1] for x in X), "a test keyword was in training"
        return np.tile(self.mean_, (len(X), 1))


def test_oof_completion_never_trains_on_its_test_keywords():
    from tables.answer_table import bank_cells  # noqa: F401 - the real path is used below

    rng = np.random.default_rng(1)
    n, Q = 25, 6
    kw, qids = [f"k{i}" for i in range(n)], [f"q{j}" for j in range(Q)]
    bank = FakeBank(kw, qids, rng.normal(size=(n, Q)), source="main")
    cal = None
    Z = rng.normal(size=(n + 3, 4))
    zrow = {k: i for i, k in enumerate(kw)}
    Recording.seen = []
    got_kw, oof = oof_completion(kw + ["not embedded"], qids, [(bank, cal)], Z, zrow, Recording, np.full(Q, 0.1), folds=5)
    assert got_kw == kw and oof.shape == (n, Q) and len(Recording.seen) == 5
    assert (oof >= 0.1).all() and (oof <= 0.9).all()


def test_default_table_with_bias_types(fake_data, tmp_path):  # noqa: F811
    from planner.tree import QuestionTree
    from planner.walk import Walker
    from tables.default_table import build_default_table
    from tables.dev_games import dev_setup

    table, types, rep = build_default_table(300, bank_root=fake_data / "bank", embeddings_dir=fake_data / "emb",
                                            unseen=False, bias_types=True, progress=lambda *a: None)
    assert types.names == ["llm", "llm_qf_sub", "llm_zs-dev", "exact"]
    assert np.allclose(types.prior, [0.8 / 3] * 3 + [0.2])
    nat = np.flatnonzero((table.questions["kind"] == "natural").to_numpy())
    for ty in types.types[1:3]:
        assert np.array_equal(ty.cols, nat) and set(ty.maps) >= {"completion"}
    qf = rep["bias_types"]["types"]["llm_qf_sub"]
    # the main source's bank map is fitted on the other style's cells, its completion map outside
    # the development games' keywords (the second style's 30 of the 60)
    assert qf["bank_cells"]["keywords"] == 30 and qf["completion_cells"]["keywords"] == 30
    save_types(types, tmp_path / "types.npz")
    back = load_types(tmp_path / "types.npz", table)
    assert back.names == types.names and back.types[1].maps == types.types[1].maps and back.types[0].maps is None
    tree = QuestionTree(min_mass=1e-2).fit(table, types=types)
    assert Walker(table, tree, types=types).next_question([], [], []).on_tree
    # development games: the dev keywords' mapped cells come from the predictions
    s = dev_setup(table, types, bank_root=fake_data / "bank", embeddings_dir=fake_data / "emb")
    rows = [table.names.index(k) for k in s.keywords]
    P_dev = s.table.P[np.ix_(rows, nat)]
    want = map_cells(P_dev, np.zeros_like(P_dev), types.types[1].maps, np.zeros(len(nat)))
    got = s.types.types[1].values[rows]
    mid = (want > 0.2) & (want < 0.8)                     # away from the floors (all below 0.2 here)
    assert mid.sum() > 100
    np.testing.assert_allclose(got[mid], want[mid], rtol=1e-4)
    assert not np.allclose(got, types.types[1].values[rows])


def test_fit_question_bias_recovers_per_question_offsets():
    from tables.bias_types import fit_question_bias

    rng = np.random.default_rng(4)
    n, Q = 200, 30
    kw = np.array([f"k{i}" for i in range(n)])
    d = rng.normal(0, 1.5, Q)
    P = rng.uniform(0.02, 0.98, (n, Q))
    z = np.log(P / (1 - P))
    A_bank = (rng.random((n, Q)) < 1 / (1 + np.exp(-(1.2 * z + 1.0 + d)))).astype(float)
    A_comp = (rng.random((n, Q)) < 1 / (1 + np.exp(-(0.7 * z + 2.0 + d)))).astype(float)
    A_comp[:5, :3] = np.nan                                    # unscored cells are skipped
    maps, rep = fit_question_bias([(P[:100], A_bank[:100], kw[:100]), (P[100:], A_comp[100:], kw[100:])], Q)
    assert rep["lam"] != "none" and rep["heldout_logloss"][rep["lam"]] < rep["heldout_logloss"]["none"]
    est = np.array(maps["question"])
    assert np.corrcoef(est, d)[0, 1] > 0.9
    # the maps' intercepts absorb the mean of d; the slopes are recovered
    assert abs(maps["bank"][0] - 1.2) < 0.25 and abs(maps["completion"][0] - 0.7) < 0.25
    np.testing.assert_allclose(maps["completion"][1] - maps["bank"][1], 1.0, atol=0.4)
    # the mapped cells use the offsets
    got = map_cells(P[:2], np.ones((2, Q)), maps, np.zeros(Q))
    want = 1 / (1 + np.exp(-(maps["bank"][0] * z[:2] + maps["bank"][1] + est)))
    np.testing.assert_allclose(got, want, rtol=1e-4)
    # no per-question bias in the answers: offsets stay small
    A0 = (rng.random((n, Q)) < 1 / (1 + np.exp(-(z + 1.0)))).astype(float)
    maps0, rep0 = fit_question_bias([None, (P, A0, kw)], Q)
    assert "bank" not in maps0
    assert rep0["lam"] == "none" or np.abs(maps0["question"]).max() < 0.6


def test_parse_shifts_and_names():
    from tables.bias_types import parse_shifts, shift_name

    assert parse_shifts("4,-2,0,2") == (-2.0, 0.0, 2.0, 4.0)
    for bad, why in [("1,2", "need 0"), ("0", "need 0"), ("0,2,2", "repeated"), ("0,x", "'x'"), ("0,inf", "not finite")]:
        with pytest.raises(ValueError, match=why):
            parse_shifts(bad)
    assert [shift_name(s) for s in (-2.0, 0.0, 4.0, 0.5)] == ["llm-2", "llm", "llm+4", "llm+0.5"]


def test_shift_types_cells_weights_and_maps():
    from tables.bias_types import shift_types

    P = np.array([[0.5, 0.1, 0.999], [0.2, 0.9, 0.001]])
    floor = np.array([0.01, 0.01, 0.05])
    types = shift_types(P, floor, (-2.0, 0.0, 2.0, 4.0), llm_weight=0.8, center_weight=0.5)
    assert [t.name for t in types] == ["llm-2", "llm", "llm+2", "llm+4"]
    np.testing.assert_allclose([t.weight for t in types], [0.4 / 3, 0.4, 0.4 / 3, 0.4 / 3])
    assert types[1].values is None and len(types[1].cols) == 0          # shift 0 is the table itself
    up = types[2]
    assert up.maps == {"bank": (1.0, 2.0), "completion": (1.0, 2.0)} and np.array_equal(up.cols, [0, 1, 2])
    # hand-worked: logit 0.5 = 0 -> sigmoid(2) = 0.8808; logit 0.1 = -2.197 -> sigmoid(-0.197) = 0.4509
    np.testing.assert_allclose(up.values[0, :2], [0.8808, 0.4509], atol=1e-4)
    assert up.values[0, 2] == np.float32(0.95) and types[0].values[1, 2] == np.float32(0.05)   # floored per question
    # the same map applied to any cell (what refinement does with a measured one)
    np.testing.assert_allclose(map_cells(P, np.zeros_like(P), up.maps, floor), up.values, rtol=1e-6)
    # monotone in the shift on every unclipped cell
    v = np.stack([t.values if t.values is not None else np.clip(P, floor, 1 - floor) for t in types])
    assert (np.diff(v, axis=0) >= -1e-6).all()
    with pytest.raises(ValueError, match="center_weight"):
        shift_types(P, floor, (0.0, 2.0), llm_weight=0.8, center_weight=1.0)
    with pytest.raises(ValueError, match="floor has 2"):
        shift_types(P, floor[:2], (0.0, 2.0), llm_weight=0.8)


def test_shift_types_let_the_belief_learn_a_yes_bias():
    """An answerer that says yes far more than the table (shift +3) buries the true keyword under the
    table alone; with the shift types the belief moves to the shifted type and keeps it on top."""
    from planner.table import make_table
    from planner.types import AnswererTypes
    from planner.walk import Walker
    from tables.bias_types import shift_types

    rng = np.random.default_rng(3)
    rate = rng.uniform(0.1, 0.6, size=400)                 # keywords differ in how often they are a yes
    F = rng.random((400, 60)) < rate[:, None]
    table = make_table([f"kw{i}" for i in range(400)], np.where(F, 0.85, 0.15))
    floor = np.full(table.Q, 0.01)
    types = AnswererTypes(shift_types(table.P, floor, (-2.0, 0.0, 3.0), llm_weight=1.0))
    truth, qs = int(np.argsort(rate)[40]), list(range(60))   # a keyword with few yes cells
    p_says = 1 / (1 + np.exp(-(np.log(table.P[truth] / (1 - table.P[truth])) + 3.0)))
    answers = [bool(rng.random() < p_says[q]) for q in qs]
    assert np.mean(answers) > 0.6
    plain, shifted = Walker(table), Walker(table, types=types)
    rank = lambda w: int((w > w[truth]).sum())            # noqa: E731
    w0, w1 = plain.belief(qs, answers, []), shifted.belief(qs, answers, [])
    assert rank(w0) > 100 and rank(w1) <= 5               # (288 and 3 when written)
    assert np.log2(w1[truth]) - np.log2(w0[truth]) > 30
    tb = shifted.type_belief(qs, answers, [])
    assert tb["llm+3"] > 0.9
    # and an unbiased answerer keeps the belief on the table's own type
    answers0 = [bool(rng.random() < table.P[truth, q]) for q in qs]
    assert shifted.type_belief(qs, answers0, [])["llm"] > 0.9
    assert rank(shifted.belief(qs, answers0, [])) <= rank(plain.belief(qs, answers0, [])) + 1 <= 3


def test_default_table_with_shift_types(fake_data, tmp_path):  # noqa: F811
    from planner.tree import QuestionTree
    from planner.walk import Walker
    from tables.default_table import build_default_table

    table, types, rep = build_default_table(300, bank_root=fake_data / "bank", embeddings_dir=fake_data / "emb",
                                            unseen=False, shifts=(0.0, -2.0, 2.0), progress=lambda *a: None)
    assert types.names == ["llm-2", "llm", "llm+2", "exact"]
    np.testing.assert_allclose(types.prior, [0.2, 0.4, 0.2, 0.2])
    assert rep["shift_types"] == {"llm-2": 0.2, "llm": 0.4, "llm+2": 0.2, "exact": 0.2}
    nat = np.flatnonzero((table.questions["kind"] == "natural").to_numpy())
    up = types.types[2]
    assert np.array_equal(up.cols, nat)
    mid = (table.P[:, nat] > 0.2) & (table.P[:, nat] < 0.8)
    assert mid.sum() > 100 and (up.values[mid] > table.P[:, nat][mid]).all()
    save_types(types, tmp_path / "types.npz")
    back = load_types(tmp_path / "types.npz", table)
    assert back.names == types.names and back.types[2].maps == up.maps
    tree = QuestionTree(min_mass=1e-2).fit(table, types=types)
    assert Walker(table, tree, types=types).next_question([], [], []).on_tree
    with pytest.raises(ValueError, match="choose one"):
        build_default_table(300, bank_root=fake_data / "bank", embeddings_dir=fake_data / "emb", unseen=False,
                            shifts=(0.0, 2.0), bias_types=True, progress=lambda *a: None)
