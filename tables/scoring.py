"""Scoring jobs: keyword x question cells answered by an LLM, sharded, resumable, parallel.

A job scores ``keywords`` (a sample of the universe's rows) x ``questions`` with one *source*
(a model + prompt, see :class:`ScorerSpec`). Work is split into keyword blocks; each block is a
shard file written atomically (temp file + rename) under ``<out>/<source>/shards/<job id>/``, so
a killed run resumed with the same arguments recomputes nothing finished and loses nothing.
Shards run serially, through joblib (``n_jobs``) or on a Dask cluster (``scheduler``); each
worker process loads its model once.

When every shard is done, the job is assembled into the source's answers directory
``<out>/<source>/``: a planner table (keywords.csv, questions.csv, P.npy, meta.json) over the
*whole* universe given, plus ``mask.npy`` (K, Q) bool marking the cells that were scored
(unscored cells hold 0.5). Later jobs for the same source and universe merge into it.

No torch import here: the model is loaded inside the worker through :mod:`tables.llm`.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from planner.table import TableError, atomic_write, load_table, make_table, save_table

SHARD_VERSION = 1


class ScoringError(ValueError):
    """Bad job input, or a shard directory that belongs to a different job."""


# --- the scorer, rebuilt inside each worker --------------------------------------------------


@dataclass(frozen=True)
class ScorerSpec:
    """Everything a worker needs to build a scorer; hashable and picklable.

    model_dir, prompt, batch_size, num_threads, device, dtype, quantize: passed to ``tables.llm.YesNoScorer``.
    factory: optional "module:callable" returning an object with ``.score(keyword, questions,
    category=None) -> (n,)``; called as ``factory(**dict(options))`` (used by tests with fake scorers).
    options are runtime settings, like num_threads/device/batch_size: not part of a job's identity.
    name: source name; default ``<model dir name>-<prompt>``.
    """

    model_dir: str = ""
    prompt: str = "sys_sub"
    batch_size: int = 32
    num_threads: int | None = 2
    device: str | None = None
    dtype: str | None = None
    quantize: str | None = None
    factory: str | None = None
    options: tuple = ()
    name: str | None = None

    @property
    def source(self) -> str:
        if self.name:
            return self.name
        if self.factory:
            return self.factory.rsplit(":", 1)[-1].lower()
        return f"{Path(self.model_dir).name}{'-' + self.quantize if self.quantize else ''}-{self.prompt}"

    def build(self):
        """The scorer object (loads the model)."""
        if self.factory:
            mod, _, attr = self.factory.partition(":")
            return getattr(importlib.import_module(mod), attr)(**dict(self.options))
        from tables.llm import YesNoScorer

        return YesNoScorer(self.model_dir, prompt=self.prompt, batch_size=self.batch_size,
                           num_threads=self.num_threads, device=self.device, dtype=self.dtype, quantize=self.quantize)

    def identity(self) -> dict:
        """The fields the answers depend on (runtime settings dropped; ``quantize`` only when set,
        so jobs hashed before it existed keep their ids)."""
        spec = asdict(self)
        for k in ("num_threads", "device", "batch_size", "options"):  # do not change answers
            spec.pop(k)
        if spec["quantize"] is None:
            spec.pop("quantize")
        return spec


@lru_cache(maxsize=2)
def _scorer(spec: ScorerSpec):
    """One scorer per spec per process (joblib/Dask workers reuse it across shards)."""
    return spec.build()


# --- inputs -----------------------------------------------------------------------------------


def read_keywords(path) -> pd.DataFrame:
    """Keywords from a planner table dir (its keywords.csv) or a CSV/text file.

    Returns a DataFrame with columns keyword (str), category (str, may be ""), prior (float).
    A CSV needs a ``keyword`` column (``category``/``prior`` optional); a .txt has one keyword a line.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "keywords.csv"
    if not p.exists():
        raise ScoringError(f"{p}: file not found")
    if p.suffix == ".txt":
        names = [ln.strip() for ln in p.read_text().splitlines() if ln.strip()]
        df = pd.DataFrame({"keyword": names})
    else:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
        if "keyword" not in df.columns:
            raise ScoringError(f"{p}: needs a 'keyword' column; has {list(df.columns)}")
    df["category"] = df["category"] if "category" in df.columns else ""
    df["alts"] = df["alts"] if "alts" in df.columns else ""
    df["prior"] = pd.to_numeric(df["prior"], errors="coerce") if "prior" in df.columns else 1.0
    bad = df["keyword"].str.strip() == ""
    if bad.any():
        raise ScoringError(f"{p}: row {int(np.flatnonzero(bad)[0]) + 2}: empty keyword")
    dup = df["keyword"].duplicated()
    if dup.any():
        raise ScoringError(f"{p}: row {int(np.flatnonzero(dup)[0]) + 2}: duplicate keyword {df['keyword'][dup].iloc[0]!r}")
    return df[["keyword", "alts", "category", "prior"]].reset_index(drop=True)


