"""The committed example table (tables/example) loads, is small, and holds the Kaggle things."""
from pathlib import Path

import numpy as np
import pytest

from planner.table import load_table

EXAMPLE = Path(__file__).resolve().parents[1] / "tables" / "example"


@pytest.fixture(scope="module")
def table():
    if not (EXAMPLE / "P.npy").exists():
        pytest.skip("tables/example not built (python scripts/build_universe.py ... --example-out tables/example)")
    return load_table(EXAMPLE)


def test_example_is_small_and_valid(table):
    assert sum(f.stat().st_size for f in EXAMPLE.iterdir()) < 5e6
    assert table.K == 578 and table.Q == 300
    assert set(table.questions["kind"]) >= {"category", "spelling", "alpha"}
    assert np.isclose(table.prior.sum(), 1.0) and (table.P > 0).all() and (table.P < 1).all()


def test_example_holds_the_kaggle_things(table):
    kaggle = pytest.importorskip("kaggle_environments")
    del kaggle
    from planner.matching import GuessIndex
    from tables.universe import kaggle_file, read_kaggle_keywords

    gi = GuessIndex(table.names, table.keywords["alts"])
    rows = [r for r in read_kaggle_keywords(kaggle_file()) if r[0] == "things"]
    assert all(gi.matches(kw) for _, kw, _ in rows)


def test_example_fits_a_tree(table):
    from planner.tree import QuestionTree

    tree = QuestionTree(max_depth=6, min_mass=1e-2).fit(table)
    assert tree.node_count_ > 10
