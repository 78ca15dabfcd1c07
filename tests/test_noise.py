"""tables/noise.py: metrics, comparison, fidelity, calibration and combine, on tiny hand cases."""
import itertools

import numpy as np
import pandas as pd
import pytest

from planner.table import make_table
from tables.noise import (Calibration, align, apply_platt, auc, best_threshold_accuracy, calibrate, calibrate_scores,
                          calibrate_source, combine, compare, compare_sources, fidelity, fit_platt, reliability, soften,
                          source_fidelity, sources_fidelity, stack_scored, builder_noise, unsoften,
                          transfer_fidelity)


def naive_auc(s, y):
    pos = [a for a, l in zip(s, y) if l]
    neg = [a for a, l in zip(s, y) if not l]
    return np.mean([1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg)])


@pytest.mark.parametrize("n,seed", [(5, 0), (40, 1), (200, 2)])
def test_auc_matches_pairwise(n, seed):
    rng = np.random.default_rng(seed)
    s = np.round(rng.random(n), 1)  # ties
    y = rng.random(n) < 0.4
    y[:2] = [True, False]
    assert auc(s, y) == pytest.approx(naive_auc(s, y))


def test_auc_and_threshold_cases():
    assert auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    assert np.isnan(auc([0.2, 0.3], [1, 1]))
    thr, acc = best_threshold_accuracy([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1])
    assert acc == 1.0 and 0.2 < thr <= 0.3
    assert best_threshold_accuracy([0.9, 0.8], [0, 0]) == (np.inf, 1.0)


def test_compare():
    a = np.array([[0.9, 0.1], [0.8, 0.6]])
    b = np.array([[0.7, 0.2], [0.3, 0.9]])
    out = compare(a, b)
    assert out["n"] == 4 and out["agreement"] == 0.75
    np.testing.assert_allclose(out["per_question"], [0.5, 1.0])
    m = np.array([[True, False], [False, False]])
    out = compare(a, b, m)
    assert out["n"] == 1 and out["agreement"] == 1.0 and np.isnan(out["per_question"][1])
    with pytest.raises(ValueError, match="shapes differ"):
        compare(a, b[:1])


def tables_pair():
    """Knowledge over 4 keywords x 3 questions; an answers source over a shuffled subset."""
    kn = make_table(["a", "b", "c", "d"], [[1, 0, 1], [1, 1, 0], [0, 0, 1], [0, 1, 0]], questions=["Q0", "Q1", "Q2"])
    ans = make_table(["c", "a", "x"], [[0.2, 0.1, 0.3], [0.9, 0.8, 0.7], [0.5, 0.5, 0.5]],
                     questions=["Q1", "Q0", "Q2"])
    ans.questions["id"] = ["q00001", "q00000", "q00002"]  # same ids as the knowledge columns, other order
    return kn, ans


def test_align_and_compare_sources():
    kn, ans = tables_pair()
    ra, rb, ca, cb = align(kn, ans)
    assert ra.tolist() == [0, 2] and rb.tolist() == [1, 0]
    assert ca.tolist() == [0, 1, 2] and cb.tolist() == [1, 0, 2]
    mask = np.ones((3, 3), bool)
    out = compare_sources(ans, mask, kn)  # ans vs knowledge
    # ans hard: c -> (Q1 no, Q0 no, Q2 no); a -> (Q1 yes, Q0 yes, Q2 yes); knowledge: a=(1,0,1), c=(0,0,1)
    assert out["n"] == 6 and out["agreement"] == pytest.approx(4 / 6)
    assert out["per_question"].to_dict() == {"q00001": 0.5, "q00000": 1.0, "q00002": 0.5}