def read_questions(path) -> pd.DataFrame:
    """Questions from a planner table dir (questions.csv) or a CSV (``text``, optional ``id``/``kind``)
    or a .txt (one question a line). Returns columns id, text, kind; ids default to q00000...
    """
    p = Path(path)
    if p.is_dir():
        p = p / "questions.csv"
    if not p.exists():
        raise ScoringError(f"{p}: file not found")
    if p.suffix == ".txt":
        df = pd.DataFrame({"text": [ln.strip() for ln in p.read_text().splitlines() if ln.strip()]})
    else:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
        if "text" not in df.columns:
            raise ScoringError(f"{p}: needs a 'text' column; has {list(df.columns)}")
    if "id" not in df.columns:
        df["id"] = [f"q{j:05d}" for j in range(len(df))]
    if "kind" not in df.columns:
        df["kind"] = "llm"
    dup = df["id"].duplicated()
    if dup.any():
        raise ScoringError(f"{p}: row {int(np.flatnonzero(dup)[0]) + 2}: duplicate question id {df['id'][dup].iloc[0]!r}")
    return df[["id", "text", "kind"]].reset_index(drop=True)


def sample_rows(n_total: int, n: int | None, seed: int = 0, weights=None) -> np.ndarray:
    """Sorted row indices: all rows if ``n`` is None or >= n_total, else ``n`` drawn without replacement
    (proportional to ``weights`` when given). Deterministic for a seed."""
    if n is None or n >= n_total:
        return np.arange(n_total)
    rng = np.random.default_rng(seed)
    p = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        p = w / w.sum()
    return np.sort(rng.choice(n_total, size=n, replace=False, p=p))


# --- the job ----------------------------------------------------------------------------------


