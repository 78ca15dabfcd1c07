"""The answer bank: real LLM answers to the question bank, committed to the repo as compact shards.

Layout (``tables/answers/``)::

    keywords.csv                 the bank's keywords in scoring order (keyword, category, prior, origin)
    <source>/source.json         what the source is: spec (model, prompt, quantize, ...), format version
    <source>/shards/NNNNN-<h>.npz one keyword block x one question set, written atomically

A shard holds ``keywords`` (b,) str, ``qids`` (Q,) str, ``logit`` (b, Q) float16 (the answerer's
yes-vs-no logit margin: P(yes) = sigmoid(logit), uncalibrated), ``version`` and ``spec`` (JSON).
A *sparse* shard (tables/path_cells.py) holds cells instead of a block: ``keywords``, ``qids`` and
``logit`` all (n,), one cell per entry. Its file name is the block's index in keywords.csv and a hash of the source's identity, the block's
keywords and the question ids + texts, so extending the keyword list (new blocks) or the questions
(a job over the new questions only) never invalidates a finished shard; a killed run loses only
the shard in flight. :func:`load_bank` assembles a source from whatever shards exist.

A bank job (:class:`BankJob`) follows :func:`tables.scoring.run_job`'s shard protocol, so it runs
serially, through joblib or on a Dask cluster, and shows tqdm progress.

No torch import here (the scorer is built inside the worker by :mod:`tables.scoring`).
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.table import atomic_write
from tables.scoring import ScorerSpec, ScoringError, _scorer, score_cells

BANK_VERSION = 1
ROOT = Path(__file__).resolve().parent / "answers"


class BankError(ValueError):
    """A bank file that cannot be read or does not match its source."""


# --- keywords ----------------------------------------------------------------------------------


def read_bank_keywords(path) -> pd.DataFrame:
    """The bank's keyword list (``keyword`` column required; ``category``, ``prior``, ``origin``
    optional), validated: no empty or duplicate keyword. Errors name the file and row."""
    p = Path(path)
    if not p.exists():
        raise BankError(f"{p}: file not found")
    df = pd.read_csv(p, dtype=str, keep_default_na=False, skip_blank_lines=False)
    if "keyword" not in df.columns:
        raise BankError(f"{p}: needs a 'keyword' column; has {list(df.columns)}")
    for c, default in (("category", ""), ("prior", ""), ("origin", "")):
        if c not in df.columns:
            df[c] = default
    seen = {}
    for i, k in enumerate(df["keyword"], start=2):
        if not k.strip():
            raise BankError(f"{p}: row {i}: empty keyword")
        if k in seen:
            raise BankError(f"{p}: row {i}: duplicate keyword {k!r} (first at row {seen[k]})")
        seen[k] = i
    return df[["keyword", "category", "prior", "origin"]].reset_index(drop=True)


def sample_bank_keywords(universe: pd.DataFrame, public, holdout, n_prior: int, n_public: int,
                         seed: int = 0) -> pd.DataFrame:
    """The bank's keyword list: ``n_public`` public things not in ``holdout`` (uniformly) plus
    things of ``universe`` drawn by prior (without replacement, holdout excluded) until the list has
    ``n_prior + n_public`` keywords, shuffled so that every prefix of the list is a mixed sample.

    universe: DataFrame with keyword, category, prior (the things only); public, holdout: lists of
    keywords (matched by :func:`planner.matching.normalize`). Returns keyword, category, prior, origin.
    """
    from planner.matching import normalize

    rng = np.random.default_rng(seed)
    held = {normalize(k) for k in holdout}
    norm = universe["keyword"].map(normalize)
    by_norm = dict(zip(norm, range(len(universe))))
    pub = [k for k in public if normalize(k) not in held and normalize(k) in by_norm]
    if len(pub) < n_public:
        raise BankError(f"only {len(pub)} public keywords outside the hold-out are in the universe; asked {n_public}")
    pub_rows = [by_norm[normalize(k)] for k in rng.choice(pub, size=n_public, replace=False)]
    prior = pd.to_numeric(universe["prior"], errors="coerce").fillna(0.0).to_numpy(np.float64)
    ok = ~norm.isin(held).to_numpy()
    ok[pub_rows] = False
    w = np.where(ok, prior, 0.0)
    if (w > 0).sum() < n_prior:
        raise BankError(f"only {(w > 0).sum()} universe keywords have a positive prior; asked {n_prior}")
    prior_rows = rng.choice(len(universe), size=n_prior, replace=False, p=w / w.sum())
    rows = np.concatenate([pub_rows, prior_rows])
    origin = ["public"] * n_public + ["prior"] * n_prior
    out = universe.iloc[rows][["keyword", "category", "prior"]].assign(origin=origin)
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True)


# --- shards ------------------------------------------------------------------------------------


def _hash(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()


class SourceShards:
    """What the jobs that write one bank source's shards share (:class:`BankJob`,
    tables.path_cells.PathJob): the source's name and dir under ``root``, the number of
    ``block_size`` blocks of ``keywords``, and the check of those two fields."""

    def _check_blocks(self):
        self.root = Path(self.root)
        if self.block_size < 1:
            raise ScoringError(f"block_size must be >= 1, got {self.block_size}")

    @property
    def source(self) -> str:
        return self.spec.source

    @property
    def source_dir(self) -> Path:
        return self.root / self.source

    @property
    def n_shards(self) -> int:
        return -(-len(self.keywords) // self.block_size)


@dataclass
class BankJob(SourceShards):
    """Score ``keywords`` x ``questions`` into the bank's source dir, one shard per keyword block.

    spec: the scorer (model, prompt, quantize); keywords: DataFrame (keyword, category);
    questions: DataFrame (id, text); root: the bank root (``tables/answers``).
    """

    spec: ScorerSpec
    keywords: pd.DataFrame
    questions: pd.DataFrame
    root: Path = ROOT
    block_size: int = 16
    use_category: bool = False

    def __post_init__(self):
        self._check_blocks()
        if self.questions["id"].duplicated().any():
            raise ScoringError(f"duplicate question id {self.questions['id'][self.questions['id'].duplicated()].iloc[0]!r}")

    @property
    def id(self) -> str:
        """Hash of the source's identity and the question set (keyword blocks hash on their own)."""
        return _hash(self.spec.identity(), self.questions[["id", "text"]].values.tolist(), self.use_category)[:12]

    def block(self, i: int) -> pd.DataFrame:
        return self.keywords.iloc[i * self.block_size:(i + 1) * self.block_size]

    def shard_path(self, i: int) -> Path:
        b = self.block(i)
        key = _hash(self.id, b["keyword"].tolist(), b["category"].tolist() if self.use_category else None)[:12]
        return self.source_dir / "shards" / f"{i:05d}-{key}.npz"

    def pending(self) -> list[int]:
        return [i for i in range(self.n_shards) if not self.shard_path(i).exists()]

    def cells(self, i: int) -> int:
        return len(self.block(i)) * len(self.questions)

    @property
    def worker(self):
        return run_bank_shard

    def task(self, i: int) -> dict:
        b = self.block(i)
        return {"spec": self.spec, "keywords": b["keyword"].tolist(),
                "categories": b["category"].tolist() if self.use_category else [None] * len(b),
                "qids": self.questions["id"].tolist(), "questions": self.questions["text"].tolist(),
                "path": str(self.shard_path(i))}

    def write_manifest(self) -> None:
        """``source.json``: the source's identity; an existing one must describe the same source."""
        path = self.source_dir / "source.json"
        info = {"version": BANK_VERSION, "source": self.source, "spec": self.spec.identity(),
                "use_category": self.use_category}
        if path.exists():
            old = json.loads(path.read_text())
            if {k: old.get(k) for k in ("source", "spec", "use_category")} != \
                    {k: info[k] for k in ("source", "spec", "use_category")}:
                raise BankError(f"{path}: describes {old.get('spec')}, not {info['spec']}; use another source name")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda p: p.write_text(json.dumps(info, indent=1, default=str) + "\n"))

    def finish(self, partial: bool = False) -> Path:
        """Nothing to assemble: the shards are the bank (:func:`load_bank` reads them)."""
        return self.source_dir


