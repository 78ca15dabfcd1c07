"""planner/paired.py: exact sign test against a naive enumeration and scipy, paired counts and
rounds by hand, the games.csv pairing, and scripts/compare_live.py end to end."""
import itertools
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from planner.paired import paired_games, paired_rounds, paired_solved, sign_test

ROOT = Path(__file__).resolve().parents[1]


def naive_sign_p(a, b):
    """Enumerate every sign pattern of n fair coins: the share at least as lopsided as (a, b)."""
    n = a + b
    if n == 0:
        return 1.0
    far = abs(a - b)
    hits = sum(abs(2 * sum(s) - n) >= far for s in itertools.product((0, 1), repeat=n))
    return hits / 2 ** n


@pytest.mark.parametrize("a,b", [(0, 0), (0, 1), (1, 1), (2, 6), (0, 5), (7, 2), (9, 8), (3, 0), (4, 7)])
def test_sign_test_matches_enumeration_and_scipy(a, b):
    assert sign_test(a, b) == pytest.approx(naive_sign_p(a, b))
    if a + b:
        assert sign_test(a, b) == pytest.approx(binomtest(a, a + b, 0.5).pvalue)


def test_sign_test_hand_cases_and_errors():
    assert sign_test(2, 6) == 0.2890625          # 2 * (1 + 8 + 28) / 256
    assert sign_test(0, 5) == 0.0625 and sign_test(5, 0) == 0.0625
    assert sign_test(3, 3) == 1.0
    with pytest.raises(ValueError, match="-1"):
        sign_test(-1, 2)


def test_paired_solved_counts():
    a = [True, True, False, False, True]
    b = [True, False, True, False, False]
    d = paired_solved(a, b)
    assert d == {"games": 5, "a": 3, "b": 2, "a_only": 2, "b_only": 1, "p_sign": 1.0}
    with pytest.raises(ValueError, match="equal 1-d shapes"):
        paired_solved([True], [True, False])


def test_paired_rounds_scores_unsolved_as_one_past_the_limit():
    ra = [3.0, np.nan, 10.0, 5.0]
    rb = [4.0, 12.0, np.nan, 5.0]
    d = paired_rounds(ra, rb, rounds=20)
    # scores a: 3, 21, 10, 5; b: 4, 12, 21, 5 -> diffs -1, 9, -11, 0
    assert d["mean_a"] == pytest.approx(39 / 4) and d["mean_b"] == pytest.approx(42 / 4)
    assert d["mean_diff"] == pytest.approx(-3 / 4) and (d["a_sooner"], d["b_sooner"]) == (2, 1)
    assert 0 < d["p_wilcoxon"] <= 1
    assert paired_rounds([2.0, np.nan], [2.0, np.nan])["p_wilcoxon"] == 1.0      # nothing differs


def _games(rows):
    return pd.DataFrame(rows, columns=["table", "keywords", "keyword", "solved", "round"])


def test_paired_games_pairs_by_set_and_keyword():
    g = _games([
        ("A", "hold-out", "cup", True, 5.0), ("B", "hold-out", "cup", False, np.nan),
        ("A", "hold-out", "rug", False, np.nan), ("B", "hold-out", "rug", True, 9.0),
        ("A", "in-bank public", "cup", True, 4.0), ("B", "in-bank public", "cup", True, 6.0),
        ("A", "hold-out", "axe", True, 7.0),                       # B never played it: left out
        ("B", "hold-out", "rug", False, np.nan),                   # B's second game of rug: the last counts
    ])
    d = paired_games(g, "A", "B")
    assert list(d) == ["hold-out", "in-bank public", "all"]
    h = d["hold-out"]
    assert (h["games"], h["a"], h["b"], h["a_only"], h["b_only"]) == (2, 1, 0, 1, 0)
    assert h["a_only_keywords"] == ["cup"] and h["b_only_keywords"] == []
    assert d["in-bank public"]["a_only"] == 0 and d["in-bank public"]["a_sooner"] == 1
    assert d["all"]["games"] == 3 and d["all"]["a"] == 2
    with pytest.raises(ValueError, match="no games of table 'C'"):
        paired_games(g, "A", "C")
    with pytest.raises(ValueError, match=r"lack columns \['round'\]"):
        paired_games(g.drop(columns="round"), "A", "B")