@dataclass
class Job:
    """One scoring job. ``rows``: (n,) indices into ``keywords`` to score; all questions are scored.

    keywords: DataFrame (K rows: keyword, alts, category, prior) -- the universe, kept whole for assembly
    questions: DataFrame (Q rows: id, text, kind)
    """

    spec: ScorerSpec
    keywords: pd.DataFrame
    questions: pd.DataFrame
    rows: np.ndarray
    out: Path
    block_size: int = 8
    use_category: bool = False
    _id: str | None = field(default=None, repr=False)

    def __post_init__(self):
        self.out = Path(self.out)
        self.rows = np.asarray(self.rows, dtype=np.int64)
        if self.block_size < 1:
            raise ScoringError(f"block_size must be >= 1, got {self.block_size}")
        if len(self.rows) and (self.rows.min() < 0 or self.rows.max() >= len(self.keywords)):
            raise ScoringError(f"row index out of range 0..{len(self.keywords) - 1}")

    @property
    def id(self) -> str:
        """Hash of what the shards' content depends on (source, keywords scored, questions, blocks)."""
        if self._id is None:
            h = hashlib.sha256()
            h.update(json.dumps(self.spec.identity(), sort_keys=True, default=str).encode())
            h.update(json.dumps(self.keywords["keyword"].iloc[self.rows].tolist()).encode())
            if self.use_category:
                h.update(json.dumps(self.keywords["category"].iloc[self.rows].tolist()).encode())
            h.update(json.dumps(self.questions[["id", "text"]].values.tolist()).encode())
            h.update(str(self.block_size).encode())
            self._id = h.hexdigest()[:16]
        return self._id

    @property
    def source_dir(self) -> Path:
        return self.out / self.spec.source

    @property
    def shard_dir(self) -> Path:
        return self.source_dir / "shards" / self.id

    @property
    def n_shards(self) -> int:
        return -(-len(self.rows) // self.block_size)

    def shard_rows(self, i: int) -> np.ndarray:
        return self.rows[i * self.block_size:(i + 1) * self.block_size]

    def shard_path(self, i: int) -> Path:
        return self.shard_dir / f"shard_{i:06d}.npz"

    def pending(self) -> list[int]:
        """Shards without a finished file."""
        return [i for i in range(self.n_shards) if not self.shard_path(i).exists()]

    @property
    def source(self) -> str:
        return self.spec.source

    @property
    def worker(self):
        """The function a worker runs on ``task(i)`` (module level, so picklable)."""
        return run_shard

    def cells(self, i: int) -> int:
        return len(self.shard_rows(i)) * len(self.questions)

    def write_manifest(self) -> None:
        write_manifest(self)

    def finish(self, partial: bool = False) -> Path:
        return assemble(self, partial=partial)

    def task(self, i: int) -> dict:
        """A small picklable description of shard ``i`` for a worker."""
        r = self.shard_rows(i)
        return {
            "spec": self.spec,
            "keywords": self.keywords["keyword"].iloc[r].tolist(),
            "categories": self.keywords["category"].iloc[r].tolist() if self.use_category else [None] * len(r),
            "questions": self.questions["text"].tolist(),
            "path": str(self.shard_path(i)),
        }


def score_cells(scorer, keywords, questions, categories=None, logit: bool = False) -> np.ndarray:
    """(b, Q) P(yes) (``logit``: yes-vs-no margin) of keywords x questions with any scorer.

    Uses ``scorer.score_block`` when it has one (``tables.llm.YesNoScorer``: the prompt layout's
    cache order), else ``scorer.score(keyword, questions[, category])`` a keyword at a time
    (a P-only scorer's margin is the logit of its P, clipped to 1e-7).
    """
    cats = list(categories) if categories is not None else [None] * len(keywords)
    if hasattr(scorer, "score_block"):
        return np.asarray(scorer.score_block(keywords, questions, cats, logit=logit), dtype=np.float64)
    P = np.empty((len(keywords), len(questions)), dtype=np.float64)
    for i, (kw, cat) in enumerate(zip(keywords, cats)):
        P[i] = scorer.score(kw, questions, cat) if cat else scorer.score(kw, questions)
    if logit:
        P = np.clip(P, 1e-7, 1 - 1e-7)
        return np.log(P) - np.log1p(-P)
    return P


def run_shard(task: dict) -> int:
    """Score one shard and write it atomically; returns the number of cells scored.

    The file holds P (b, Q) float32 and the keywords it covers (checked on assembly).
    """
    scorer = _scorer(task["spec"])
    cats = [c or None for c in task["categories"]]
    P = score_cells(scorer, task["keywords"], task["questions"], cats).astype(np.float32)

    def write(p):
        with open(p, "wb") as f:
            np.savez(f, P=P, keywords=np.array(task["keywords"], dtype=str), version=SHARD_VERSION)

    atomic_write(Path(task["path"]), write)
    return P.size


def write_manifest(job: Job) -> None:
    """``job.json`` in the shard dir (what the shards are); an existing one must be this job's."""
    man = job.shard_dir / "job.json"
    info = {"job": job.id, "spec": asdict(job.spec), "n_keywords": int(len(job.rows)),
            "n_questions": int(len(job.questions)), "block_size": job.block_size, "n_shards": job.n_shards,
            "use_category": job.use_category}
    if man.exists():
        old = json.loads(man.read_text())
        if old.get("job") != job.id:
            raise ScoringError(f"{man}: belongs to job {old.get('job')!r}, not {job.id!r}")
        return
    atomic_write(man, lambda p: p.write_text(json.dumps(info, indent=1, default=str)))


def _iter_results(job, todo: list[int], n_jobs: int, scheduler: str | None):
    """Yield (task, cells) per finished shard, in completion order, from the chosen backend.

    ``job.worker(task) -> cells`` runs in the workers (a module-level function: picklable)."""
    tasks = [job.task(i) for i in todo]
    worker = job.worker
    if scheduler:
        from dask.distributed import Client, LocalCluster, as_completed

        cluster = None
        if scheduler in ("local", "local-threads"):
            cluster = LocalCluster(n_workers=max(1, n_jobs), threads_per_worker=1,
                                   processes=scheduler == "local", dashboard_address=None)
            client = Client(cluster)
        else:
            client = Client(scheduler)
        try:
            futures = client.map(worker, tasks, pure=False)
            where = {f.key: t for f, t in zip(futures, tasks)}
            for fut in as_completed(futures):
                yield where[fut.key], fut.result()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    elif n_jobs != 1:
        from joblib import Parallel, delayed

        par = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        yield from par(delayed(_with_task)(worker, t) for t in tasks)
    else:
        for t in tasks:
            yield t, worker(t)


def _with_task(worker, task):
    return task, worker(task)


def run_job(job, n_jobs: int = 1, scheduler: str | None = None, progress: bool = True,
            max_shards: int | None = None, assemble_partial: bool = False, on_shard=None) -> dict:
    """Run the pending shards of ``job`` (then assemble when all are done); returns a summary dict.

    job: a :class:`Job`, or any object with the same shard protocol (``write_manifest()``,
        ``pending()``, ``n_shards``, ``cells(i)``, ``task(i)``, ``worker``, ``finish(partial)``,
        ``id``, ``source``), e.g. ``tables.answer_bank.BankJob``.
    on_shard: called as ``on_shard(path)`` in this process after each shard file lands.
    n_jobs: joblib workers (1 = in this process); with ``scheduler``, LocalCluster workers.
    scheduler: a Dask scheduler address, "local" (LocalCluster of processes) or "local-threads".
    max_shards: stop after this many shards (for chunked runs); a later call continues.
    assemble_partial: when shards remain, still assemble the finished ones (``max_shards=0`` with
        this flag assembles what a killed run left, computing nothing).
    """
    job.write_manifest()
    todo = job.pending()
    skipped = job.n_shards - len(todo)
    if max_shards is not None:
        todo = todo[:max_shards]
    n_cells = sum(job.cells(i) for i in todo)
    t0 = time.perf_counter()
    done = 0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_cells, unit="cell", desc=job.source, smoothing=0.1)
    try:
        for task, cells in _iter_results(job, todo, n_jobs, scheduler):
            done += cells
            if bar is not None:
                bar.update(cells)
            if on_shard is not None:
                on_shard(Path(task["path"]))
    finally:
        if bar is not None:
            bar.close()
    secs = time.perf_counter() - t0
    summary = {"source": job.source, "job": job.id, "shards": job.n_shards, "skipped": skipped,
               "computed": len(todo), "cells": done, "seconds": round(secs, 3),
               "cells_per_s": round(done / secs, 2) if secs > 0 else None, "assembled": None}
    if not job.pending():
        summary["assembled"] = str(job.finish(partial=False))
    elif assemble_partial and job.n_shards > len(job.pending()):
        summary["assembled"] = str(job.finish(partial=True))
        summary["partial"] = True
    return summary


