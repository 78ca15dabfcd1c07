import json

import numpy as np
import pandas as pd
import pytest

from planner.synthetic import make_synthetic
from planner.table import TableError, load_table, make_table, save_table


@pytest.fixture
def saved(tmp_path):
    t = make_synthetic(20, 6, noise=0.1, seed=0, prior_skew=1.0)
    save_table(t, tmp_path / "t")
    return t, tmp_path / "t"


def test_round_trip_and_hash(saved):
    t, d = saved
    u = load_table(d)
    assert u.names == t.names and u.hash == t.hash
    np.testing.assert_array_equal(u.P, t.P)
    np.testing.assert_allclose(u.prior.sum(), 1.0)
    assert json.loads((d / "meta.json").read_text())["format_version"] == 1


def test_hash_changes_with_content():
    a = make_synthetic(20, 6, seed=0)
    P = a.P.copy(); P[3, 2] = 0.5
    b = make_table(a.names, P)
    assert a.hash != b.hash


def _edit_csv(path, fn):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    fn(df)
    df.to_csv(path, index=False)


def test_shape_mismatch_names_files(saved):
    _, d = saved
    np.save(d / "P.npy", np.zeros((20, 5), dtype=np.float32))
    with pytest.raises(TableError, match=r"P\.npy: shape \(20, 5\) does not match 20 keywords x 6 questions"):
        load_table(d)


def test_value_outside_range_names_row_column_value(saved):
    _, d = saved
    P = np.load(d / "P.npy"); P[7, 3] = 1.5; np.save(d / "P.npy", P)
    with pytest.raises(TableError, match=r"row 7 \('kw000007'\), column 3 \('q00003'\): value 1.5 outside"):
        load_table(d)


def test_nan_names_cell(saved):
    _, d = saved
    P = np.load(d / "P.npy"); P[2, 0] = np.nan; np.save(d / "P.npy", P)
    with pytest.raises(TableError, match=r"row 2 \('kw000002'\), column 0 \('q00000'\): value nan"):
        load_table(d)


def test_duplicate_keyword_names_rows(saved):
    _, d = saved
    _edit_csv(d / "keywords.csv", lambda df: df.__setitem__("keyword", ["dup" if i in (3, 9) else k for i, k in enumerate(df["keyword"])]))
    with pytest.raises(TableError, match=r"keywords\.csv: row 11: duplicate keyword 'dup' \(first at row 5\)"):
        load_table(d)


def test_duplicate_question_id(saved):
    _, d = saved
    _edit_csv(d / "questions.csv", lambda df: df.__setitem__("id", ["q", "q", *df["id"][2:]]))
    with pytest.raises(TableError, match=r"questions\.csv: row 3: duplicate question id 'q'"):
        load_table(d)


def test_bad_prior(saved):
    _, d = saved
    _edit_csv(d / "keywords.csv", lambda df: df.__setitem__("prior", ["-1" if i == 4 else p for i, p in enumerate(df["prior"])]))
    with pytest.raises(TableError, match=r"keywords\.csv: row 6 \('kw000004'\): prior '-1' is not a positive number"):
        load_table(d)


def test_missing_file_and_column(saved, tmp_path):
    _, d = saved
    with pytest.raises(TableError, match="keywords.csv: file not found"):
        load_table(tmp_path / "nowhere")
    _edit_csv(d / "questions.csv", lambda df: df.pop("kind"))
    with pytest.raises(TableError, match=r"questions\.csv: missing column\(s\) \['kind'\]"):
        load_table(d)


def test_format_version_checked(saved):
    _, d = saved
    meta = json.loads((d / "meta.json").read_text()); meta["format_version"] = 99
    (d / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(TableError, match="format_version 99"):
        load_table(d)


def test_in_memory_validation():
    with pytest.raises(TableError, match="outside"):
        make_table(["a", "b"], [[0.2], [-0.1]])


def test_saved_files_are_world_readable(saved):
    _, d = saved
    for f in ("keywords.csv", "questions.csv", "P.npy", "meta.json"):
        assert (d / f).stat().st_mode & 0o777 == 0o644, f


def test_bad_value_found_past_the_first_block(monkeypatch):
    import planner.table as tm
    monkeypatch.setattr(tm, "_CHUNK_ROWS", 4)
    P = np.full((10, 3), 0.5, dtype=np.float32); P[9, 1] = 2.0
    with pytest.raises(TableError, match=r"row 9 \('k9'\), column 1 \('q00001'\): value 2.0"):
        make_table([f"k{i}" for i in range(10)], P)


def test_with_P_copies_everything_but_the_cells():
    from planner.table import with_P

    t = make_table(["a", "b"], [[0.1, 0.9], [0.8, 0.2]], prior=[0.7, 0.3], questions=["x?", "y?"],
                   alts=[["aa"], []], categories=["thing", "animal"], kinds=["natural", "spelling"], meta={"m": 1})
    t.questions["id"] = ["n1", "s1"]
    t2 = with_P(t, [[0.5, 0.5], [0.5, 0.5]])
    assert t2.P.dtype == np.float32 and t2.P.tolist() == [[0.5, 0.5], [0.5, 0.5]]
    assert t.P.tolist()[0][0] == np.float32(0.1)                                     # the original is untouched
    assert t2.keywords.equals(t.keywords) and t2.questions.equals(t.questions) and t2.meta == {"m": 1}
    t2.meta["x"] = 2
    assert t.meta == {"m": 1}                                                        # meta copied, not shared
    assert with_P(t, t.P, {"n": 0}).meta == {"n": 0} and with_P(t, t.P).hash == t.hash != t2.hash
    with pytest.raises(TableError):
        with_P(t, [[0.5, 0.5]])