def test_fidelity_hand_case():
    F = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=float)
    p = np.array([[0.9, 0.2], [0.8, 0.7], [0.1, 0.9], [0.3, 0.8]])
    m = np.ones_like(F, bool)
    df = fidelity(p, m, F, prior_strength=0.0, clip=(0.0, 1.0))
    assert df["n1"].tolist() == [2, 2] and df["n0"].tolist() == [2, 2]
    assert df["yes1"].tolist() == [2, 2] and df["no0"].tolist() == [2, 1]
    np.testing.assert_allclose(df["agreement"], [1.0, 0.75])
    np.testing.assert_allclose(df["t1"], [1.0, 1.0])
    np.testing.assert_allclose(df["t0"], [1.0, 0.5])
    # smoothing toward the pooled rates (T1 = 1, T0 = 3/4) with m = 2 pseudo-cells, then clipping
    df = fidelity(p, m, F, prior_strength=2.0, clip=(0.5, 0.99))
    np.testing.assert_allclose(df["t0"], [min((2 + 2 * 0.75) / 4, 0.99), (1 + 2 * 0.75) / 4])
    np.testing.assert_allclose(df["t1"], [0.99, 0.99])
    # soft counts
    df = fidelity(p, m, F, prior_strength=0.0, hard=False, clip=(0.0, 1.0))
    np.testing.assert_allclose(df["yes1"], [1.7, 1.7])


def test_fidelity_unscored_question_gets_pooled_rate():
    F = np.array([[1, 1], [0, 0]], dtype=float)
    p = np.array([[0.9, 0.5], [0.4, 0.5]])
    m = np.array([[True, False], [True, False]])
    with np.errstate(all="raise"):
        df = fidelity(p, m, F, prior_strength=5.0, clip=(0.5, 0.99))
    assert df["n1"].tolist() == [1, 0] and np.isnan(df["agreement"][1])
    assert df["t1"][1] == 0.99 and df["t0"][1] == 0.99  # pooled T1 = T0 = 1, clipped


def test_source_fidelity_aligns():
    kn, ans = tables_pair()
    df = source_fidelity(kn, ans, np.ones((3, 3), bool), prior_strength=0.0, clip=(0, 1))
    assert df.index.tolist() == ["q00000", "q00001", "q00002"]
    assert df["n1"].tolist() == [1, 0, 2] and df["n0"].tolist() == [1, 2, 0]
    np.testing.assert_allclose(df["agreement"], [1.0, 0.5, 0.5])


def test_platt_recovers_parameters():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.01, 0.99, 20000)
    a, b = 2.0, -0.5
    y = rng.random(len(p)) < apply_platt(p, a, b)
    fa, fb = fit_platt(p, y)
    assert fa == pytest.approx(a, abs=0.1) and fb == pytest.approx(b, abs=0.1)
    fa, fb = fit_platt([0.2, 0.8], [0, 1])  # separable: finite thanks to l2
    assert np.isfinite(fa) and fa > 0
    with pytest.raises(ValueError, match="non-empty"):
        fit_platt([], [])


def test_reliability_and_calibrate():
    p = np.array([0.05, 0.15, 0.95, 0.85])
    y = np.array([0, 0, 1, 1])
    table, s = reliability(p, y, n_bins=10)
    assert table["count"].sum() == 4 and s["auc"] == 1.0
    assert s["ece"] == pytest.approx(np.mean([0.05, 0.15, 0.05, 0.15]))
    rng = np.random.default_rng(1)
    raw = rng.uniform(0, 1, 5000)
    y = rng.random(5000) < apply_platt(raw, 0.5, 1.0)  # an over-confident, yes-shy source
    cal = calibrate(raw, y)
    assert cal.ece_calibrated < cal.ece_raw and cal.n == 5000
    assert isinstance(cal, Calibration) and cal(np.array([0.5]))[0] == pytest.approx(apply_platt(0.5, cal.a, cal.b))


def test_calibrate_source():
    kn, ans = tables_pair()
    cal = calibrate_source(ans, np.ones((3, 3), bool), kn)
    assert cal.n == 6
    with pytest.raises(ValueError, match="share no scored cell"):
        calibrate_source(ans, np.zeros((3, 3), bool), kn)


def test_soften():
    out = soften(np.array([[1.0, 0.0], [0.5, 1.0]]), np.array([0.9, 0.8]), np.array([0.7, 0.6]))
    np.testing.assert_allclose(out, [[0.9, 0.4], [0.5 * 0.9 + 0.5 * 0.3, 0.8]])


