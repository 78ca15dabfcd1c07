"""scripts/combine_table.py on a tiny knowledge table, one answers source and a check-set scores file."""
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.table import load_table, make_table, save_table
from tables.knowledge import DEFAULT_NOISE
from tables.noise import calibrate_scores

ROOT = Path(__file__).resolve().parents[1]


def setup(tmp_path):
    rng = np.random.default_rng(0)
    K, Q = 60, 8
    F = (rng.random((K, Q)) < 0.4).astype(np.float32)
    names = [f"k{i}" for i in range(K)]
    kinds = ["category"] * 6 + ["spelling"] * 2
    kn = make_table(names, F, kinds=kinds)
    save_table(kn, tmp_path / "kn")
    # the source answered the category questions of 30 keywords, contradicting 20% of the features
    mask = np.zeros((K, Q), bool)
    mask[:30, :6] = True
    flips = rng.random((K, Q)) < 0.2
    A = np.where(flips, 1 - F, F) * 0.9 + 0.05
    src = make_table(names, np.where(mask, A, 0.5), kinds=kinds)
    save_table(src, tmp_path / "src")
    np.save(tmp_path / "src" / "mask.npy", mask)
    y = rng.random(300) < 0.5
    pd.DataFrame({"keyword": "k", "question": "q", "answer": np.where(y, "yes", "no"),
                  "p_yes": np.where(y, rng.uniform(0.6, 1, 300), rng.uniform(0, 0.7, 300))}).to_csv(
        tmp_path / "scores.csv", index=False)
    return F, A, mask, flips


def run(tmp_path, *extra):
    sys.path.insert(0, str(ROOT / "scripts"))
    import combine_table
    return combine_table.main(combine_table.make_parser().parse_args(
        ["--knowledge", str(tmp_path / "kn"), "--answers", str(tmp_path / "src"), "--out", str(tmp_path / "out"),
         *extra]))


def test_combine_table_script(tmp_path):
    F, A, mask, flips = setup(tmp_path)
    rep = run(tmp_path, "--calibration", str(tmp_path / "scores.csv"), "--prior-strength", "0")
    t = load_table(tmp_path / "out")
    assert t.P.shape == F.shape and rep["cells_from_sources"] == 180 and rep["cells_softened"] == 60 * 8 - 180
    cal = calibrate_scores(tmp_path / "scores.csv")
    np.testing.assert_allclose(t.P[mask], np.clip(cal(A[mask]), 1e-3, 1 - 1e-3), atol=1e-6)   # calibrated answer
    cat, spell = rep["by_kind"]["category"], rep["by_kind"]["spelling"]
    assert cat["measured"] and not spell["measured"] and spell["raw_agreement"] is None
    # the unmeasured kind keeps the default noise; the measured one is softened by what was measured
    e = DEFAULT_NOISE["spelling"]
    np.testing.assert_allclose(t.P[40:, 6:], np.where(F[40:, 6:] > 0.5, 1 - e, e), atol=1e-6)
    fid = pd.read_csv(tmp_path / "out" / "fidelity.csv", index_col="id")
    assert len(fid) == 8 and fid.loc[fid.index[0], "n1"] + fid.loc[fid.index[0], "n0"] == 30
    j = 2
    f1 = F[:30, j] > 0.5
    p = cal(A[:30, j].astype(np.float64))
    assert fid["t1"].iloc[j] == pytest.approx(np.clip(p[f1].mean(), 0.5, 0.99))    # expected counts, no shrinkage
    assert fid["t0"].iloc[j] == pytest.approx(np.clip((1 - p[~f1]).mean(), 0.5, 0.99))
    np.testing.assert_allclose(t.P[45, j], fid["t1"].iloc[j] if F[45, j] > 0.5 else 1 - fid["t0"].iloc[j], atol=1e-6)
    assert json.loads((tmp_path / "out" / "noise.json").read_text())["shared_cells"] == 180


def test_combine_table_rejects_bad_calibration_count(tmp_path):
    setup(tmp_path)
    with pytest.raises(SystemExit, match="give 0, 1 or 1 files"):
        run(tmp_path, "--calibration", str(tmp_path / "scores.csv"), str(tmp_path / "scores.csv"))


def test_combine_table_transfers_a_measured_fidelity(tmp_path):
    """--fidelity applies another table's measurement by question id, pooled by kind for the rest."""
    F, A, mask, flips = setup(tmp_path)
    run(tmp_path, "--calibration", str(tmp_path / "scores.csv"))
    fid = pd.read_csv(tmp_path / "out" / "fidelity.csv", index_col="id")
    sys.path.insert(0, str(ROOT / "scripts"))
    import combine_table
    kn = load_table(tmp_path / "kn")
    sub = make_table(kn.names[:10], kn.P[:10, [0, 6]], kinds=["category", "spelling"])
    sub.questions["id"] = [kn.questions["id"][0], "new-spelling-question"]
    save_table(sub, tmp_path / "sub")
    rep = combine_table.main(combine_table.make_parser().parse_args(
        ["--knowledge", str(tmp_path / "sub"), "--fidelity", str(tmp_path / "out" / "fidelity.csv"),
         "--out", str(tmp_path / "sub_out")]))
    t = load_table(tmp_path / "sub_out")
    f0 = fid.iloc[0]
    np.testing.assert_allclose(t.P[:, 0], np.where(sub.P[:, 0] > 0.5, f0["t1"], 1 - f0["t0"]), atol=1e-6)
    sp = fid[fid["group"] == "spelling"].iloc[0]          # the spelling kind's rates (here the default)
    np.testing.assert_allclose(t.P[:, 1], np.where(sub.P[:, 1] > 0.5, sp["T1"], 1 - sp["T0"]), atol=1e-6)
    assert rep["fidelity_from"].endswith("fidelity.csv") and rep["cells_from_sources"] == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("id,t1\nx,0.9\n")
    with pytest.raises(SystemExit, match="bad.csv: missing column 'group'"):
        combine_table.main(combine_table.make_parser().parse_args(
            ["--knowledge", str(tmp_path / "sub"), "--fidelity", str(bad), "--out", str(tmp_path / "o2")]))
