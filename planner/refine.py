"""Refining a game's belief with cells measured during the game.

A table cell is either measured (the answer bank scored it) or predicted (the completion model).
Predicted cells are much weaker: against a prompt the bank never used they rank answers at AUC
0.72 where measured ones reach 0.82 (docs/default_table.md). During a game the agent holds the
LLM anyway, so it can *measure* the cells that matter most: questions already asked, for keywords
whose cells are predicted: the leaders' (``select_cells``), the cells whose predicted value the
answers contradict most, weighted by belief (``select_contradicted``), or every asked cell of the
most contradicted keywords (``select_suspects``, the agent's default); docs/default_table.md
sections 14-15 have what each wins and loses. Each measured cell replaces the table's in that
game's likelihood; nothing else changes (the questions still to ask keep the table's cells,
so choosing a question needs no change either).

Pure numpy, no LLM: the measuring callable is given (tables/refine_llm.py has the LLM one).

    plan   = select_cells(wk, asked, refinable, measured, have, top=8, budget=8)
    plan   = select_contradicted(wk, asked, answers, P, refinable, measured, have, top=64, budget=8)
    plan   = select_suspects(wk, asked, answers, P, refinable, measured, have, top=64, budget=8)
    factor = correction(pairs, L, questions=questions, answers=answers, eps=eps,
                        **correction_args(types, table))                                # (H,)
"""
from __future__ import annotations

import numpy as np


def select_cells(wk: np.ndarray, asked, refinable: np.ndarray, measured: np.ndarray, have, top: int = 8,
                 budget: int = 8) -> list[tuple[int, int]]:
    """The cells worth measuring now, most valuable first.

    wk: (K,) keyword belief; asked: question columns asked so far (None = not a table question),
    in order; refinable: (Q,) bool, columns an LLM can measure (natural questions); measured: (K,)
    bool, keywords whose cells already are measurements (the bank's); have: set of (k, q) already
    measured in this game. Walks the ``top`` most probable keywords that are not ``measured``
    (ties to the lower index), each one's asked refinable columns not in ``have``, latest
    question first, and stops at ``budget`` cells. Returns [(k, q), ...].

    >>> select_cells(np.array([.1, .6, .3]), [0, 2], np.array([True, False, True]),
    ...              np.array([False, True, False]), {(2, 2)}, top=2, budget=3)
    [(2, 0), (0, 2), (0, 0)]
    """
    wk = np.asarray(wk, dtype=np.float64)
    cols = []
    for q in reversed([q for q in asked if q is not None]):
        if refinable[q] and q not in cols:
            cols.append(int(q))
    out: list[tuple[int, int]] = []
    if budget <= 0 or top <= 0 or not cols:
        return out
    cand = np.flatnonzero(~np.asarray(measured, dtype=bool) & (wk > 0))
    order = cand[np.argsort(-wk[cand], kind="stable")][:top]
    for k in order:
        for q in cols:
            if (int(k), q) not in have:
                out.append((int(k), q))
                if len(out) >= budget:
                    return out
    return out


