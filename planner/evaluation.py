"""Games of guessers against answerers on any keyword list, played in lockstep.

Guessers (all walk the same table): ``q20`` (the fitted tree, online where it ends), ``greedy``
(online max information gain every move, no tree), ``hard`` (hard elimination, even splits),
``random`` (random question order, most probable guess). Answerers: ``exact`` (the table
rounded to 0/1), ``flip:E`` (that, flipped with probability E), ``table:DIR`` (yes with the
probability another table gives) or any callable ``(keyword, question_text) -> str`` (an LLM).

Table answerers use common random numbers: the uniform draw for (game, question) depends only
on the seed, the keyword and the game number, so every guesser meets the same answers.
A keyword outside the table's universe has no table row: table answerers cannot answer it
(``answerable`` is False and the game is reported, unsolved); a callable answerer plays it.
Guesses are judged by the referee's rule (planner.matching, tested against the referee).
"""
from __future__ import annotations

import time
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.belief import normalize, update_rows
from planner.matching import keyword_guessed
from planner.policy import make_policy
from planner.tree import LEAF

GUESSERS = {"q20": ("entropy", True), "greedy": ("entropy", False), "hard": ("hard", False), "random": ("random", False)}


def parse_answer(text) -> bool | None:
    """The referee's parsing: contains "yes" -> yes, else contains "no" -> no, else None (an error)."""
    s = str(text or "").lower()
    return True if "yes" in s else (False if "no" in s else None)


@dataclass
class TableAnswerer:
    """Answers from a (K, Q) P(yes) matrix over the table's keywords; ``name`` for reports."""
    A: np.ndarray
    name: str

    def answer(self, k: np.ndarray, q: np.ndarray, u: np.ndarray) -> np.ndarray:
        """k, q, u: (n,) keyword rows, question columns, uniforms -> (n,) bool."""
        return u < self.A[k, q]


def table_answerer(spec: str, table, load_table=None) -> TableAnswerer:
    """``exact`` | ``flip:E`` | ``table:DIR`` -> a TableAnswerer over ``table``'s rows and columns."""
    hard = (np.asarray(table.P) >= 0.5)
    if spec == "exact":
        return TableAnswerer(hard.astype(np.float32), "exact")
    if spec.startswith("flip:"):
        e = float(spec.split(":", 1)[1])
        if not 0 <= e <= 0.5:
            raise ValueError(f"answerer {spec!r}: flip probability must be in [0, 0.5]")
        return TableAnswerer(np.where(hard, 1 - e, e).astype(np.float32), spec)
    if spec.startswith("table:"):
        other = load_table(spec.split(":", 1)[1])
        rows = {n: i for i, n in enumerate(other.names)}
        cols = {q: i for i, q in enumerate(other.questions["id"])}
        missing_q = [q for q in table.questions["id"] if q not in cols]
        if missing_q:
            raise ValueError(f"answerer {spec!r}: question id {missing_q[0]!r} (and {len(missing_q) - 1} more) not in that table")
        A = np.asarray(table.P, dtype=np.float32).copy()        # keywords it lacks fall back to the table
        ri = [rows.get(n, -1) for n in table.names]
        have = np.array([r >= 0 for r in ri])
        cj = [cols[q] for q in table.questions["id"]]
        A[have] = np.asarray(other.P)[np.array(ri)[have]][:, cj]
        return TableAnswerer(A, spec)
    raise ValueError(f"unknown answerer {spec!r}; use exact, flip:E, table:DIR or llm[:MODEL]")


def _uniforms(seed: int, keyword: str, game: int, Q: int) -> np.ndarray:
    key = zlib.crc32(keyword.encode("utf-8"))
    return np.random.default_rng([seed, key, game]).random(Q)