def test_combine():
    kn, ans = tables_pair()
    fid = pd.DataFrame({"t1": [0.9, 0.8, 0.95], "t0": [0.7, 0.9, 0.6]}, index=["q00000", "q00001", "q00002"])
    # a second source with an LLM-only question (id llm1) scored for keyword "b" only
    extra = make_table(["a", "b"], [[0.3, 0.6], [0.2, 0.8]], questions=["Q0", "Is it red?"])
    extra.questions["id"] = ["q00000", "llm1"]
    extra.questions["kind"] = ["category", "llm"]
    mask_extra = np.array([[True, False], [True, True]])
    with np.errstate(all="raise"):
        t, origin = combine(kn, fid, sources=[(ans, np.ones((3, 3), bool), None),
                                               (extra, mask_extra, Calibration(a=1.0, b=0.0))], eps=1e-3)
    assert t.questions["id"].tolist() == ["q00000", "q00001", "q00002", "llm1"]
    assert t.questions["kind"].tolist()[-1] == "llm" and t.P.shape == (4, 4)
    # a, c scored by source 1 on Q0..Q2; b scored by source 2 on Q0 and llm1; d knowledge only
    assert origin.tolist() == [[1, 1, 1, -1], [2, 0, 0, 2], [1, 1, 1, -1], [0, 0, 0, -1]]
    np.testing.assert_allclose(t.P[0, :3], [0.8, 0.9, 0.7], atol=1e-6)   # a: ans row, columns by id
    np.testing.assert_allclose(t.P[3, :3], [1 - 0.7, 0.8, 1 - 0.6], atol=1e-6)  # d = (0, 1, 0) softened
    np.testing.assert_allclose(t.P[1, 1:3], [0.8, 1 - 0.6], atol=1e-6)  # b = (1, 1, 0): Q1 soft yes, Q2 soft no
    assert t.P[1, 0] == pytest.approx(0.2) and t.P[1, 3] == pytest.approx(0.8)
    np.testing.assert_allclose(t.P[[0, 2, 3], 3], 0.8, atol=1e-6)  # unscored llm-only cells: column mean
    assert t.names == kn.names and t.meta["softened"]
    t3, origin3 = combine(kn, fid, sources=[(ans, np.ones((3, 3), bool), None),
                                            (extra, mask_extra, None)], extra_questions=False)
    assert t3.Q == 3 and origin3.tolist() == [row[:3] for row in origin.tolist()]   # llm1 dropped, rest unchanged
    np.testing.assert_array_equal(t3.P, t.P[:, :3])
    t2, _ = combine(kn)  # no fidelity, no sources: the features clipped to [eps, 1 - eps]
    np.testing.assert_allclose(t2.P, np.clip(kn.P, 1e-3, 1 - 1e-3))
    with pytest.raises(ValueError, match="no row for question"):
        combine(kn, fid.iloc[:2])


def test_platt_degenerate_inputs_stay_finite():
    """Squashed scores (all ~1e-10, as summed-logit softmaxes give) and constant labels."""
    rng = np.random.default_rng(2)
    p = 10.0 ** rng.uniform(-12, -8, 300)
    y = rng.random(300) < 0.1
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is benign
        a, b = fit_platt(p, y)
        cal = calibrate(p, y)
    assert np.isfinite([a, b]).all() and abs(a) < 10
    assert cal.ece_calibrated < cal.ece_raw
    a, b = fit_platt(np.full(10, 0.3), np.zeros(10))
    assert np.isfinite([a, b]).all() and apply_platt(0.3, a, b) < 0.3


