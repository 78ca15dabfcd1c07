import json

import numpy as np
import pytest

from planner.analysis import analyze, answer_matrix
from planner.synthetic import make_halving, make_synthetic
from planner.tree import LEAF, NotFittedError, QuestionTree, TableMismatchError, load_tree


@pytest.fixture(scope="module")
def small():
    t = make_synthetic(200, 40, noise=0.1, seed=2, prior_skew=0.8)
    return t, QuestionTree(min_mass=1e-3).fit(t)


def test_halving_table_solves_every_keyword_by_round_10():
    t = make_halving(10)
    tree = QuestionTree().fit(t)
    res = analyze(tree, t, answer_matrix(t))
    per_kw = res.per_keyword
    assert per_kw["p_solved_on_tree"].min() > 1 - 1e-9                 # every keyword, exactly
    assert res.solve_curve[11:].sum() < 1e-12                           # nothing after round 10
    np.testing.assert_allclose(res.solve_curve[1:11].sum(), 1.0)


def test_structure_invariants(small):
    t, tree = small
    inner = np.flatnonzero(tree.question_ != LEAF)
    assert tree.guess_[0] == -1 and tree.depth_[0] == 0
    assert np.all(tree.depth_[tree.yes_[inner]] == tree.depth_[inner] + 1)
    assert np.all(tree.yes_[tree.question_ == LEAF] == LEAF)
    # children split their parent's mass after its guess
    after = tree.mass_ * (1 - tree.solve_)
    np.testing.assert_allclose(tree.mass_[tree.yes_[inner]] + tree.mass_[tree.no_[inner]], after[inner], rtol=1e-5)
    # no question repeats on a path
    parent = np.full(tree.node_count_, -1); parent[tree.yes_[inner]] = inner; parent[tree.no_[inner]] = inner
    for n in np.flatnonzero(tree.depth_ == tree.depth_.max())[:50]:
        qs = []
        while parent[n] >= 0:
            n = parent[n]; qs.append(tree.question_[n])
        assert len(qs) == len(set(qs))
    # pruning: an expanded non-root node was reached with at least min_mass after its guess
    assert np.all(after[inner[1:]] >= tree.min_mass * (1 - 1e-9))
    assert np.all(tree.depth_ <= tree.max_depth)


def test_guess_is_not_repeated_on_a_path(small):
    t, tree = small
    inner = np.flatnonzero(tree.question_ != LEAF)
    parent = np.full(tree.node_count_, -1); parent[tree.yes_[inner]] = inner; parent[tree.no_[inner]] = inner
    for n in range(0, tree.node_count_, 97):
        gs = []
        while n > 0:
            gs.append(tree.guess_[n]); n = parent[n]
        assert len(gs) == len(set(gs))


def test_max_nodes_and_depth_respected():
    t = make_synthetic(300, 30, noise=0.05, seed=0)
    tree = QuestionTree(max_nodes=101, min_mass=0).fit(t)
    assert tree.node_count_ <= 101
    tree = QuestionTree(max_depth=3, min_mass=0).fit(t)
    assert tree.node_count_ == 15 and tree.depth_.max() == 3


def test_save_load_round_trip_and_table_check(small, tmp_path):
    t, tree = small
    path = tree.save(tmp_path / "tree.npz")
    meta = json.loads((tmp_path / "tree.npz.json").read_text())
    assert meta["format_version"] == 1 and meta["table_hash"] == t.hash and meta["params"]["min_mass"] == 1e-3
    u = load_tree(path, table=t)
    for k in ("question_", "yes_", "no_", "guess_", "mass_", "solve_", "depth_"):
        np.testing.assert_array_equal(getattr(u, k), getattr(tree, k))
    other = make_synthetic(200, 40, noise=0.1, seed=3)
    with pytest.raises(TableMismatchError, match="refit"):
        load_tree(path, table=other)


def test_corrupt_or_foreign_file(tmp_path):
    (tmp_path / "x.npz").write_bytes(b"not a tree")
    with pytest.raises(ValueError, match="not a q20 tree file"):
        load_tree(tmp_path / "x.npz")


def test_unfitted_and_bad_params():
    with pytest.raises(NotFittedError):
        QuestionTree().model_solve_curve()
    t = make_synthetic(10, 4)
    for bad in ({"max_depth": 0}, {"min_mass": 1.5}, {"max_nodes": 0}, {"batch_size": 0}, {"criterion": "nope"},
                {"eps": 0.9}):
        with pytest.raises(ValueError):
            QuestionTree(**bad).fit(t)


def test_batch_size_does_not_change_the_tree():
    t = make_synthetic(150, 30, noise=0.1, seed=5)
    a = QuestionTree(batch_size=1, min_mass=1e-3).fit(t)
    b = QuestionTree(batch_size=512, min_mass=1e-3).fit(t)
    assert a.node_count_ == b.node_count_
    assert np.mean(a.question_ == b.question_) > 0.99


def test_exhausted_questions_make_a_leaf():
    from planner.table import make_table
    t = make_table(["a", "b", "c"], [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    tree = QuestionTree(min_mass=0).fit(t)
    assert tree.depth_.max() <= 2 and tree.node_count_ <= 7