def play_games(table, guesser: str, answerer, keywords, *, tree=None, games_per_keyword: int = 1,
               seed: int = 0, rounds: int = 20, eps: float = 1e-3, batch_size: int = 256, types=None,
               refiner=None) -> pd.DataFrame:
    """Play every (keyword, game) with one guesser; returns one row per game.

    types: the answerer types the guesser's belief is joint over (planner.types; must be the
    tree's). The answerer is whatever ``answerer`` is: the guesser does not know its type.

    keywords: list of (keyword, alts) or strings. answerer: a TableAnswerer or a callable.
    refiner: a planner.refine.Refiner, or None. With one, after every answer each game measures
    the cells the refiner's rule picks for its belief (:meth:`planner.refine.Refiner.plan`; at most its
    budget a turn; cells another game measured cost no LLM time, but a game only uses the cells
    it picked itself, as if it were played alone), and its belief takes them
    (:func:`planner.refine.correction`); a game whose belief changed leaves the tree. With
    ``refiner.turns == "both"`` each game also measures before each question after the first
    (after its wrong guess), as the agent's ask turn does.
    Columns: keyword, game, in_universe, answerable, solved, round (winning round or NaN),
    guesses ("|"-joined), rounds_played, off_tree_moves, errors, refined_cells, seconds (guesser's
    compute time per game, refinement included).
    """
    if guesser not in GUESSERS:
        raise ValueError(f"unknown guesser {guesser!r}; choose from {sorted(GUESSERS)}")
    criterion, use_tree = GUESSERS[guesser]
    if use_tree:
        if tree is None:
            raise ValueError("guesser 'q20' needs a fitted tree")
        tree.check_table(table)
        tree.check_types(types)
    else:
        tree = None
    policy = make_policy(criterion, table, eps=eps, seed=seed, types=types)
    gi = policy.guess_index
    names = table.names
    games = []
    for kw in keywords:
        word, alts = (kw, []) if isinstance(kw, str) else (kw[0], list(kw[1]))
        hits = gi.matches(word)
        for g in range(games_per_keyword):
            games.append((word, alts, hits[0] if hits else -1, g))
    n, Q = len(games), table.Q
    is_table = isinstance(answerer, TableAnswerer)
    kidx = np.array([gm[2] for gm in games], dtype=np.int64)
    answerable = np.ones(n, bool) if not is_table else kidx >= 0
    W = np.zeros((n, len(policy.prior)))             # joint beliefs, kept only for games off the tree
    has_w = np.zeros(n, bool)
    asked = np.zeros((n, Q), bool)
    node = np.zeros(n, np.int64) if tree is not None else np.full(n, -1, np.int64)
    solved = np.full(n, np.nan)
    live = answerable.copy()
    off_moves = np.zeros(n, np.int64)
    errors = np.zeros(n, np.int64)
    hist_q = [[] for _ in range(n)]
    hist_a = [[] for _ in range(n)]
    guesses = [[] for _ in range(n)]
    secs = np.zeros(n)
    have = [dict() for _ in range(n)]                 # cells each game measured (refiner)
    if refiner is not None:
        from planner.refine import correction, correction_args
        cargs = correction_args(policy.types, table)
        W[:] = policy.initial_belief()
        has_w[:] = True
    U = np.stack([_uniforms(seed, gm[0], gm[3], Q) for gm in games]) if is_table and n else None
    texts = table.questions["text"].tolist()

    def refine(idx):
        """One refinement turn of the games ``idx``: each plans on its belief, the cells are fetched
        together, each game's belief takes the cells it planned, and it leaves the tree."""
        plans = {i: refiner.plan(policy.keyword_belief(W[i]), hist_q[i], have[i], hist_a[i]) for i in idx}
        refiner.fetch([c for cs in plans.values() for c in cs])
        for i, cs in plans.items():
            if cs:
                new = {c: refiner.cells_[c] for c in cs if c in refiner.cells_}
                W[i] = normalize(W[i] * correction(new, policy.L, questions=hist_q[i], answers=hist_a[i], eps=eps,
                                                         **cargs))
                have[i].update(new)
                node[i] = -1

    for r in range(1, rounds + 1):
        idx = np.flatnonzero(live)
        if not len(idx):
            break
        # --- the guesser chooses its questions (timed) -------------------------------------
        t0 = time.perf_counter()
        if refiner is not None and refiner.turns == "both" and r > 1:
            refine(idx)                               # the ask turn's cells: after the wrong guess
        qs = np.empty(len(idx), np.int64)
        on = node[idx] >= 0
        if tree is not None:
            on &= tree.question_[np.maximum(node[idx], 0)] != LEAF
            qs[on] = tree.question_[node[idx[on]]]
        off_pos = np.flatnonzero(~on)
        for i in idx[off_pos]:
            node[i] = -1
            if not has_w[i]:
                W[i], has_w[i] = policy.belief(hist_q[i], hist_a[i], guesses[i]), True
        for s in range(0, len(off_pos), batch_size):
            pos = off_pos[s:s + batch_size]
            qs[pos], _ = policy.choose(W[idx[pos]], asked[idx[pos]], rounds_left=rounds - r + 1)
        off_moves[idx[off_pos]] += 1
        t_guesser = time.perf_counter() - t0
        # --- the answerer answers (not timed) ------------------------------------------------
        if is_table:
            ans = answerer.answer(kidx[idx], qs, U[idx, qs]).astype(object)
        else:
            ans = np.array([parse_answer(answerer(games[i][0], texts[q])) for i, q in zip(idx, qs)], dtype=object)
        # --- the guesser updates and guesses (timed) ------------------------------------------
        t0 = time.perf_counter()
        asked[idx, qs] = True
        bad = np.array([a is None for a in ans])
        errors[idx[bad]] += 1
        for j, i in enumerate(idx):
            hist_q[i].append(int(qs[j])); hist_a[i].append(ans[j])
        tree_games = idx[(node[idx] >= 0) & ~bad]
        if len(tree_games):
            yes_t = np.array([ans[np.searchsorted(idx, i)] for i in tree_games], dtype=bool)
            node[tree_games] = np.where(yes_t, tree.yes_[node[tree_games]], tree.no_[node[tree_games]])
        node[idx[bad]] = -1
        upd = idx[((node[idx] < 0) | (refiner is not None)) & ~bad & has_w[idx]]
        if len(upd):
            pos = np.searchsorted(idx, upd)
            yes_u = np.array([ans[p] for p in pos], dtype=bool)
            W[upd] = update_rows(W[upd], policy.L, qs[pos], yes_u)
        if refiner is not None:
            refine(idx)
        gk = np.empty(len(idx), np.int64)
        for j, i in enumerate(idx):
            if node[i] >= 0:
                gk[j] = tree.guess_[node[i]]
            else:
                if not has_w[i]:
                    W[i], has_w[i] = policy.belief(hist_q[i], hist_a[i], guesses[i]), True
                gk[j] = policy.guess(W[i])
        t_guesser += time.perf_counter() - t0
        # --- the referee judges; a wrong guess is removed from the belief (timed) --------------
        for j, i in enumerate(idx):
            guess = names[gk[j]]
            guesses[i].append(guess)
            if keyword_guessed(guess, games[i][0], games[i][1]):
                solved[i] = r
                live[i] = False
            elif has_w[i]:
                t0 = time.perf_counter()
                W[i, policy.rows(gi.matches(guess))] = 0.0
                W[i] = normalize(W[i])
                t_guesser += time.perf_counter() - t0
        secs[idx] += t_guesser / len(idx)
    return pd.DataFrame({
        "keyword": [gm[0] for gm in games], "game": [gm[3] for gm in games],
        "in_universe": kidx >= 0, "answerable": answerable, "solved": ~np.isnan(solved), "round": solved,
        "guesses": ["|".join(g) for g in guesses], "rounds_played": [len(g) for g in guesses], "off_tree_moves": off_moves, "errors": errors,
        "refined_cells": [len(h) for h in have], "seconds": secs,
        "transcript": [transcript(texts, hq, ha, g) for hq, ha, g in zip(hist_q, hist_a, guesses)],
    })


