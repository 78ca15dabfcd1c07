"""Walking a game: the next question and guess from the history, on the tree or online.

The history is what the referee shows: question ids (None where the text is not one of the
table's questions), answers (True/False; None when unparsed), and guess strings. While every
question, answer and guess so far is the tree's own, the move is a lookup; otherwise it is
computed from the posterior by the policy the tree was fitted with, so both agree.

``cells``: cells measured during the game ({(keyword, question): P(yes)}, planner/refine.py)
replace the table's in the belief; once one of them concerns an asked question the belief is no
longer the tree's, and the walk goes online.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.belief import normalize as normalize_rows
from planner.matching import normalize
from planner.policy import GAME_ROUNDS, make_policy
from planner.tree import LEAF


@dataclass
class Move:
    """index: question column or keyword row; on_tree: whether it came from the tree."""
    index: int
    on_tree: bool


class Walker:
    """Plays the guesser's side for one table (and optionally its fitted tree)."""

    def __init__(self, table, tree=None, *, criterion: str = "entropy", eps: float = 1e-3, seed: int = 0,
                 types=None):
        if tree is not None:
            tree.check_table(table)
            tree.check_types(types)
            criterion, eps, seed = tree.criterion, tree.eps, tree.seed
        self.table = table
        self.tree = tree
        self.policy = make_policy(criterion, table, eps=eps, seed=seed, types=types)
        self._qindex = table.question_index()
        self._norm_names = [normalize(n) for n in table.names]
        self._cell_args = None   # planner.refine.correction_args of the table's types, once

    # --- history -> state -----------------------------------------------------------------

    def question_id(self, text) -> int | None:
        """Column of a question given its text or id; None when unknown."""
        if isinstance(text, (int, np.integer)):
            return int(text) if 0 <= text < self.table.Q else None
        return self._qindex.get(text)

    def node(self, questions, answers, guesses) -> int | None:
        """The tree node the history leads to (after the last answer), or None when off the tree."""
        if self.tree is None:
            return None
        t, node = self.tree, 0
        for i, (q, a) in enumerate(zip(questions, answers)):
            if t.question_[node] == LEAF or q is None or a is None or t.question_[node] != q:
                return None
            node = int(t.yes_[node] if a else t.no_[node])
            if i < len(guesses) and normalize(str(guesses[i])) != self._norm_names[t.guess_[node]]:
                return None
        return node

    def belief(self, questions, answers, guesses, cells=None) -> np.ndarray:
        """(K,) posterior over keywords after the history (summed over answerer types), wrong
        guesses removed."""
        return self.policy.keyword_belief(self.joint_belief(questions, answers, guesses, cells))

    def joint_belief(self, questions, answers, guesses, cells=None) -> np.ndarray:
        """(H,) posterior over (answerer type, keyword) hypotheses, with the measured ``cells``."""
        w = self.policy.belief(questions, answers, guesses)
        if self.refined(questions, cells):
            from planner.refine import correction, correction_args
            if self._cell_args is None:
                self._cell_args = correction_args(self.policy.types, self.table)
            w = normalize_rows(w * correction(cells, self.policy.L, questions=questions, answers=answers,
                                              eps=self.policy.eps, **self._cell_args))
        return w

    @staticmethod
    def refined(questions, cells) -> bool:
        """Whether any measured cell concerns an asked question (the belief is not the tree's)."""
        if not cells:
            return False
        asked = {q for q in questions if q is not None}
        return any(q in asked for _, q in cells)

    def type_belief(self, questions, answers, guesses) -> dict:
        """{type name: posterior probability} after the history."""
        w = self.policy.type_belief(self.joint_belief(questions, answers, guesses))
        return dict(zip(self.policy.types.names, map(float, w)))

    def asked_mask(self, questions) -> np.ndarray:
        asked = np.zeros(self.table.Q, dtype=bool)
        asked[[q for q in questions if q is not None]] = True
        return asked

    # --- moves ----------------------------------------------------------------------------

    def next_question(self, questions, answers, guesses, cells=None) -> Move:
        """Question for the next round (after len(answers) answered rounds and their guesses)."""
        node = None if self.refined(questions, cells) else self.node(questions, answers, guesses)
        if node is not None and self.tree.question_[node] != LEAF:
            return Move(int(self.tree.question_[node]), True)
        w = self.joint_belief(questions, answers, guesses, cells)
        q, _ = self.policy.choose(w[None, :], self.asked_mask(questions)[None, :],
                                  rounds_left=np.array([GAME_ROUNDS - len(answers)]))
        return Move(int(q[0]), False)

    def next_guess(self, questions, answers, guesses, cells=None) -> Move:
        """Guess for the round just answered: the most probable keyword not yet guessed."""
        node = None if self.refined(questions, cells) else self.node(questions, answers, guesses)
        if node is not None and node != 0:
            return Move(int(self.tree.guess_[node]), True)
        w = self.joint_belief(questions, answers, guesses, cells)
        return Move(self.policy.guess(w), False)