def test_fidelity_pools_per_group():
    """Two kinds with different answerer behaviour: each question shrinks toward its own kind's rate."""
    F = np.array([[1, 1, 1], [0, 0, 0]], dtype=float)
    p = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])   # kind a: perfect; kind b: always wrong
    m = np.array([[True, True, True], [True, True, True]])
    m[:, 1] = False                                     # question 1 (kind a) unscored
    df = fidelity(p, m, F, prior_strength=1.0, clip=(0.0, 1.0), groups=["a", "a", "b"])
    assert df["T1"].tolist() == [1.0, 1.0, 0.0] and df["T0"].tolist() == [1.0, 1.0, 0.0]
    assert df["t1"].tolist()[:2] == [1.0, 1.0]          # unscored q1 takes kind a's pooled rate, not the global 1/2
    assert df["t1"][2] == 0.5 and df["t0"][2] == 0.5     # kind b inverts every feature: made uninformative
    ungrouped = fidelity(p, m, F, prior_strength=1.0, clip=(0.0, 1.0))
    assert ungrouped["t1"][1] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="groups has shape"):
        fidelity(p, m, F, groups=["a"])


def test_sources_fidelity_stacks_calibrated_sources():
    kn, ans = tables_pair()
    second = make_table(["d"], [[0.9, 0.9, 0.9]], questions=["Q0", "Q1", "Q2"])
    second.questions["id"] = ["q00000", "q00001", "q00002"]
    p, m, F, rows = stack_scored(kn, [(ans, np.ones((3, 3), bool), None), (second, np.ones((1, 3), bool), None)])
    assert rows.tolist() == [0, 2, 3] and p.shape == (3, 3) and m.all()
    np.testing.assert_allclose(p[0], [0.8, 0.9, 0.7])    # a, in knowledge column order
    np.testing.assert_allclose(F[2], [0, 1, 0])
    df = sources_fidelity(kn, [(ans, np.ones((3, 3), bool), None), (second, np.ones((1, 3), bool), None)],
                          prior_strength=0.0, clip=(0, 1))
    # Q1: a (F=0, says yes), c (F=0, no), d (F=1, yes) -> n1 1, n0 2, agreement 2/3
    assert df.loc["q00001", "n1"] == 1 and df.loc["q00001", "n0"] == 2
    assert df.loc["q00001", "agreement"] == pytest.approx(2 / 3)
    # a calibration that maps everything to "no" changes the counts
    never = Calibration(a=1.0, b=-50.0)
    df2 = sources_fidelity(kn, [(ans, np.ones((3, 3), bool), never)], prior_strength=0.0, clip=(0, 1))
    assert df2["yes1"].sum() == 0 and df2.loc["q00001", "no0"] == 2


def test_calibrate_scores(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.random(400) < 0.5
    p = np.where(y, rng.uniform(0.9, 1.0, 400), rng.uniform(0.5, 1.0, 400))   # yes-biased scores
    path = tmp_path / "scores.csv"
    pd.DataFrame({"keyword": "k", "question": "q", "answer": np.where(y, "yes", "no"), "p_yes": p}).to_csv(path, index=False)
    cal = calibrate_scores(path)
    assert cal.n == 400 and cal.ece_calibrated < cal.ece_raw
    assert cal(np.array([0.6]))[0] < 0.5                # a raw 0.6 is a "no" after calibration
    bad = pd.read_csv(path)
    bad.loc[3, "answer"] = "maybe"
    bad.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"scores.csv: row 5: answer 'maybe'"):
        calibrate_scores(path)


def test_combine_is_the_same_in_row_chunks():
    rng = np.random.default_rng(3)
    kn = make_table([f"k{i}" for i in range(37)], (rng.random((37, 6)) < 0.3).astype(float))
    ans = make_table(["k5", "k30"], rng.random((2, 6)))
    fid = pd.DataFrame({"t1": rng.uniform(0.6, 0.99, 6), "t0": rng.uniform(0.6, 0.99, 6)}, index=kn.questions["id"])
    a, oa = combine(kn, fid, sources=[(ans, np.ones((2, 6), bool), None)], chunk_rows=5)
    b, ob = combine(kn, fid, sources=[(ans, np.ones((2, 6), bool), None)], chunk_rows=1000)
    np.testing.assert_array_equal(a.P, b.P)
    np.testing.assert_array_equal(oa, ob)
    assert (oa[[5, 30]] == 1).all() and (np.delete(oa, [5, 30], axis=0) == 0).all()


