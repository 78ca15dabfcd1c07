"""The question tree: greedy policy unrolled over both answers, stored as flat arrays.

Node semantics (a node is the game state just after an answer):
- ``guess_[n]``: the keyword guessed at this round (-1 at the root, which is before round 1);
- ``question_[n]``: the question asked next, chosen from the posterior with that guess
  removed (``LEAF`` where the tree stops: the walk then continues online, same rule);
- ``yes_[n]``/``no_[n]``: children after the answer; ``mass_[n]``: probability, under the
  table's own answer model and the prior, of reaching n unsolved; ``solve_[n]``: posterior
  probability that ``guess_[n]`` is right.

The fit grows the tree level by level, scoring all nodes of a level in batched matrix products.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from planner.belief import normalize
from planner.policy import GAME_ROUNDS, make_policy
from planner.table import atomic_write

LEAF = -1
FORMAT_VERSION = 1
_ARRAYS = ("question_", "yes_", "no_", "guess_", "mass_", "solve_", "depth_")


class NotFittedError(RuntimeError):
    pass


class TableMismatchError(ValueError):
    pass


class QuestionTree:
    """Greedy question tree over a table.

    Parameters: criterion ("entropy", "hard", "random"), max_depth (rounds), min_mass (a node
    reached with probability below this asks no question: LEAF), max_nodes (cap; None = no cap),
    eps (likelihood floor of the soft belief), seed (random criterion), batch_size (nodes scored
    per matrix product).
    """

    def __init__(self, *, criterion: str = "entropy", max_depth: int = 20, min_mass: float = 1e-4,
                 max_nodes: int | None = None, eps: float = 1e-3, seed: int = 0, batch_size: int = 256,
                 progress: bool = False):
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_mass = min_mass
        self.max_nodes = max_nodes
        self.eps = eps
        self.seed = seed
        self.batch_size = batch_size
        self.progress = progress

    def get_params(self) -> dict:
        return {k: getattr(self, k) for k in
                ("criterion", "max_depth", "min_mass", "max_nodes", "eps", "seed", "batch_size")}

    def _validate_params(self):
        if not (isinstance(self.max_depth, int) and 1 <= self.max_depth <= 100):
            raise ValueError(f"max_depth must be an int in [1, 100], got {self.max_depth!r}")
        if not 0 <= self.min_mass < 1:
            raise ValueError(f"min_mass must be in [0, 1), got {self.min_mass!r}")
        if self.max_nodes is not None and self.max_nodes < 1:
            raise ValueError(f"max_nodes must be >= 1 or None, got {self.max_nodes!r}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size!r}")

    # --- fitting ------------------------------------------------------------------------------

    def fit(self, table, types=None) -> "QuestionTree":
        """Grow the tree over ``table``; ``types`` (planner.types.AnswererTypes): the answerer types
        the belief is joint over (default: the table as the only type)."""
        self._validate_params()
        t0 = time.perf_counter()
        policy = make_policy(self.criterion, table, eps=self.eps, seed=self.seed, types=types)
        L = policy.L
        cols = {k: [] for k in _ARRAYS}

        def add(depth, guess, mass, solve):
            cols["question_"].append(LEAF); cols["yes_"].append(LEAF); cols["no_"].append(LEAF)
            cols["guess_"].append(guess); cols["mass_"].append(mass); cols["solve_"].append(solve)
            cols["depth_"].append(depth)
            return len(cols["depth_"]) - 1

        add(0, -1, 1.0, 0.0)
        ids = np.array([0])
        W = policy.initial_belief()[None, :]                          # (n, K) float64 beliefs after the guess
        after = np.array([1.0])                                       # reach mass after the guess
        asked = np.zeros((1, table.Q), dtype=bool)
        bar = _progress(self.progress, self.max_depth)
        for depth in range(self.max_depth):
            expand = (after >= self.min_mass) & (after > 0) if depth else np.ones(1, bool)
            if self.max_nodes is not None:
                room = max(0, (self.max_nodes - len(cols["depth_"])) // 2)
                order = np.argsort(-after, kind="stable")
                keep = np.zeros_like(expand)
                keep[order[:room]] = True
                expand &= keep
            if not expand.any():
                break
            ids, W, after, asked = ids[expand], W[expand], after[expand], asked[expand]
            next_ids, next_W, next_after, next_asked = [], [], [], []
            for s in range(0, len(ids), self.batch_size):
                sl = slice(s, s + self.batch_size)
                Wb, ab, ib, mb = W[sl], asked[sl], ids[sl], after[sl]
                qs, best = policy.choose(Wb, ab, rounds_left=GAME_ROUNDS - depth)
                ok = np.isfinite(best)                                   # every question asked: a leaf
                Wb, ab, ib, mb, qs = Wb[ok], ab[ok], ib[ok], mb[ok], qs[ok]
                if not len(qs):
                    continue
                Lq = L[:, qs].T.astype(np.float64)                       # (b, K)
                post, p_ans = {}, {}
                for ans, lik in ((True, Lq), (False, 1.0 - Lq)):
                    Wc = Wb * lik
                    p_ans[ans] = Wc.sum(axis=1)
                    dead = p_ans[ans] <= 0                              # answer contradicts everything
                    Wc[dead] = Wb[dead]
                    post[ans] = normalize(Wc)
                for j in range(len(qs)):
                    parent = int(ib[j])
                    for ans in (True, False):
                        mass = float(mb[j] * p_ans[ans][j])
                        w = post[ans][j]
                        g = policy.guess(w)
                        eq = policy.rows(policy.equivalents(g))
                        solve = float(w[eq].sum())
                        child = add(depth + 1, g, mass, solve)
                        cols["yes_" if ans else "no_"][parent] = child
                        w = w.copy(); w[eq] = 0
                        next_ids.append(child); next_W.append(normalize(w)); next_after.append(mass * (1 - solve))
                        a = ab[j].copy(); a[qs[j]] = True; next_asked.append(a)
                for j, q in enumerate(qs):
                    cols["question_"][int(ib[j])] = int(q)
            if not next_ids:
                break
            ids, W = np.array(next_ids), np.stack(next_W)
            after, asked = np.array(next_after), np.stack(next_asked)
            bar.update(1)
            bar.set_postfix(nodes=len(cols["depth_"]))
        bar.close()
        dtypes = {"mass_": np.float64, "solve_": np.float64, "depth_": np.int16}
        for k in _ARRAYS:
            setattr(self, k, np.asarray(cols[k], dtype=dtypes.get(k, np.int32)))
        self.table_hash_ = table.hash
        self.types_ = {"names": policy.types.names, "prior": policy.types.prior.tolist(), "hash": policy.types.hash}
        self.n_keywords_ = table.K
        self.n_questions_ = table.Q
        self.node_count_ = len(self.depth_)
        self.fit_seconds_ = time.perf_counter() - t0
        return self

    # --- queries ------------------------------------------------------------------------------

    def _check_fitted(self):
        if not hasattr(self, "question_"):
            raise NotFittedError("this QuestionTree is not fitted yet; call fit(table) or load_tree(path)")

    def check_table(self, table) -> None:
        """Raise TableMismatchError unless ``table`` is the one the tree was fitted on."""
        self._check_fitted()
        if table.hash != self.table_hash_:
            raise TableMismatchError(
                f"tree was fitted on table {self.table_hash_[:12]}, got table {table.hash[:12]} "
                f"({table.K} keywords x {table.Q} questions); refit the tree for this table")

    def check_types(self, types) -> None:
        """Raise TableMismatchError unless ``types`` (None = the table alone) are the fit's."""
        self._check_fitted()
        from planner.types import single_type

        got = (types if types is not None else single_type()).hash
        if got != self.types_["hash"]:
            raise TableMismatchError(f"tree was fitted with answerer types {self.types_['names']} "
                                     f"({self.types_['hash'][:12]}); got other types ({got[:12]}); pass the same types")

    def model_solve_curve(self) -> np.ndarray:
        """(max_depth + 1,) probability, under the fit's own model, of a win at each round on the tree."""
        self._check_fitted()
        out = np.zeros(self.max_depth + 1)
        np.add.at(out, self.depth_, self.mass_ * self.solve_)
        return out

    # --- persistence --------------------------------------------------------------------------

    def save(self, path) -> Path:
        """Write ``path`` (.npz: arrays + metadata) and a readable ``path.json`` beside it."""
        self._check_fitted()
        path = Path(path)
        meta = {"format_version": FORMAT_VERSION, "params": self.get_params(), "table_hash": self.table_hash_,
                "types": self.types_,
                "n_keywords": self.n_keywords_, "n_questions": self.n_questions_,
                "node_count": self.node_count_, "fit_seconds": self.fit_seconds_}

        def _write(p):
            with open(p, "wb") as f:
                np.savez_compressed(f, meta=np.array(json.dumps(meta)), **{k: getattr(self, k) for k in _ARRAYS})

        atomic_write(path, _write)
        atomic_write(path.with_name(path.name + ".json"), lambda p: p.write_text(json.dumps(meta, indent=1)))
        return path