# --- assembly -----------------------------------------------------------------------------------


def load_answers(directory, mmap: bool = False):
    """A source's answers dir -> (Table, mask (K, Q) bool); ``mmap`` memory-maps P (large universes)."""
    d = Path(directory)
    t = load_table(d, mmap=mmap)
    mpath = d / "mask.npy"
    if not mpath.exists():
        raise TableError(f"{mpath}: file not found")
    mask = np.load(mpath, allow_pickle=False)
    if mask.shape != t.P.shape:
        raise TableError(f"{mpath}: shape {mask.shape} does not match P {t.P.shape}")
    return t, mask.astype(bool)


def assemble(job: Job, partial: bool = False) -> Path:
    """Collect the job's shards into ``<out>/<source>/`` (merging with earlier jobs on the same universe).

    partial: assemble the finished shards of an unfinished job (their cells are marked in the mask,
    the others stay unscored); a later full assembly merges into the same directory."""
    K, Q = len(job.keywords), len(job.questions)
    P = np.full((K, Q), 0.5, dtype=np.float32)
    mask = np.zeros((K, Q), dtype=bool)
    d = job.source_dir
    if (d / "mask.npy").exists():
        old, old_mask = load_answers(d)
        if old.names == job.keywords["keyword"].tolist() and old.questions["id"].tolist() == job.questions["id"].tolist():
            P[:], mask[:] = old.P, old_mask
        else:
            raise ScoringError(f"{d}: holds answers over a different universe ({old.K} x {old.Q}); use another --out")
    for i in range(job.n_shards):
        r = job.shard_rows(i)
        if partial and not job.shard_path(i).exists():
            continue
        with np.load(job.shard_path(i), allow_pickle=False) as z:
            names = z["keywords"].tolist()
            if names != job.keywords["keyword"].iloc[r].tolist() or z["P"].shape != (len(r), Q):
                raise ScoringError(f"{job.shard_path(i)}: does not match the job's keywords/questions")
            P[r] = z["P"]
        mask[r] = True
    kw = job.keywords.copy()
    kw["alts"] = [[a for a in str(s).split("|") if a] for s in kw["alts"]]
    prior = pd.to_numeric(kw["prior"], errors="coerce").fillna(1.0).to_numpy()
    prior = np.where(prior > 0, prior, 1.0)
    t = make_table(kw["keyword"].tolist(), P, prior=prior, alts=kw["alts"].tolist(),
                   categories=[c or "thing" for c in kw["category"]], questions=job.questions["text"].tolist(),
                   kinds=job.questions["kind"].tolist(),
                   meta={"source": job.spec.source, "spec": asdict(job.spec), "scored_cells": int(mask.sum()),
                         "jobs": sorted({*(_old_jobs(d)), job.id}),
                         **({"partial": {"job": job.id, "shards_done": job.n_shards - len(job.pending()),
                                         "shards": job.n_shards}} if partial and job.pending() else {})})
    t.questions["id"] = job.questions["id"].tolist()
    save_table(t, d)

    def write_mask(p):
        with open(p, "wb") as f:
            np.save(f, mask)

    atomic_write(d / "mask.npy", write_mask)
    return d


def _old_jobs(d: Path) -> list[str]:
    m = d / "meta.json"
    return json.loads(m.read_text()).get("jobs", []) if m.exists() else []
