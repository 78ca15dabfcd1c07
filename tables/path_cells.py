"""Path cells: measure only the natural cells the agent will ask a thing, not its whole row.

A bank row is 424 cells; a game asks ~20 questions, and for one thing most of them are the same
from game to game (the tree's top, then where that thing's own answers lead). The agent as shipped
(a table, its tree and answerer types) plays ``games`` self-play games of each thing, the answers
drawn from the thing's own cells; the natural questions asked, most often first, up to ``cells``
a thing, are its path cells. They are scored with the bank's main prompt and stored as a bank
source of their own (``qwen1.5b-qf_sub-path``, sparse shards: tables/answer_bank.py), which
tables/default_table.py puts into the table where the bank has no cell, on the main source's
calibration. docs/default_table.md section 26 has what it is worth live.

Layout (``tables/answers/<path source>/``)::

    keywords.csv      the things, in the order they are scored (appended by :func:`add_path_keywords`)
    source.json       what the source is (the scorer's spec), as for any bank source
    shards/NNNNN-<h>.npz  one block of things: their path cells (sparse), the picking table's hash

    add_path_keywords(table, 200, root / source, bank_keywords, holdout)   # the list, once
    job = make_path_job("build/default")          # the picking agent; tables.scoring.run_job's shard protocol
    run_job(job)                                  # resumable: finished shards are kept

The picking needs the planner only; the scorer is built inside the worker (tables.scoring).
"""
from __future__ import annotations

import collections
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from planner.table import atomic_write
from tables.answer_bank import BANK_VERSION, ROOT, BankError, SourceShards, _hash, read_bank_keywords
from tables.scoring import ScorerSpec, _scorer, score_cells

PATH_VERSION = 1


def pick_path_cells(table, tree, types, keywords, games: int = 8, cells: int = 40, seed: int = 0) -> pd.DataFrame:
    """The natural cells the agent asks each of ``keywords`` (names of ``table``).

    ``games`` self-play games a keyword (planner.evaluation.play_games: the tree while on it, the
    same rule off it; answers drawn from the keyword's own cells, so the answerer is the table);
    returns a DataFrame keyword, qid, count (games that asked it), at most ``cells`` rows a
    keyword, most asked first (ties: first asked first), keywords in the order given.
    """
    from planner.evaluation import TableAnswerer, parse_transcript, play_games

    if games < 1 or cells < 1:
        raise ValueError(f"games and cells must be >= 1, got {games} and {cells}")
    row = {n: i for i, n in enumerate(table.names)}
    missing = [k for k in keywords if k not in row]
    if missing:
        raise ValueError(f"{len(missing)} keyword(s) not in the table, e.g. {missing[0]!r}")
    answerer = TableAnswerer(np.asarray(table.P, dtype=np.float32), "self")
    df = play_games(table, "q20" if tree is not None else "greedy", answerer, list(keywords), tree=tree,
                    games_per_keyword=games, seed=seed, types=types)
    col = {t: j for j, t in enumerate(table.questions["text"])}
    natural = (table.questions["kind"] == "natural").to_numpy()
    qids = table.questions["id"].astype(str).to_numpy() if "id" in table.questions else np.arange(table.Q).astype(str)
    asked = {k: collections.Counter() for k in keywords}
    for k, tr in zip(df["keyword"], df["transcript"]):
        for text, _, _ in parse_transcript(tr):
            j = col[text]
            if natural[j]:
                asked[k][j] += 1
    rows = [(k, qids[j], n) for k in keywords for j, n in asked[k].most_common(cells)]
    return pd.DataFrame(rows, columns=["keyword", "qid", "count"])


# --- the keyword list ---------------------------------------------------------------------------


def add_path_keywords(table, n: int, source_dir, bank_keywords=(), holdout=()) -> list[str]:
    """Append the ``n`` most probable things of ``table`` (its prior) to ``source_dir/keywords.csv``
    that are not listed yet, not in ``bank_keywords`` (things with a whole row already) and not
    won by a guess of a ``holdout`` thing (the referee's rule, as the bank keeps its hold-out out).
    Writes atomically; returns the keywords added."""
    from planner.matching import GuessIndex

    path = Path(source_dir) / "keywords.csv"
    listed = read_bank_keywords(path) if path.exists() else pd.DataFrame(columns=["keyword", "category", "prior", "origin"])
    have = listed["keyword"].tolist()
    skip = set(have) | set(bank_keywords)
    held = list(holdout)
    index = GuessIndex(held, [[] for _ in held])
    added = []
    for i in np.argsort(-np.asarray(table.prior), kind="stable"):
        if len(added) >= n:
            break
        k = table.names[i]
        if k in skip or index.matches(str(k)):
            continue
        added.append(k)
    out = pd.concat([listed, pd.DataFrame({"keyword": added, "category": "", "prior": "",
                                           "origin": f"path:{table.hash[:12]}"})], ignore_index=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda p: out.to_csv(p, index=False))
    return added


# --- the job ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _agent(table_dir: str, table_hash: str):
    """(table, tree, types) of a table dir, loaded once per worker; the table must be ``table_hash``."""
    from planner.table import load_table
    from planner.tree import load_tree
    from planner.types import table_types

    table = load_table(table_dir)
    if table.hash != table_hash:
        raise BankError(f"{table_dir}: table hash {table.hash[:12]}, the path job was made for {table_hash[:12]}")
    tree_path = Path(table_dir) / "tree.npz"
    tree = load_tree(tree_path, table) if tree_path.exists() else None
    return table, tree, table_types(table_dir, table)