def run_bank_shard(task: dict) -> int:
    """Score one keyword block (logit margins) and write its shard atomically; returns cells."""
    scorer = _scorer(task["spec"])
    cats = [c or None for c in task["categories"]]
    logit = score_cells(scorer, task["keywords"], task["questions"], cats, logit=True)
    spec = json.dumps(task["spec"].identity(), sort_keys=True, default=str)

    def write(p):
        with open(p, "wb") as f:
            np.savez_compressed(f, keywords=np.array(task["keywords"], dtype=str),
                                qids=np.array(task["qids"], dtype=str),
                                logit=np.clip(logit, -60000, 60000).astype(np.float16),
                                version=BANK_VERSION, spec=spec)

    path = Path(task["path"])
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, write)
    return int(logit.size)


# --- reading -----------------------------------------------------------------------------------


@dataclass
class Bank:
    """One source's answers: ``logit`` (K, Q) float32 with NaN where unscored.

    keywords: (K,) list in first-shard order; qids: (Q,) list; spec: the source's identity.
    """

    source: str
    keywords: list
    qids: list
    logit: np.ndarray
    spec: dict

    @property
    def mask(self) -> np.ndarray:
        """(K, Q) bool: scored cells."""
        return ~np.isnan(self.logit)

    @property
    def P(self) -> np.ndarray:
        """(K, Q) raw P(yes) = sigmoid(logit) (NaN where unscored): NOT calibrated."""
        return 1.0 / (1.0 + np.exp(-np.clip(self.logit.astype(np.float64), -700, 700)))

    @property
    def cells(self) -> int:
        return int(self.mask.sum())

    def select(self, qids) -> "Bank":
        """This source on the questions ``qids`` only (in that order; unscored ones are NaN columns)."""
        col = {q: j for j, q in enumerate(self.qids)}
        L = np.full((len(self.keywords), len(qids)), np.nan, dtype=np.float32)
        have = [i for i, q in enumerate(qids) if q in col]
        L[:, have] = self.logit[:, [col[qids[i]] for i in have]]
        keep = ~np.isnan(L).all(axis=1)
        return Bank(self.source, [k for k, m in zip(self.keywords, keep) if m], list(qids), L[keep], self.spec)

    def head(self, n: int) -> "Bank":
        """This source on its first ``n`` keywords (the order they were scored in: shard order), as
        the bank stood when it held ``n``; ValueError when it holds fewer."""
        if not 0 < n <= len(self.keywords):
            raise ValueError(f"{self.source}: asked for the first {n} keywords, the bank holds {len(self.keywords)}")
        return Bank(self.source, self.keywords[:n], list(self.qids), self.logit[:n], self.spec)

    def grid(self, keywords, qids) -> np.ndarray:
        """(N, Q) float64 logits on the grid ``keywords`` x ``qids`` (any order, any names); NaN
        where this source has no cell."""
        out = np.full((len(keywords), len(qids)), np.nan)
        krow = {k: i for i, k in enumerate(self.keywords)}
        qcol = {q: j for j, q in enumerate(self.qids)}
        r = [(i, krow[k]) for i, k in enumerate(keywords) if k in krow]
        c = [(j, qcol[q]) for j, q in enumerate(qids) if q in qcol]
        if r and c:
            r_to, r_from = map(np.array, zip(*r))
            c_to, c_from = map(np.array, zip(*c))
            out[np.ix_(r_to, c_to)] = self.logit[np.ix_(r_from, c_from)]
        return out

    def frame(self) -> pd.DataFrame:
        """Long form: keyword, qid, logit for every scored cell."""
        k, q = np.nonzero(self.mask)
        return pd.DataFrame({"keyword": np.asarray(self.keywords, dtype=object)[k],
                             "qid": np.asarray(self.qids, dtype=object)[q], "logit": self.logit[k, q]})