def contradiction_scores(wk: np.ndarray, asked, answers, P: np.ndarray, refinable: np.ndarray, measured: np.ndarray,
                         have, top: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ks (m,), qs (n,), score (m, n)): how much each asked cell's predicted value is contradicted.

    ks: the ``top`` most probable keywords not ``measured`` (ties to the lower index); qs: the
    answered refinable columns (first answer of a column); score[i, j] = ``wk[k] * (1 - l) / l``,
    l = the likelihood of the recorded answer under P[k, q] (P for a yes, 1 - P for a no; at least
    1e-3): the belief keyword k would gain if a measurement showed the answer to be its own; 0 for
    a cell in ``have``. Empty arrays when nothing was answered.

    >>> P = np.array([[.9, .2], [.1, .5]])
    >>> ks, qs, sc = contradiction_scores(np.array([.6, .4]), [0, 1], [True, True], P, np.ones(2, bool),
    ...                                   np.zeros(2, bool), {(0, 1)})
    >>> ks.tolist(), qs.tolist(), sc.round(3).tolist()
    ([0, 1], [0, 1], [[0.067, 0.0], [3.6, 0.4]])
    """
    wk = np.asarray(wk, dtype=np.float64)
    ans: dict = {}
    for q, a in zip(asked, answers):
        if q is not None and a is not None and refinable[q] and int(q) not in ans:
            ans[int(q)] = bool(a)
    if top <= 0 or not ans:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 0))
    cand = np.flatnonzero(~np.asarray(measured, dtype=bool) & (wk > 0))
    ks = cand[np.argsort(-wk[cand], kind="stable")][:top]
    qs = np.fromiter(ans, dtype=np.int64, count=len(ans))
    yes = np.fromiter(ans.values(), dtype=bool, count=len(ans))
    p = np.asarray(P[np.ix_(ks, qs)], dtype=np.float64)                      # (m, n)
    lik = np.maximum(np.where(yes[None, :], p, 1.0 - p), 1e-3)
    score = wk[ks][:, None] * (1.0 - lik) / lik
    if have:
        row = {k: i for i, k in enumerate(ks.tolist())}
        col = {q: j for j, q in enumerate(qs.tolist())}
        for k, q in have:
            if k in row and q in col:
                score[row[k], col[q]] = 0.0
    return ks, qs, score


def select_contradicted(wk: np.ndarray, asked, answers, P: np.ndarray, refinable: np.ndarray, measured: np.ndarray,
                        have, top: int = 64, budget: int = 8) -> list[tuple[int, int]]:
    """The asked cells whose predicted value the answers contradict most, weighted by belief.

    wk: (K,) keyword belief; asked / answers: the history (column or None; True / False / None);
    P: (K, Q) the table's cells; refinable: (Q,) bool; measured: (K,) bool (never chosen); have:
    cells already measured in this game (never chosen). Candidates and scores:
    :func:`contradiction_scores` (the ``top`` most probable keywords not ``measured`` x the answered
    refinable columns, ``wk[k] * (1 - l) / l``). Returns up to ``budget`` cells [(k, q), ...] with
    a positive score, highest first (ties: the more probable keyword, then the earlier question).

    Why not the leaders' cells (:func:`select_cells`): a thing the table only predicts loses
    its games to the predicted cells its answers contradict; those cells are where measuring
    changes a belief, and the true keyword is seldom among the few leaders when it needs them
    (docs/default_table.md section 14). Its cost: a rival's measured cells are chosen for being
    contradicted, so measuring them can only forgive it; with many rivals measured, one is
    forgiven by chance and overtakes a true keyword whose cells are measured already
    (:func:`select_suspects` measures whole keywords instead).

    >>> P = np.array([[.9, .2], [.1, .5], [.5, .9]])
    >>> select_contradicted(np.array([.5, .3, .2]), [0, 1], [True, True], P, np.ones(2, bool),
    ...                     np.zeros(3, bool), set(), top=3, budget=3)
    [(1, 0), (0, 1), (1, 1)]
    """
    if budget <= 0:
        return []
    ks, qs, score = contradiction_scores(wk, asked, answers, P, refinable, measured, have, top)
    flat = score.ravel()
    order = np.argsort(-flat, kind="stable")[:budget]
    order = order[flat[order] > 0]
    n = len(qs)
    return [(int(ks[o // n]), int(qs[o % n])) for o in order]


def select_suspects(wk: np.ndarray, asked, answers, P: np.ndarray, refinable: np.ndarray, measured: np.ndarray,
                    have, top: int = 64, budget: int = 8) -> list[tuple[int, int]]:
    """Whole keywords, the most contradicted first: every answered asked cell of each.

    Same arguments as :func:`select_contradicted`. A keyword's score is its highest
    :func:`contradiction_scores` cell (cells in ``have`` score 0); keywords with a positive score,
    highest first (ties: the more probable keyword), each with all its answered refinable columns
    not in ``have`` (the agreeing ones too), latest question first; stops at ``budget`` cells.

    Why whole keywords: measuring only a rival's contradicted cells can only forgive it, so the
    rival that chance forgives most overtakes a true keyword the bank measured already; measuring
    the cells that agree with the answers too lets a measurement count against the rival as often
    as for it, while a true keyword the table only predicts still gets the cells that were holding
    it back (docs/default_table.md section 15).

    >>> P = np.array([[.9, .2], [.1, .5], [.5, .9]])
    >>> select_suspects(np.array([.5, .3, .2]), [0, 1], [True, True], P, np.ones(2, bool),
    ...                 np.zeros(3, bool), set(), top=3, budget=3)
    [(1, 1), (1, 0), (0, 1)]
    """
    if budget <= 0:
        return []
    ks, qs, score = contradiction_scores(wk, asked, answers, P, refinable, measured, have, top)
    if not len(ks):
        return []
    best = score.max(axis=1)
    order = [i for i in np.argsort(-best, kind="stable") if best[i] > 0]
    answered = set(qs.tolist())
    cols = []
    for q in reversed([q for q in asked if q is not None]):
        if int(q) in answered and int(q) not in cols:
            cols.append(int(q))
    out: list[tuple[int, int]] = []
    for i in order:
        k = int(ks[i])
        for q in cols:
            if (k, q) not in have:
                out.append((k, q))
                if len(out) >= budget:
                    return out
    return out


RULES = ("leaders", "contradiction", "suspects")
_BY_ANSWERS = {"contradiction": select_contradicted, "suspects": select_suspects}   # rules that read P and the answers
RULE_TOP = {"leaders": 8, "contradiction": 64, "suspects": 64}   # keywords a rule considers, as played live
TURNS = ("guess", "both")   # when a game measures: after each answer only, or also before each question


def parse_setting(s: str) -> tuple[int, int, str, str]:
    """A refinement setting "TOP/CELLS[/RULE[/TURNS]]" -> (top, cells, rule, turns); rule defaults to
    "leaders", turns to "guess" (:data:`TURNS`). ValueError naming the setting when it is malformed.

    >>> parse_setting("64/8/contradiction"), parse_setting("8/8"), parse_setting("64/8/suspects/both")
    ((64, 8, 'contradiction', 'guess'), (8, 8, 'leaders', 'guess'), (64, 8, 'suspects', 'both'))
    """
    parts = str(s).split("/")
    try:
        top, cells = int(parts[0]), int(parts[1])
    except (ValueError, IndexError) as e:
        raise ValueError(f"refinement setting {s!r}: expected TOP/CELLS[/RULE[/TURNS]], e.g. 8/8 or "
                         f"64/8/suspects/both") from e
    rule = parts[2] if len(parts) > 2 else "leaders"
    turns = parts[3] if len(parts) > 3 else "guess"
    if len(parts) > 4 or rule not in RULES or turns not in TURNS or top < 0 or cells < 0:
        raise ValueError(f"refinement setting {s!r}: TOP and CELLS >= 0, RULE one of {RULES}, TURNS one of {TURNS}")
    return top, cells, rule, turns


def correction(pairs: dict, L: np.ndarray, replaced: np.ndarray, questions, answers, eps: float,
               maps: np.ndarray | None = None, floor: np.ndarray | None = None,
               offsets: np.ndarray | None = None) -> np.ndarray:
    """(H,) factor that turns a belief computed with ``L`` into one computed with the measured cells.

    pairs: {(k, q): P(yes) measured}; L: (H, Q) the policy's likelihoods, H = T * K hypothesis rows
    (row t * K + k); replaced: (T, Q) bool, columns where type t has its own answer model; questions
    / answers: the history (column or None, True / False / None). For each answered round (q, a) and
    each measured (k, q), every type t gets lik(P_t) / lik(L[t K + k, q]), lik(p) = p for a yes and
    1 - p for a no, where P_t is the measured P for a type that uses the table's column q, the
    measured P through the type's Platt map ``maps[t]`` = (a, b) (clipped to [floor_q, 1 - floor_q])
    for a type whose column q was mapped from the table's (tables/bias_types.py), and no factor for
    a type that replaced column q by a model of its own (a code answerer's, NaN map). Every P is
    clipped to [eps, 1 - eps] like the table. maps: (T, 2), default all NaN; floor: (Q,), default 0;
    offsets: (T, Q) a type's per-question yes-bias added to the mapped logit, default 0.

    >>> L = np.array([[.5, .5], [.5, .5]], dtype=np.float32)    # T = 1, K = 2
    >>> correction({(1, 0): .9}, L, np.zeros((1, 2), bool), [0], [False], 1e-3).round(3).tolist()
    [1.0, 0.2]
    """
    H = L.shape[0]
    T = replaced.shape[0]
    K = H // T
    f = np.ones(H, dtype=np.float64)
    ans = {}
    for q, a in zip(questions, answers):
        if q is not None and a is not None and q not in ans:
            ans[int(q)] = bool(a)
    for (k, q), p in pairs.items():
        if q not in ans:
            continue
        for t in range(T):
            pt = float(p)
            if replaced[t, q]:
                if maps is None or not np.isfinite(maps[t]).all():
                    continue
                lo = float(floor[q]) if floor is not None else 0.0
                z = maps[t, 0] * _logit(pt) + maps[t, 1] + (float(offsets[t, q]) if offsets is not None else 0.0)
                pt = min(max(1.0 / (1.0 + np.exp(-z)), lo), 1.0 - lo)
            pt = min(max(pt, eps), 1.0 - eps)
            r = t * K + k
            old = float(L[r, q])
            f[r] *= (pt / old) if ans[q] else ((1.0 - pt) / (1.0 - old))
    return f


def _logit(p: float, eps: float = 1e-6) -> float:
    p = min(max(p, eps), 1.0 - eps)
    return float(np.log(p / (1.0 - p)))


def type_maps(types, table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(maps (T, 2), floor (Q,), offsets (T, Q)) for :func:`correction`: each type's bank-cell map
    (a measured cell is a bank cell; NaN for a type without maps), the table's per-question floor
    (``meta["refine"]["floor"]`` by question id, 0 where it has none) and each type's per-question
    yes-bias on its columns (0 elsewhere)."""
    maps = np.full((types.T, 2), np.nan)
    offsets = np.zeros((types.T, table.Q))
    for t, ty in enumerate(types.types):
        m = ty.maps or {}
        ab = m.get("bank") or m.get("completion")
        if ab is not None:
            maps[t] = ab
        if m.get("question") is not None:
            offsets[t, np.asarray(ty.cols, dtype=np.int64)] = m["question"]
    fl = ((table.meta or {}).get("refine") or {}).get("floor") or {}
    ids = table.questions["id"].astype(str).tolist() if "id" in table.questions else []
    floor = np.array([float(fl.get(q, 0.0)) for q in ids], dtype=np.float64) if ids else np.zeros(table.Q)
    return maps, floor, offsets


def replaced_columns(types, Q: int) -> np.ndarray:
    """(T, Q) bool: the columns each answerer type answers by its own model (planner.types)."""
    out = np.zeros((types.T, Q), dtype=bool)
    for t, ty in enumerate(types.types):
        out[t, np.asarray(ty.cols, dtype=np.int64)] = True
    return out


def correction_args(types, table) -> dict:
    """The type-dependent arguments of :func:`correction` for ``table``'s answerer ``types``:
    {"replaced": (T, Q), "maps": (T, 2), "floor": (Q,), "offsets": (T, Q)} (computed once a
    table; :func:`replaced_columns` and :func:`type_maps`)."""
    maps, floor, offsets = type_maps(types, table)
    return {"replaced": replaced_columns(types, table.Q), "maps": maps, "floor": floor, "offsets": offsets}


class Refiner:
    """Measures cells during games and keeps them (a cache shared by every game it serves).

    measure: callable (keywords (n,) int, cols (n,) int) -> (n,) P(yes) as the table's cells are
    (calibrated, floored); refinable: (Q,) bool; measured: (K,) bool (see :func:`select_cells`);
    top / budget: keywords considered and cells planned per game and turn (:meth:`plan`); rule:
    "leaders" (:func:`select_cells`), "contradiction" (:func:`select_contradicted`) or "suspects"
    (:func:`select_suspects`); the last two need the table's cells ``P`` (K, Q). ``cells_``
    {(k, q): P} every cell measured so far; ``calls_`` cells the callable was asked for.
    turns: "guess" (measure once a round, after the answer, before the guess) or "both" (also
    before the next question, after a wrong guess left the belief: twice the cells a round, each
    turn within its budget; the agent's two moves of a round each pay for one plan).
    """

    def __init__(self, measure, refinable, measured, top: int = 8, budget: int = 8, rule: str = "leaders",
                 P: np.ndarray | None = None, turns: str = "guess"):
        if top < 0 or budget < 0:
            raise ValueError(f"top and budget must be >= 0, got {top}, {budget}")
        if rule not in RULES:
            raise ValueError(f"unknown refinement rule {rule!r}; known: {RULES}")
        if turns not in TURNS:
            raise ValueError(f"unknown refinement turns {turns!r}; known: {TURNS}")
        if rule in _BY_ANSWERS and P is None:
            raise ValueError(f"the {rule} rule needs the table's cells P (K, Q)")
        self.measure = measure
        self.refinable = np.asarray(refinable, dtype=bool)
        self.measured = np.asarray(measured, dtype=bool)
        self.top, self.budget, self.rule, self.P, self.turns = int(top), int(budget), rule, P, turns
        self.cells_: dict = {}
        self.calls_ = 0

    def plan(self, wk: np.ndarray, asked, have, answers=None) -> list:
        """This turn's cells for one game with the refiner's rule, top and budget
        (:func:`select_cells`, or :func:`select_contradicted` / :func:`select_suspects`, which need
        ``answers``); ``have``: the cells the game already holds."""
        if self.rule in _BY_ANSWERS:
            if answers is None:
                raise ValueError(f"the {self.rule} rule needs the game's answers")
            return _BY_ANSWERS[self.rule](wk, asked, answers, self.P, self.refinable, self.measured, have,
                                          self.top, self.budget)
        return select_cells(wk, asked, self.refinable, self.measured, have, self.top, self.budget)

    def fetch(self, cells, deadline: float | None = None) -> int:
        """Measure the cells of ``cells`` not in the cache, grouped by question (a question-first
        prompt pays its prefix once per question), groups in the order their first cell comes in
        ``cells``; with ``deadline`` (a time.perf_counter() value) no new group starts after it.
        Returns the number of cells measured."""
        import time

        todo, seen = [], set()
        for c in cells:
            c = (int(c[0]), int(c[1]))
            if c not in self.cells_ and c not in seen:
                seen.add(c)
                todo.append(c)
        groups: dict = {}
        for c in todo:
            groups.setdefault(c[1], []).append(c)
        done = 0
        for q, cs in groups.items():
            if deadline is not None and time.perf_counter() >= deadline:
                break
            k = np.array([c[0] for c in cs], dtype=np.int64)
            p = np.asarray(self.measure(k, np.full(len(cs), q, dtype=np.int64)), dtype=np.float64)
            if p.shape != (len(cs),) or not np.isfinite(p).all():
                raise ValueError(f"measure returned {p.shape} values (all finite: {bool(np.isfinite(p).all())}) "
                                 f"for {len(cs)} cells")
            self.cells_.update({c: float(v) for c, v in zip(cs, p)})
            done += len(cs)
        self.calls_ += done
        return done