def transcript(texts, questions, answers, guesses) -> str:
    """One game as text: ``1. Is it an animal? -> no; guess: hammer`` a round, rounds joined by " || "."""
    ans = {True: "yes", False: "no", None: "?"}
    return " || ".join(f"{r}. {texts[q]} -> {ans[a]}; guess: {g}"
                       for r, (q, a, g) in enumerate(zip(questions, answers, guesses), 1))


def parse_transcript(text) -> list:
    """The rounds of a :func:`transcript`: [(question text, True / False / None, guess), ...]
    (a round that does not read as one is skipped).

    >>> parse_transcript("1. Is it red? -> yes; guess: apple || 2. Is it big? -> ?; guess: plum")
    [('Is it red?', True, 'apple'), ('Is it big?', None, 'plum')]
    """
    out = []
    for step in str(text).split(" || "):
        head, _, rest = step.partition(". ")
        qa, sep_g, guess = rest.rpartition("; guess: ")
        q, sep, a = qa.rpartition(" -> ")
        if head.isdigit() and sep_g and sep and a in ("yes", "no", "?"):
            out.append((q, {"yes": True, "no": False, "?": None}[a], guess))
    return out


def _games_in_table(names, games: pd.DataFrame):
    """(row of the game's keyword in ``names``, the games.csv row, its parsed rounds) for every
    recorded game whose keyword the table holds (matched as the referee matches names)."""
    from planner.matching import normalize as norm_name

    idx = {norm_name(n): i for i, n in enumerate(names)}
    for g in games.itertuples(index=False):
        k = idx.get(norm_name(str(g.keyword)))
        if k is not None:
            yield k, g, parse_transcript(g.transcript)