def load_tree(path, table=None) -> QuestionTree:
    """Load a saved tree; with ``table``, refuse one fitted on a different table."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            arrays = {k: z[k] for k in _ARRAYS}
    except (OSError, KeyError, ValueError) as e:
        raise ValueError(f"{path}: not a q20 tree file ({e})") from e
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: tree format_version {meta.get('format_version')!r}, this code reads {FORMAT_VERSION}")
    tree = QuestionTree(**meta["params"])
    for k, v in arrays.items():
        setattr(tree, k, v)
    tree.table_hash_ = meta["table_hash"]
    if "types" in meta:
        tree.types_ = meta["types"]
    else:  # trees saved before answerer types: the table alone
        from planner.types import single_type

        tree.types_ = {"names": ["table"], "prior": [1.0], "hash": single_type().hash}
    tree.n_keywords_ = meta["n_keywords"]
    tree.n_questions_ = meta["n_questions"]
    tree.node_count_ = meta["node_count"]
    tree.fit_seconds_ = meta["fit_seconds"]
    if table is not None:
        tree.check_table(table)
    return tree


class _NoBar:
    def update(self, n): pass
    def set_postfix(self, **kw): pass
    def close(self): pass


def _progress(enabled: bool, total: int):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm
    return tqdm(total=total, desc="fit levels", unit="level")