def test_combine_undoes_the_builders_default_noise():
    F = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.5]])
    e = {"category": 0.1, "spelling": 0.02}
    kinds = ["category", "category", "spelling"]
    ev = np.array([e[k] for k in kinds])
    built = make_table(["a", "b"], F * (1 - ev) + (1 - F) * ev, kinds=kinds, meta={"noise_defaults": e})
    np.testing.assert_allclose(builder_noise(built), ev)
    np.testing.assert_allclose(unsoften(built.P, ev), F, atol=1e-6)
    fid = pd.DataFrame({"t1": [0.8, 0.8, 0.9], "t0": [0.7, 0.7, 0.95]}, index=built.questions["id"])
    t, _ = combine(built, fid)
    np.testing.assert_allclose(t.P, soften(F, fid["t1"], fid["t0"]), atol=1e-6)   # not softened twice
    built.meta["measured_noise"] = True
    with pytest.raises(ValueError, match="measured noise"):
        combine(built, fid)
    odd = make_table(["a"], [[0.9]], kinds=["llm"], meta={"noise_defaults": e})
    with pytest.raises(ValueError, match=r"no entry for question kind\(s\) \['llm'\]"):
        builder_noise(odd)


def test_transfer_fidelity():
    fid = pd.DataFrame({"group": ["category", "category", "spelling"], "T1": [0.8, 0.8, 0.6], "T0": [0.7, 0.7, 0.55],
                        "t1": [0.9, 0.75, 0.6], "t0": [0.6, 0.8, 0.55]}, index=["c1", "c2", "s1"])
    qs = pd.DataFrame({"id": ["c2", "c9", "s7", "p1"], "kind": ["category", "category", "spelling", "place"]})
    out = transfer_fidelity(fid, qs, kind_defaults={"place": 0.08})
    assert out["source"].tolist() == ["id", "kind", "kind", "default"]
    np.testing.assert_allclose(out["t1"], [0.75, 0.8, 0.6, 0.92])
    np.testing.assert_allclose(out["t0"], [0.8, 0.7, 0.55, 0.92])
    np.testing.assert_allclose(out["T1"], [0.8, 0.8, 0.6, 0.92])
    fid.loc[fid["group"] == "spelling", "T0"] = 0.3              # T1 + T0 < 1 would invert: made uninformative
    out = transfer_fidelity(fid, qs, kind_defaults={"place": 0.08})
    assert out["t1"].iloc[2] == pytest.approx(0.65) and out["t0"].iloc[2] == pytest.approx(0.35)
    with pytest.raises(ValueError, match="no fidelity for question 'p1' of kind 'place'"):
        transfer_fidelity(fid, qs)


def test_fidelity_of_a_yes_sayer_is_uninformative():
    """An answerer that says "yes" to everything (Qwen-1.5B on letter questions) must not make
    a "yes" evidence for the feature: P(yes | F yes) == P(yes | F no) after un-inversion."""
    rng = np.random.default_rng(5)
    F = (rng.random((200, 4)) < 0.3).astype(float)
    p = np.full(F.shape, 0.9999)
    df = fidelity(p, np.ones(F.shape, bool), F, prior_strength=0.0)
    P = soften(F, df["t1"].to_numpy(), df["t0"].to_numpy())
    np.testing.assert_allclose(P, P[0, 0])              # the same P(yes) for every keyword: no information
    assert P[0, 0] > 0.95


def test_paired_cells_keeps_cells_both_hold_and_names_both_in_errors():
    from tables.noise import paired_cells

    P = np.array([[0.1, np.nan, 0.3], [0.4, 0.5, 0.6]])
    S = np.array([[1.0, 0.0, np.nan], [0.0, 1.0, 1.0]])
    p, s = paired_cells(P, S, min_cells=1)
    np.testing.assert_array_equal(p, [0.1, 0.4, 0.5, 0.6])
    np.testing.assert_array_equal(s, [1.0, 0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"predictions \(2, 3\) and measured \(3, 2\)"):
        paired_cells(P, S.T, ("predictions", "measured"))
    with pytest.raises(ValueError, match="only 4 cells shared by the table and the answers"):
        paired_cells(P, S, ("table", "answers"), min_cells=5)
