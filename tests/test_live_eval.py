"""scripts/live_eval.py: the seeded keyword samples are stable across bank sizes."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import live_eval  # noqa: E402
from live_eval import stable_sample  # noqa: E402

ITEMS = [f"thing {i}" for i in range(100)]


def test_sample_size_sorted_and_seeded():
    a = stable_sample(ITEMS, 40, seed=0, stream=1)
    assert len(a) == 40 == len(set(a))
    assert a == sorted(a, key=str.lower)
    assert a == stable_sample(ITEMS, 40, seed=0, stream=1)
    assert a != stable_sample(ITEMS, 40, seed=1, stream=1)
    assert a != stable_sample(ITEMS, 40, seed=0, stream=0)


def test_smaller_n_is_nested():
    assert set(stable_sample(ITEMS, 10, 0, 1)) <= set(stable_sample(ITEMS, 40, 0, 1))


@pytest.mark.parametrize("n", [10, 40])
def test_keep_grows_consistently(n):
    """The bank gains keywords: what the new sample takes from the old bank was in the old sample,
    and a bank with fewer than n public things has all of them played."""
    small, big = set(ITEMS[:30]), set(ITEMS[:60])
    a = stable_sample(ITEMS, n, 0, 0, keep=small)
    b = stable_sample(ITEMS, n, 0, 0, keep=big)
    assert set(a) <= small and set(b) <= big
    assert set(b) & small <= set(a)
    assert len(a) == min(n, 30) and len(b) == min(n, 60)


def test_keep_filters_only():
    assert stable_sample(ITEMS, 5, 0, 0, keep=set()) == []
    assert stable_sample(ITEMS, 500, 0, 0) == sorted(ITEMS, key=str.lower)


def test_path_public_set_is_public_things_with_path_cells_and_no_bank_row(tmp_path, monkeypatch):
    import json

    import numpy as np
    import pandas as pd

    from tables import bank_sources as bs

    public = pd.read_csv(bs.PUBLIC, dtype=str, keep_default_na=False)["keyword"].tolist()
    root = tmp_path / "answers"
    root.mkdir()
    pd.DataFrame({"keyword": public[:3], "category": "", "prior": "", "origin": "public"}).to_csv(root / "keywords.csv", index=False)
    for name, kws in ((bs.make_job(bs.MAIN, root=root).source, public[:3]), (bs.path_source(), public[2:6] + ["not public thing"])):
        d = root / name
        (d / "shards").mkdir(parents=True)
        (d / "source.json").write_text(json.dumps({"version": 1, "source": name, "spec": {}}))
        np.savez(d / "shards" / "00000-x.npz", keywords=np.array(kws), qids=np.array(["q"] * len(kws)),
                 logit=np.zeros(len(kws), np.float16), version=1)
    monkeypatch.setattr(bs, "ROOT", root)
    sets = live_eval.keyword_sets(2, 3, 0, n_path=10)
    assert [k for k, _ in sets["path public"]] == sorted(public[3:6], key=str.lower)   # public[2] has a bank row
    assert len(sets["hold-out"]) == 3 and "path public" not in live_eval.keyword_sets(2, 3, 0)


def test_list_rates_and_the_page_section(tmp_path):
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from planner.synthetic import make_synthetic
    from tables.refine_llm import REFINE_VERSION

    t = make_synthetic(6, 4, noise=0.1, seed=0)
    t.keywords["keyword"] = ["zcup", "zrug", "zaxe", "zpan", "zq1", "zq2"]          # none a hold-out thing
    t.meta = {"refine": {"version": REFINE_VERSION, "prompt": "p", "source": "s", "calibration": [1, 0],
                         "floor": {}, "measured_keywords": ["zcup", "zrug"]}}
    bare = make_synthetic(6, 4, noise=0.1, seed=0)                                  # measured nothing
    games = pd.DataFrame({"table": ["T"] * 4 + ["U"] * 4,
                          "keywords": ["in-bank public", "in-bank public", "hold-out", "hold-out"] * 2,
                          "keyword": ["zcup", "zrug", "zaxe", "zpan"] * 2,
                          "solved": [True, True, False, True] * 2, "round": [3.0, 5.0, np.nan, 9.0] * 2,
                          "transcript": ["1. q? -> yes; guess: zcup"] * 8})
    lists = live_eval.list_rates(games, {"T": t, "U": bare})
    assert list(lists) == ["T"]                                  # U's games hold no thing it measured
    assert (lists["T"]["w"], lists["T"]["m"], lists["T"]["h"], lists["T"]["rate"]) == (0.0, 1.0, 0.5, 0.5)
    args = SimpleNamespace(model="models/x", prompt="kaggle", seed=0, transcripts=1)
    rows = [{"table": "T", "K": 6, "Q": 4, "keywords": "hold-out", "games": 2, "solve_rate_20": 0.5,
             "mean_round_solved": 9.0, "outside_universe": 0.0, "errors": 0}]
    live_eval.write_page(tmp_path / "p.md", games, rows, args, lists)
    text = (tmp_path / "p.md").read_text()
    assert "## A list nobody tuned for" in text and "| `T` | 0.000 | 100.0% of 2 | 50.0% of 2 | **50.0%** |" in text
    live_eval.write_page(tmp_path / "q.md", games, rows, args)
    assert "nobody tuned for" not in (tmp_path / "q.md").read_text()