def replay_games(walker, games: pd.DataFrame) -> pd.DataFrame:
    """The belief ``walker`` (its table and types) holds at the end of each recorded game (games.csv
    rows: keyword, solved, transcript): after every recorded answer, with the game's wrong guesses
    removed (a solved game's last guess is the keyword itself and stays). One row a game: the
    keyword's rank in that belief (0 = the most probable), its log2 probability, and the answered
    rounds used. The questions are the recorded ones, so this compares how tables *update* on the
    same answers, not which questions they would ask. Keywords outside the table are skipped.
    Also per game: whether it was solved, and the keyword's rank in the table's prior (0 = the most
    probable; :func:`by_prior_band` groups games by it)."""
    prior = walker.table.prior
    rows = []
    for k, g, rounds in _games_in_table(walker.table.names, games):
        guesses = [gs for _, _, gs in rounds]
        if bool(g.solved):
            guesses = guesses[:-1]
        b = walker.belief([walker.question_id(q) for q, _, _ in rounds], [a for _, a, _ in rounds], guesses)
        rows.append({"keyword": g.keyword, "rounds": len(rounds), "rank": int((b > b[k]).sum()),
                     "log2_p": float(np.log2(max(float(b[k]), 1e-300))), "solved": bool(g.solved),
                     "prior_rank": int((prior > prior[k]).sum())})
    return pd.DataFrame(rows, columns=["keyword", "rounds", "rank", "log2_p", "solved", "prior_rank"])


def replay_refined(walker, games: pd.DataFrame, refiner=None) -> pd.DataFrame:
    """Recorded games replayed round by round with the guesser's own guesses and, with a
    ``refiner`` (planner.refine.Refiner), the cells it measures after each answer.

    Each round: the recorded answer; the refiner's plan for the belief (its rule, top and budget;
    the cells this game measured so far are its own, the refiner's cache is shared); then the guess
    = the most probable keyword not guessed yet; solved when that is the keyword (with
    ``refiner.turns == "both"``, after a wrong guess the refiner plans once more, as the agent's ask
    turn does). The questions are the recorded ones (a refined belief would have asked others), so
    this compares beliefs and refinement rules on the same answers, not question choice; a recorded
    game that ended early (solved) gives the replay only its rounds. One row a game in the table:
    keyword, solved, round (or None), rank (the keyword's at the end; 0 = first), refined_cells."""

    def refine(qs, ans, guessed, have):
        """One refinement turn after the answers ``ans``: plan, fetch, ``have`` takes the cells."""
        b = walker.belief(qs, ans, guessed, have or None)
        plan = refiner.plan(b, qs, have, ans)
        refiner.fetch(plan)
        have.update({c: refiner.cells_[c] for c in plan if c in refiner.cells_})

    rows = []
    for k, g, rounds in _games_in_table(walker.table.names, games):
        qs = [walker.question_id(q) for q, _, _ in rounds]
        ans = [a for _, a, _ in rounds]
        have: dict = {}
        guessed: list = []
        win = None
        for r in range(1, len(rounds) + 1):
            if refiner is not None:
                refine(qs[:r], ans[:r], guessed, have)
            b = walker.belief(qs[:r], ans[:r], guessed, have or None)
            gi = int(np.argmax(b))
            if gi == k:
                win = r
                break
            guessed.append(walker.table.names[gi])
            if refiner is not None and refiner.turns == "both" and r < len(rounds):
                refine(qs[:r], ans[:r], guessed, have)      # the next ask turn: after the wrong guess
        b = walker.belief(qs, ans, guessed, have or None)
        rows.append({"keyword": g.keyword, "solved": win is not None, "round": win,
                     "rank": int((b > b[k]).sum()), "refined_cells": len(have)})
    return pd.DataFrame(rows, columns=["keyword", "solved", "round", "rank", "refined_cells"])


