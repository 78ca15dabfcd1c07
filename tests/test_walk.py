import numpy as np
import pytest

from planner.analysis import path_history
from planner.synthetic import make_synthetic
from planner.tree import LEAF, QuestionTree
from planner.walk import Walker


@pytest.fixture(scope="module")
def setup():
    t = make_synthetic(300, 50, noise=0.08, seed=4, prior_skew=0.7)
    tree = QuestionTree(min_mass=2e-3).fit(t)
    return t, tree, Walker(t, tree), Walker(t, None)


@pytest.mark.parametrize("criterion", ["entropy", "hard", "random", "horizon:4"])
def test_on_tree_and_online_choices_agree(criterion):
    t = make_synthetic(120, 30, noise=0.1, seed=9)
    tree = QuestionTree(criterion=criterion, min_mass=1e-3).fit(t)
    on, off = Walker(t, tree), Walker(t, None, criterion=criterion)
    nodes = np.flatnonzero(tree.question_ != LEAF)
    for n in nodes[:: max(1, len(nodes) // 150)]:
        qs, ans, gs = path_history(tree, int(n), t.names)
        a = on.next_question(qs, ans, gs)
        b = off.next_question(qs, ans, gs)
        assert a.on_tree and not b.on_tree
        if a.index != b.index:     # only a float tie may differ
            w = off.belief(qs, ans, gs)
            s = off.policy.scores(w[None].astype(np.float32))[0]
            assert abs(s[a.index] - s[b.index]) < 1e-5, (n, a.index, b.index)
        if n:
            ga = on.next_guess(qs, ans, gs[:-1]); gb = off.next_guess(qs, ans, gs[:-1])
            assert ga.on_tree and ga.index == gb.index


def test_leaving_the_tree(setup):
    t, tree, on, _ = setup
    q0 = int(tree.question_[0])
    other = (q0 + 1) % t.Q
    m = on.next_question([other], [True], ["kw000000"])
    assert not m.on_tree and m.index not in (other,)
    # an unparsed answer leaves the tree, and does not update the belief
    assert on.node([q0], [None], []) is None
    np.testing.assert_allclose(on.belief([q0], [None], []), t.prior)
    # a guess other than the tree's leaves it too
    g = t.names[(int(tree.guess_[tree.yes_[0]]) + 1) % t.K]
    assert on.node([q0], [True], [g]) is None
    assert on.node([q0], [True], [t.names[int(tree.guess_[tree.yes_[0]])]]) == tree.yes_[0]


def test_guessed_keywords_are_never_repeated(setup):
    t, tree, on, _ = setup
    rng = np.random.default_rng(0)
    qs, ans, gs = [], [], []
    for r in range(20):
        q = on.next_question(qs, ans, gs).index
        assert q not in qs
        qs.append(q); ans.append(bool(rng.random() < 0.5))
        g = on.next_guess(qs, ans, gs).index
        assert t.names[g] not in gs
        gs.append(t.names[g])


def test_question_id_lookup(setup):
    t, _, on, _ = setup
    assert on.question_id(t.questions["text"].iloc[3]) == 3
    assert on.question_id(t.questions["id"].iloc[4]) == 4
    assert on.question_id("Is it a hovercraft?") is None
    assert on.question_id(10 ** 6) is None
