import json
import sys
from pathlib import Path

import numpy as np
import pytest

from planner.table import make_table, save_table

ROOT = Path(__file__).resolve().parents[1]


def test_measure_noise_script(tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "scripts"))
    import measure_noise
    rng = np.random.default_rng(0)
    F = (rng.random((40, 10)) < 0.4).astype(np.float32)
    names = [f"k{i}" for i in range(40)]
    save_table(make_table(names, F), tmp_path / "kn")
    flips = rng.random(F.shape) < 0.1
    A = np.where(flips, 1 - F, F) * 0.8 + 0.1
    mask = np.zeros(F.shape, bool); mask[:20] = True
    save_table(make_table(names, np.where(mask, A, 0.5)), tmp_path / "src")
    np.save(tmp_path / "src" / "mask.npy", mask)
    measure_noise.main(measure_noise.make_parser().parse_args(
        ["--knowledge", str(tmp_path / "kn"), "--answers", str(tmp_path / "src"), "--json"]))
    out = json.loads(capsys.readouterr().out)
    assert out["cells"] == 200 and out["keywords_scored"] == 20
    assert out["agreement"] == pytest.approx(1 - flips[:20].mean())
    assert 0.5 <= out["t1"]["p50"] <= 0.99
    with pytest.raises(SystemExit, match="mask.npy: file not found"):
        measure_noise.main(measure_noise.make_parser().parse_args(
            ["--knowledge", str(tmp_path / "kn"), "--answers", str(tmp_path / "kn")]))