def by_prior_band(replayed: pd.DataFrame, edges=(500, 1500, 3000, 6000)) -> list[dict]:
    """Games grouped by where the table's prior ranked their keyword: bands [0, e0), [e0, e1), ...,
    [e_last, inf) of ``prior_rank`` (:func:`replay_games`). One dict a band: lo, hi (None = no
    upper end), games, solved, share solved, median end rank, mean end log2 p (None when empty).

    >>> df = pd.DataFrame({"prior_rank": [3, 700, 9000], "solved": [True, False, False],
    ...                    "rank": [0, 12, 400], "log2_p": [-1.0, -8.0, -12.0]})
    >>> [(b["lo"], b["games"], b["solved"]) for b in by_prior_band(df, edges=(500,))]
    [(0, 1, 1), (500, 2, 0)]
    """
    lo = [0, *edges]
    hi = [*edges, None]
    out = []
    r = replayed["prior_rank"].to_numpy()
    for a, b in zip(lo, hi):
        m = (r >= a) & (r < (np.inf if b is None else b))
        d = replayed[m]
        n = int(m.sum())
        out.append({"lo": int(a), "hi": None if b is None else int(b), "games": n, "solved": int(d["solved"].sum()),
                    "share": round(float(d["solved"].mean()), 4) if n else None,
                    "median_rank": float(d["rank"].median()) if n else None,
                    "mean_log2_p": round(float(d["log2_p"].mean()), 3) if n else None})
    return out


def recorded_cells(table, games: pd.DataFrame) -> pd.DataFrame:
    """The table's cells that recorded games put to the answerer: one row per distinct (keyword,
    question) of the transcripts whose keyword is a table row and whose question is a column,
    with the answer (1 yes / 0 no; unparsed ones left out), the cell P and the question's kind.
    Columns: keyword, k, q, kind, answer, p."""
    qidx = table.question_index()
    seen = {}
    for k, g, rounds in _games_in_table(table.names, games):
        for q, a, _ in rounds:
            j = qidx.get(q)
            if j is not None and a is not None:
                seen.setdefault((k, j), (str(g.keyword), int(a)))
    return _cells_frame(table, seen)


def _cells_frame(table, seen: dict) -> pd.DataFrame:
    """{(k, q): (keyword, answer)} -> the cells frame of :func:`recorded_cells` / :func:`reply_cells`."""
    kinds = table.questions["kind"].tolist()
    rows = [(kw, k, j, kinds[j], a, float(table.P[k, j])) for (k, j), (kw, a) in seen.items()]
    return pd.DataFrame(rows, columns=["keyword", "k", "q", "kind", "answer", "p"])


def reply_cells(table, replies: pd.DataFrame) -> pd.DataFrame:
    """The table's cells at the (keyword, question) pairs of recorded replies (a live memo file:
    columns keyword, question, answer), once each (the first reply kept): rows whose keyword is a
    table row (exact name) and whose question is a column, unparsed answers left out.
    Columns: keyword, k, q, kind, answer, p (as :func:`recorded_cells`)."""
    if missing := {"keyword", "question", "answer"} - set(replies.columns):
        raise ValueError(f"replies lack columns {sorted(missing)}")
    row = {n: i for i, n in enumerate(table.names)}
    qidx = table.question_index()
    seen = {}
    for kw, q, a in zip(replies["keyword"], replies["question"], replies["answer"]):
        k, j, ans = row.get(kw), qidx.get(q), parse_answer(a)
        if k is not None and j is not None and ans is not None:
            seen.setdefault((k, j), (str(kw), int(ans)))
    return _cells_frame(table, seen)