def test_compare_live_script(tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "scripts"))
    import compare_live as script

    f = tmp_path / "games.csv"
    _games([("A", "hold-out", "cup", True, 5.0), ("B", "hold-out", "cup", False, np.nan)]).to_csv(f, index=False)
    out = script.main(script.make_parser().parse_args(["--games", str(f), "--a", "A", "--b", "B",
                                                       "--json", str(tmp_path / "c.json")]))
    assert out["sets"]["all"]["a_only_keywords"] == ["cup"]
    assert json.loads((tmp_path / "c.json").read_text()) == json.loads(capsys.readouterr().out)
    with pytest.raises(SystemExit, match="games.csv: no games of table 'Z'"):
        script.main(script.make_parser().parse_args(["--games", str(f), "--a", "A", "--b", "Z"]))
    with pytest.raises(SystemExit, match="no file"):
        script.main(script.make_parser().parse_args(["--games", str(tmp_path / "none.csv"), "--a", "A", "--b", "B"]))


def test_compare_live_seed_sample_keeps_only_live_evals_sample(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    import compare_live as script
    import live_eval

    small = [k for k, _ in live_eval.keyword_sets(0, 2, 0)["hold-out"]]
    big = [k for k, _ in live_eval.keyword_sets(0, 5, 0)["hold-out"]]
    assert set(small) < set(big)
    rows = [(t, "hold-out", k, t == "A", 3.0 if t == "A" else np.nan) for k in big for t in ("A", "B")]
    f = tmp_path / "games.csv"
    _games(rows).to_csv(f, index=False)
    out = script.main(script.make_parser().parse_args(["--games", str(f), "--a", "A", "--b", "B", "--seed-sample", "0", "2"]))
    assert out["sets"]["all"]["a_only"] == 5
    assert out["seed_sample"]["sets"]["all"]["a_only_keywords"] == sorted(small)


def test_compare_live_list_weighted_reads_each_tables_measured_things(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    import compare_live as script
    from planner.synthetic import make_synthetic
    from planner.table import save_table
    from tables.refine_llm import REFINE_VERSION

    dirs = []
    for name, measured in (("A", ["zcup", "zrug"]), ("B", ["zcup"])):
        t = make_synthetic(8, 4, noise=0.1, seed=0)
        t.keywords["keyword"] = ["zcup", "zrug", "zaxe", "zpan", "zq1", "zq2", "zq3", "zq4"]   # none a hold-out thing
        t.meta = {"refine": {"version": REFINE_VERSION, "prompt": "p", "source": "s", "calibration": [1, 0],
                             "floor": {}, "measured_keywords": measured}}
        save_table(t, tmp_path / name)
        dirs.append(str(tmp_path / name))
    rows = []
    for d in dirs:
        rows += [(d, "in-bank public", "zcup", True, 3.0), (d, "in-bank public", "zrug", False, np.nan),
                 (d, "hold-out", "zaxe", True, 9.0), (d, "hold-out", "zpan", False, np.nan)]
    f = tmp_path / "games.csv"
    _games(rows).to_csv(f, index=False)
    out = script.main(script.make_parser().parse_args(["--games", str(f), "--a", dirs[0], "--b", dirs[1],
                                                       "--list-weighted"]))
    a, b = out["list_weighted"][dirs[0]], out["list_weighted"][dirs[1]]
    # none of the real hold-out list is in these tables: w = 0, the rate is the hold-out's
    assert (a["w"], a["m"], a["n_m"], a["h"], a["rate"]) == (0.0, 0.5, 2, 0.5, 0.5)
    assert (b["m"], b["n_m"]) == (1.0, 1)
    diff = out["list_weighted"]["difference"]                    # w = 0 for both: the hold-out decides, equal
    assert diff["diff"] == 0.0 and diff["ci95"] == [0.0, 0.0]
    gone = str(tmp_path / "gone")                               # games of a table dir since removed
    _games([(gone if r[0] == dirs[1] else r[0], *r[1:]) for r in rows]).to_csv(f, index=False)
    with pytest.raises(SystemExit, match="cannot load table .*gone"):
        script.main(script.make_parser().parse_args(["--games", str(f), "--a", dirs[0], "--b", gone,
                                                     "--list-weighted"]))