def read_shard(path) -> dict:
    """One shard's arrays, checked: shapes agree (a block, or a sparse shard's cells), version known,
    no NaN. Errors name the file."""
    p = Path(path)
    try:
        with np.load(p, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise BankError(f"{p}: unreadable shard ({e})") from e
    missing = [k for k in ("keywords", "qids", "logit", "version") if k not in d]
    if missing:
        raise BankError(f"{p}: missing array(s) {missing}")
    if int(d["version"]) != BANK_VERSION:
        raise BankError(f"{p}: format version {int(d['version'])}, expected {BANK_VERSION}")
    b, q = len(d["keywords"]), len(d["qids"])
    if d["logit"].ndim == 1:                        # sparse: one (keyword, qid, logit) cell per entry
        if not b == q == len(d["logit"]):
            raise BankError(f"{p}: sparse shard with {b} keywords, {q} qids and {len(d['logit'])} logits "
                            "(one of each per cell)")
        bad = np.flatnonzero(~np.isfinite(d["logit"].astype(np.float32)))
        if len(bad):
            i = int(bad[0])
            raise BankError(f"{p}: logit[{i}] ({str(d['keywords'][i])!r}, {str(d['qids'][i])!r}) is {d['logit'][i]}")
        return d
    if d["logit"].shape != (b, q):
        raise BankError(f"{p}: logit shape {d['logit'].shape} does not match {b} keywords x {q} questions")
    bad = ~np.isfinite(d["logit"].astype(np.float32))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise BankError(f"{p}: logit[{r}, {c}] ({str(d['keywords'][r])!r}, {str(d['qids'][c])!r}) is {d['logit'][r, c]}")
    return d


def load_bank(source_dir, qids=None) -> Bank:
    """Assemble a source from its shards (any number of keyword blocks and question sets).

    qids: optional question order (others appended in first-seen order). A cell scored twice
    keeps its first shard's value (sorted file names). Raises BankError for an unknown dir or a
    bad shard.
    """
    d = Path(source_dir)
    man = d / "source.json"
    if not man.exists():
        raise BankError(f"{man}: file not found (not a bank source dir)")
    info = json.loads(man.read_text())
    if info.get("version") != BANK_VERSION:
        raise BankError(f"{man}: format version {info.get('version')}, expected {BANK_VERSION}")
    shards = [read_shard(p) for p in sorted((d / "shards").glob("*.npz"))]
    kw_index, q_index = {}, {}
    for q in (qids or []):
        q_index.setdefault(q, len(q_index))
    for s in shards:
        for k in s["keywords"].tolist():
            kw_index.setdefault(k, len(kw_index))
        for q in s["qids"].tolist():
            q_index.setdefault(q, len(q_index))
    L = np.full((len(kw_index), len(q_index)), np.nan, dtype=np.float32)
    for s in shards:
        r = np.array([kw_index[k] for k in s["keywords"].tolist()], dtype=np.int64)
        c = np.array([q_index[q] for q in s["qids"].tolist()], dtype=np.int64)
        if s["logit"].ndim == 1:                    # sparse shard: cells, not a block
            have = L[r, c]
            L[r, c] = np.where(np.isnan(have), s["logit"].astype(np.float32), have)
            continue
        block = L[np.ix_(r, c)]
        L[np.ix_(r, c)] = np.where(np.isnan(block), s["logit"].astype(np.float32), block)
    return Bank(source=info["source"], keywords=list(kw_index), qids=list(q_index), logit=L, spec=info["spec"])


def list_sources(root=ROOT) -> list[str]:
    """Source names under the bank root (dirs with a source.json), sorted."""
    return sorted(p.parent.name for p in Path(root).glob("*/source.json"))