def cell_calibration(p, answer, edges=(0, .05, .1, .2, .35, .5, .65, .8, .9, .95, 1)) -> dict:
    """How cells ``p`` (n,) predict hard answers (n,) 0/1: n, the answerers' yes rate, the cells'
    mean, AUC, log-loss (cells clipped to [1e-3, 1 - 1e-3]), the share of answers on the other
    side of 0.5 from their cell, and per bin of p: [lo, hi, n, mean p, yes rate].

    >>> cell_calibration([.1, .1, .9, .9], [0, 1, 1, 1])["bins"][0]
    [0.05, 0.1, 2, 0.1, 0.5]
    """
    from scipy.stats import rankdata

    p = np.asarray(p, dtype=np.float64)
    a = np.asarray(answer, dtype=np.float64)
    pc = np.clip(p, 1e-3, 1 - 1e-3)
    npos = a.sum()
    auc = ((rankdata(p)[a == 1].sum() - npos * (npos + 1) / 2) / (npos * (len(a) - npos))
           if 0 < npos < len(a) else float("nan"))
    bins = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (p > lo) & (p <= hi) if lo > 0 else (p >= lo) & (p <= hi)
        if m.any():
            bins.append([lo, hi, int(m.sum()), round(float(p[m].mean()), 4), round(float(a[m].mean()), 4)])
    return {"n": int(len(a)), "yes_rate": float(a.mean()) if len(a) else float("nan"),
            "mean_p": float(p.mean()) if len(p) else float("nan"), "auc": float(auc),
            "log_loss": float(-(a * np.log(pc) + (1 - a) * np.log(1 - pc)).mean()) if len(a) else float("nan"),
            "other_side": float(((p >= 0.5) != (a == 1)).mean()) if len(a) else float("nan"), "bins": bins}


def answer_shift(p, answer, bound: float = 10.0) -> tuple[float, float]:
    """(s, log-loss): the single logit shift s that makes sigmoid(logit p + s) fit hard answers
    best (maximum likelihood; cells clipped to [1e-3, 1 - 1e-3]), and the log-loss there. How much
    more (s > 0) or less often an answerer says yes than the cells expect: the yes-bias the shift
    answerer types (tables.bias_types.shift_types) must cover. p, answer: (n,).

    >>> round(answer_shift([0.5, 0.5, 0.5, 0.5], [1, 1, 1, 0])[0], 3)   # 3 of 4: logit 0.75 = ln 3
    1.099
    """
    from scipy.optimize import minimize_scalar

    a = np.asarray(answer, dtype=np.float64)
    if not len(a):
        return float("nan"), float("nan")
    pc = np.clip(np.asarray(p, dtype=np.float64), 1e-3, 1 - 1e-3)
    x = np.log(pc) - np.log1p(-pc)

    def loss(s):
        z = x + s
        return float(np.mean(np.logaddexp(0, z) - a * z))

    r = minimize_scalar(loss, bounds=(-bound, bound), method="bounded", options={"xatol": 1e-5})
    return float(r.x), float(r.fun)


def summarize(df: pd.DataFrame, rounds: int = 20) -> dict:
    """games, solve_rate_20, mean/median winning round, outside_universe share, errors."""
    won = df.loc[df["solved"], "round"]
    return {"games": int(len(df)), "solve_rate_20": float(df["solved"].mean()) if len(df) else 0.0,
            "mean_round_solved": float(won.mean()) if len(won) else float("nan"),
            "median_round_solved": float(won.median()) if len(won) else float("nan"),
            "outside_universe": float((~df["in_universe"]).mean()) if len(df) else 0.0,
            "unanswerable": int((~df["answerable"]).sum()),
            "errors": int(df["errors"].sum()),
            "mean_move_ms": float(1e3 * df["seconds"].sum() / max(1, df["rounds_played"].sum()))}