def run_path_shard(task: dict) -> int:
    """Pick and score one block's path cells, write its sparse shard atomically; returns cells."""
    table, tree, types = _agent(task["table_dir"], task["table_hash"])
    picked = pick_path_cells(table, tree, types, task["keywords"], task["games"], task["cells"], task["seed"])
    text = dict(zip(table.questions["id"].astype(str), table.questions["text"]))
    scorer = _scorer(task["spec"])
    logit = np.empty(len(picked))
    for q, idx in picked.groupby("qid", sort=True).indices.items():     # a question-first prompt caches per question
        logit[idx] = score_cells(scorer, picked["keyword"].iloc[idx].tolist(), [text[q]], logit=True)[:, 0]
    spec = json.dumps(task["spec"].identity(), sort_keys=True, default=str)

    def write(p):
        with open(p, "wb") as f:
            np.savez_compressed(f, keywords=picked["keyword"].to_numpy(dtype=str), qids=picked["qid"].to_numpy(dtype=str),
                                logit=np.clip(logit, -60000, 60000).astype(np.float16),
                                count=picked["count"].to_numpy(np.int16), version=BANK_VERSION, spec=spec,
                                picked_by=json.dumps({"table": task["table_hash"], "games": task["games"],
                                                      "cells": task["cells"], "seed": task["seed"]}))

    path = Path(task["path"])
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, write)
    return int(len(picked))


@dataclass
class PathJob(SourceShards):
    """Score the path cells of ``keywords`` (names), picked by the agent of ``table_dir``, into the
    source ``spec.source`` under ``root``; one sparse shard per block of ``block_size`` keywords.
    Follows tables.scoring.run_job's shard protocol (serial, joblib or Dask; resumable)."""

    spec: ScorerSpec
    keywords: list
    table_dir: str
    table_hash: str
    root: Path = ROOT
    block_size: int = 20
    games: int = 8
    cells_per_keyword: int = 40
    seed: int = 0

    def __post_init__(self):
        self._check_blocks()
        if len(set(self.keywords)) != len(self.keywords):
            raise BankError("path job: duplicate keyword in its list")

    @property
    def id(self) -> str:
        """Hash of the scorer, the picking table and the picking parameters."""
        return _hash(self.spec.identity(), self.table_hash, self.games, self.cells_per_keyword, self.seed,
                     PATH_VERSION)[:12]

    def block(self, i: int) -> list:
        return list(self.keywords[i * self.block_size:(i + 1) * self.block_size])

    def shard_path(self, i: int) -> Path:
        return self.source_dir / "shards" / f"{i:05d}-{_hash(self.id, self.block(i))[:12]}.npz"

    def pending(self) -> list[int]:
        """Blocks with no shard yet. A block scored by an earlier picking table (another hash) counts as
        done: its cells are real measurements whatever picked them."""
        done = {p.name.split("-")[0] for p in (self.source_dir / "shards").glob("*.npz")}
        return [i for i in range(self.n_shards) if f"{i:05d}" not in done]

    def cells(self, i: int) -> int:
        """An upper bound (the picking decides): ``cells_per_keyword`` a keyword."""
        return len(self.block(i)) * self.cells_per_keyword

    @property
    def worker(self):
        return run_path_shard

    def task(self, i: int) -> dict:
        return {"spec": self.spec, "table_dir": str(self.table_dir), "table_hash": self.table_hash,
                "keywords": self.block(i), "games": self.games, "cells": self.cells_per_keyword, "seed": self.seed,
                "path": str(self.shard_path(i))}

    def write_manifest(self) -> None:
        """``source.json``, as a bank source's (tables.answer_bank.BankJob.write_manifest)."""
        from tables.answer_bank import BankJob

        BankJob(self.spec, pd.DataFrame({"keyword": [], "category": []}), pd.DataFrame({"id": [], "text": []}),
                root=self.root).write_manifest()

    def finish(self, partial: bool = False) -> Path:
        return self.source_dir


def make_path_job(table_dir, root=None, block_size: int = 20, games: int = 8, cells: int = 40, seed: int = 0,
                  batch_size: int = 64, threads: int = 2, device=None, dtype=None) -> PathJob:
    """The :class:`PathJob` of the ``path`` preset (tables.bank_sources.SOURCES) over its keyword
    list (``<root>/<source>/keywords.csv``; empty until :func:`add_path_keywords`), the cells picked
    by the agent of ``table_dir`` (its table, ``tree.npz`` and ``types.npz``)."""
    from planner.table import load_table
    from tables import bank_sources as bs

    root = bs._root(root)
    spec = bs.make_job(bs.PATH, root=root, batch_size=batch_size, threads=threads, device=device, dtype=dtype).spec
    kw_path = root / spec.source / "keywords.csv"
    keywords = read_bank_keywords(kw_path)["keyword"].tolist() if kw_path.exists() else []
    return PathJob(spec, keywords, str(table_dir), load_table(table_dir).hash, root=root, block_size=block_size,
                   games=games, cells_per_keyword=cells, seed=seed)
