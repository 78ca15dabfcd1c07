"""Expected turns to solve: exact propagation down the tree plus Monte Carlo off the tree.

For every keyword k, the probability of reaching each node given k is the product of the
answer model's probabilities along the path (answers independent given k), so the chance of
being solved at each round on the tree is exact. Mass that reaches a LEAF unsolved leaves the
tree; those games are sampled in proportion to that mass and played on online by the same policy,
up to ``horizon`` rounds, so the mean number of turns counts games longer than 20 too.

Answer models: "table" (A = P), "flip" (P rounded to 0/1, flipped with probability E) or
another table over the same keywords and questions.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.belief import normalize, update_rows
from planner.gain import binary_entropy
from planner.policy import GAME_ROUNDS, make_policy
from planner.tree import LEAF


def answer_matrix(table, flip_noise: float | None = None, answer_table=None) -> np.ndarray:
    """(K, Q) float32 P(answer yes | keyword, question) for the chosen answer model."""
    if answer_table is not None:
        if flip_noise is not None:
            raise ValueError("give either flip_noise or answer_table, not both")
        if answer_table.names != table.names or list(answer_table.questions["id"]) != list(table.questions["id"]):
            raise ValueError("answer table must have the same keywords and question ids, in order, as the table")
        return np.asarray(answer_table.P, dtype=np.float32)
    if flip_noise is not None:
        if not 0 <= flip_noise <= 0.5:
            raise ValueError(f"flip noise must be in [0, 0.5], got {flip_noise}")
        return np.where(np.asarray(table.P) >= 0.5, 1 - flip_noise, flip_noise).astype(np.float32)
    return np.asarray(table.P, dtype=np.float32)


def noisy_channel_bound(prior: np.ndarray, noise: float) -> float:
    """H(prior) / (1 - H2(noise)): questions needed to identify the keyword over a noisy channel."""
    p = np.asarray(prior, dtype=np.float64)
    p = p[p > 0] / p.sum()
    h = float(-(p * np.log2(p)).sum())
    cap = 1.0 - float(binary_entropy(np.array(noise, dtype=np.float64)))
    return h / cap if cap > 0 else float("inf")


def effective_noise(prior: np.ndarray, A: np.ndarray) -> float:
    """Prior-weighted mean of min(A, 1 - A): the flip rate an answer model amounts to."""
    return float(np.asarray(prior) @ np.minimum(A, 1 - A).mean(axis=1, dtype=np.float64))


@dataclass
class Analysis:
    """Results; curves are indexed by round (index 0 unused), prior-weighted."""
    rounds: int
    horizon: int
    solve_curve: np.ndarray            # (horizon + 1,) P(solved at round r)
    on_tree_curve: np.ndarray          # (rounds + 1,) the exact, on-tree part
    off_tree_mass: float               # P(game leaves the tree unsolved)
    mc_games: int
    per_keyword: pd.DataFrame
    noise: float
    bound_turns: float
    extra: dict = field(default_factory=dict)

    @property
    def solve_rate_20(self) -> float:
        return float(self.solve_curve[1:self.rounds + 1].sum())

    @property
    def expected_turns(self) -> float:
        """E[T], T = winning round; a game unsolved after ``horizon`` rounds counts horizon + 1."""
        r = np.arange(self.horizon + 1)
        unsolved = 1.0 - self.solve_curve.sum()
        return float(r @ self.solve_curve + unsolved * (self.horizon + 1))

    @property
    def mean_round_solved(self) -> float:
        """E[T | T <= rounds]."""
        c = self.solve_curve[:self.rounds + 1]
        return float(np.arange(len(c)) @ c / c.sum()) if c.sum() > 0 else float("nan")

    def summary(self) -> dict:
        return {"expected_turns": self.expected_turns, "solve_rate_20": self.solve_rate_20,
                "mean_round_solved": self.mean_round_solved, "bound_turns": self.bound_turns,
                "noise": self.noise, "off_tree_mass": self.off_tree_mass, "mc_games": self.mc_games,
                "unsolved_at_horizon": float(1 - self.solve_curve.sum()), "horizon": self.horizon,
                "solve_rate_20_uniform": float(self.per_keyword["p_solved_20"].mean()), **self.extra}


def _parents(tree) -> tuple[np.ndarray, np.ndarray]:
    parent = np.full(len(tree.question_), -1, dtype=np.int64)
    answer = np.zeros(len(tree.question_), dtype=bool)
    inner = np.flatnonzero(tree.question_ != LEAF)
    parent[tree.yes_[inner]] = inner
    answer[tree.yes_[inner]] = True
    parent[tree.no_[inner]] = inner
    return parent, answer


def path_history(tree, node: int, names, parents=None) -> tuple[list, list, list]:
    """(questions, answers, guess names) from the root to ``node``; parents: _parents(tree), reusable."""
    parent, answer = parents if parents is not None else _parents(tree)
    qs, ans, gs = [], [], []
    while node > 0:
        p = int(parent[node])
        qs.append(int(tree.question_[p])); ans.append(bool(answer[node])); gs.append(names[int(tree.guess_[node])])
        node = p
    return qs[::-1], ans[::-1], gs[::-1]


def exact_on_tree(tree, policy, A: np.ndarray, rounds: int = 20, n_mc: int = 2000, rng=None):
    """Propagate per-keyword reach probabilities down the tree.

    Returns S (K, rounds + 1) P(solved at round r | k) on the tree, off (K,) P(leaving the tree
    unsolved | k), and sampled off-tree games: a list of (node, keyword) drawn ~ Poisson(n_mc *
    prior_k * reach) at each leaf, i.e. proportionally to the mass leaving the tree there.
    """
    rng = rng or np.random.default_rng(0)
    K = A.shape[0]
    prior = policy.keyword_prior
    S = np.zeros((K, rounds + 1))
    off = np.zeros(K)
    samples = []
    ids = np.array([0])
    R = np.ones((1, K), dtype=np.float64)
    for depth in range(rounds + 1):
        if len(ids) == 0:
            break
        if depth > 0:
            for j, n in enumerate(ids):
                eq = policy.equivalents(int(tree.guess_[n]))
                S[eq, depth] += R[j, eq]
                R[j, eq] = 0.0
        q = tree.question_[ids]
        leaf = (q == LEAF) | (depth == rounds)
        for j in np.flatnonzero(leaf):
            off += R[j]
            counts = rng.poisson(n_mc * prior * R[j])
            for k in np.flatnonzero(counts):
                samples += [(int(ids[j]), int(k))] * int(counts[k])
        inner = ~leaf
        if not inner.any():
            break
        ids_i, R_i, q_i = ids[inner], R[inner], q[inner]
        Aq = A[:, q_i].T.astype(np.float64)                        # (n, K)
        ids = np.concatenate([tree.yes_[ids_i], tree.no_[ids_i]])
        R = np.concatenate([R_i * Aq, R_i * (1.0 - Aq)])
    return S, off, samples


def simulate(policy, A: np.ndarray, keywords: np.ndarray, W0: np.ndarray, asked0: np.ndarray,
             start_round: np.ndarray, horizon: int, rng, batch_size: int = 512) -> np.ndarray:
    """Play games online in lockstep from given states.

    keywords: (n,) true keyword; W0: (n, H) beliefs after the last guess; asked0: (n, Q);
    start_round: (n,) rounds already played. Answers are drawn from A. Returns (n,) the
    winning round, or horizon + 1 when unsolved by ``horizon``.
    """
    n = len(keywords)
    out = np.full(n, horizon + 1, dtype=np.int64)
    for s in range(0, n, batch_size):
        sl = slice(s, min(n, s + batch_size))
        W, asked = W0[sl].astype(np.float64), asked0[sl].copy()
        kw, r = keywords[sl], start_round[sl].copy()
        live = r < horizon
        res = out[sl]
        while live.any():
            idx = np.flatnonzero(live)
            qs, _ = policy.choose(W[idx], asked[idx], rounds_left=GAME_ROUNDS - r[idx])
            yes = rng.random(len(idx)) < A[kw[idx], qs]
            W[idx] = update_rows(W[idx], policy.L, qs, yes)
            asked[idx, qs] = True
            r[idx] += 1
            for j, i in enumerate(idx):
                g = policy.guess(W[i])
                eq = policy.equivalents(g)
                if kw[i] in eq:
                    res[i] = r[i]
                    live[i] = False
                else:
                    W[i, policy.rows(eq)] = 0.0
                    W[i] = normalize(W[i])
                    if r[i] >= horizon:
                        live[i] = False
        out[sl] = res
    return out


def analyze(tree, table, A: np.ndarray, *, rounds: int = 20, horizon: int = 40, n_mc: int = 2000,
            noise: float | None = None, seed: int = 0, types=None) -> Analysis:
    """Exact on-tree solve probabilities plus Monte Carlo for the mass that leaves the tree.

    A: (K, Q) the true answerer's P(yes); types: the answerer types the tree was fitted with
    (the guesser's belief model; checked against the tree)."""
    tree.check_table(table)
    tree.check_types(types)
    if A.shape != table.P.shape:
        raise ValueError(f"answer model shape {A.shape} != table shape {table.P.shape}")
    if horizon < rounds:
        raise ValueError(f"horizon ({horizon}) must be >= rounds ({rounds})")
    rng = np.random.default_rng(seed)
    policy = make_policy(tree.criterion, table, eps=tree.eps, seed=tree.seed, types=types)
    prior = policy.keyword_prior
    S, off, samples = exact_on_tree(tree, policy, A, rounds=rounds, n_mc=n_mc, rng=rng)
    on_curve = prior @ S
    solve_curve = np.zeros(horizon + 1)
    solve_curve[:rounds + 1] = on_curve
    mc_rounds = np.zeros(0, dtype=np.int64)
    if samples:
        names = table.names
        nodes = np.array([s[0] for s in samples]); kws = np.array([s[1] for s in samples])
        uniq, inv = np.unique(nodes, return_inverse=True)
        Wu, Au, Du = [], [], []
        parents = _parents(tree)
        for n in uniq:
            qs, ans, gs = path_history(tree, int(n), names, parents)
            a = np.zeros(table.Q, dtype=bool); a[qs] = True
            Wu.append(policy.belief(qs, ans, gs)); Au.append(a); Du.append(len(qs))
        W0, asked0, r0 = np.stack(Wu)[inv], np.stack(Au)[inv], np.array(Du)[inv]
        mc_rounds = simulate(policy, A, kws, W0, asked0, r0, horizon, rng)
    off_mass = float(prior @ off)
    if len(mc_rounds):
        # ratio estimator: exact off-tree mass times the sampled games' outcome distribution
        solve_curve += off_mass * np.bincount(mc_rounds, minlength=horizon + 2)[:horizon + 1] / len(mc_rounds)
    # per keyword: exact on the tree; off-tree mass credited with the MC's overall success rate
    mc_rate20 = float((mc_rounds <= rounds).mean()) if len(mc_rounds) else 0.0
    mc_capped = float(np.minimum(mc_rounds, rounds + 1).mean()) if len(mc_rounds) else rounds + 1.0
    r = np.arange(rounds + 1)
    per_kw = pd.DataFrame({
        "keyword": table.names, "prior": prior,
        "p_solved_20": S.sum(axis=1) + off * mc_rate20,
        "p_solved_on_tree": S.sum(axis=1), "p_off_tree": off,
        "expected_turns_capped": S @ r + off * mc_capped,
        "mean_round_on_tree": np.divide(S @ r, S.sum(axis=1), out=np.full(len(prior), np.nan), where=S.sum(axis=1) > 0),
    })
    if noise is None:
        noise = effective_noise(prior, A)
    return Analysis(rounds=rounds, horizon=horizon, solve_curve=solve_curve, on_tree_curve=on_curve,
                    off_tree_mass=off_mass, mc_games=len(mc_rounds), per_keyword=per_kw, noise=noise,
                    bound_turns=noisy_channel_bound(prior, noise))


def simulate_from_root(policy, A, n_games: int, horizon: int = 20, seed: int = 0) -> np.ndarray:
    """Full Monte Carlo: keywords drawn from the prior, every move online. Returns (n,) winning rounds."""
    rng = np.random.default_rng(seed)
    K = A.shape[0]
    kws = rng.choice(K, size=n_games, p=policy.keyword_prior)
    W0 = np.broadcast_to(policy.initial_belief(), (n_games, len(policy.prior)))
    asked0 = np.zeros((n_games, A.shape[1]), dtype=bool)
    return simulate(policy, A, kws, W0, asked0, np.zeros(n_games, dtype=np.int64), horizon, rng)
