"""The keyword x question table: loading, validation, saving and hashing.

On-disk format (a directory, documented in tables/README.md)::

    keywords.csv   keyword,alts,category,prior     alts joined by "|"; prior > 0 (normalized on load)
    questions.csv  id,text,kind                     id unique; kind e.g. category/spelling/place/llm
    P.npy          float32 (K, Q)                   P[k, q] = P(yes | keyword k, question q)
    meta.json      {"format_version": 1, ...}       free-form provenance beside the version

Every error is a :class:`TableError` naming the file, the row and the offending value.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

FORMAT_VERSION = 1
KEYWORD_COLUMNS = ["keyword", "alts", "category", "prior"]
QUESTION_COLUMNS = ["id", "text", "kind"]
_CHUNK_ROWS = 8192        # rows per block when scanning P


class TableError(ValueError):
    """A table file is malformed; the message names the file, row and value."""


@dataclass
class Table:
    """A validated table.

    keywords: DataFrame with columns keyword (str), alts (list[str]), category (str), prior (float, sums to 1)
    questions: DataFrame with columns id (str), text (str), kind (str)
    P: (K, Q) float32 array of P(yes | keyword, question)
    """

    keywords: pd.DataFrame
    questions: pd.DataFrame
    P: np.ndarray
    meta: dict = field(default_factory=dict)
    _hash: str | None = field(default=None, repr=False)

    def __post_init__(self):
        validate(self, source="<memory>")

    @property
    def K(self) -> int:
        return self.P.shape[0]

    @property
    def Q(self) -> int:
        return self.P.shape[1]

    @property
    def prior(self) -> np.ndarray:
        """(K,) float64 prior, summing to 1."""
        return self.keywords["prior"].to_numpy(dtype=np.float64)

    @property
    def names(self) -> list[str]:
        return self.keywords["keyword"].tolist()

    @property
    def hash(self) -> str:
        """sha256 of the table's content (keywords, priors, questions, P), computed once."""
        if self._hash is None:
            h = hashlib.sha256()
            h.update(self.keywords[KEYWORD_COLUMNS[:3]].to_json(orient="values").encode())
            h.update(np.ascontiguousarray(self.prior).tobytes())
            h.update(self.questions[QUESTION_COLUMNS].to_json(orient="values").encode())
            h.update(str(self.P.shape).encode())
            h.update(memoryview(np.ascontiguousarray(self.P, dtype=np.float32)).cast("B"))   # no copy
            self._hash = h.hexdigest()
        return self._hash

    def question_index(self) -> dict[str, int]:
        """Maps question text (and id) to its column."""
        out = {t: i for i, t in enumerate(self.questions["text"])}
        out.update({q: i for i, q in enumerate(self.questions["id"])})
        return out


# --- validation -------------------------------------------------------------------------

def _first_bad(mask: np.ndarray) -> tuple:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def validate(table: Table, source: str = "<memory>") -> None:
    """Raise TableError on the first problem found; normalizes the prior in place."""
    kw, qs, P = table.keywords, table.questions, table.P
    kfile, qfile, pfile = (f"{source}/keywords.csv", f"{source}/questions.csv", f"{source}/P.npy")
    for name, df, cols in (("keywords.csv", kw, KEYWORD_COLUMNS), ("questions.csv", qs, QUESTION_COLUMNS)):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise TableError(f"{source}/{name}: missing column(s) {missing}; has {list(df.columns)}")
    if P.ndim != 2:
        raise TableError(f"{pfile}: expected a 2-D array, got shape {P.shape}")
    if P.shape != (len(kw), len(qs)):
        raise TableError(
            f"{pfile}: shape {P.shape} does not match {len(kw)} keywords x {len(qs)} questions "
            f"({kfile}, {qfile})"
        )
    for name, df, col, path in (("keyword", kw, "keyword", kfile), ("question id", qs, "id", qfile)):
        vals = df[col]
        empty = vals.isna() | (vals.astype(str).str.strip() == "")
        if empty.any():
            r = int(np.flatnonzero(empty.to_numpy())[0])
            raise TableError(f"{path}: row {r + 2}: empty {name}")
        dup = vals.duplicated()
        if dup.any():
            r = int(np.flatnonzero(dup.to_numpy())[0])
            first = int(np.flatnonzero((vals == vals.iloc[r]).to_numpy())[0])
            raise TableError(f"{path}: row {r + 2}: duplicate {name} {vals.iloc[r]!r} (first at row {first + 2})")
    prior = pd.to_numeric(kw["prior"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(prior) | (prior <= 0)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise TableError(f"{kfile}: row {r + 2} ({kw['keyword'].iloc[r]!r}): prior {kw['prior'].iloc[r]!r} is not a positive number")
    if not np.isclose(prior.sum(), 1.0, rtol=0, atol=1e-9):
        kw["prior"] = prior / prior.sum()
    if not np.issubdtype(P.dtype, np.floating):
        raise TableError(f"{pfile}: dtype {P.dtype} is not floating point")
    for start in range(0, P.shape[0], _CHUNK_ROWS):          # row blocks: no full-size temporaries
        block = P[start:start + _CHUNK_ROWS]
        nan = np.isnan(block)
        if nan.any():
            k, q = _first_bad(nan)
            k += start
            raise TableError(f"{pfile}: row {k} ({kw['keyword'].iloc[k]!r}), column {q} ({qs['id'].iloc[q]!r}): value nan")
        out = (block < 0) | (block > 1)
        if out.any():
            k, q = _first_bad(out)
            k += start
            raise TableError(
                f"{pfile}: row {k} ({kw['keyword'].iloc[k]!r}), column {q} ({qs['id'].iloc[q]!r}): "
                f"value {float(P[k, q])!r} outside [0, 1]"
            )


# --- reading and writing ------------------------------------------------------------------

def _read_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.exists():
        raise TableError(f"{path}: file not found")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise TableError(f"{path}: cannot parse CSV: {e}") from e
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise TableError(f"{path}: missing column(s) {missing}; has {list(df.columns)}")
    return df


def load_table(directory, mmap: bool = False) -> Table:
    """Load and validate a table directory; see the module docstring for the format."""
    d = Path(directory)
    meta = {}
    if (d / "meta.json").exists():
        meta = json.loads((d / "meta.json").read_text())
        v = meta.get("format_version")
        if v != FORMAT_VERSION:
            raise TableError(f"{d / 'meta.json'}: format_version {v!r}, this code reads {FORMAT_VERSION}")
    kw = _read_csv(d / "keywords.csv", KEYWORD_COLUMNS)
    kw["alts"] = [[a for a in s.split("|") if a] for s in kw["alts"]]
    qs = _read_csv(d / "questions.csv", QUESTION_COLUMNS)
    if not (d / "P.npy").exists():
        raise TableError(f"{d / 'P.npy'}: file not found")
    try:
        P = np.load(d / "P.npy", mmap_mode="r" if mmap else None, allow_pickle=False)
    except ValueError as e:
        raise TableError(f"{d / 'P.npy'}: cannot read array: {e}") from e
    if P.dtype != np.float32 and np.issubdtype(P.dtype, np.floating):
        P = P.astype(np.float32)
    t = Table.__new__(Table)
    t.keywords, t.questions, t.P, t.meta, t._hash = kw, qs, P, meta, None
    validate(t, source=str(d))
    t.keywords["prior"] = t.keywords["prior"].astype(np.float64)
    return t


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then rename onto ``path`` so readers never see a partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)                    # mkstemp makes 0600; a written file is for everyone to read
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_table(table: Table, directory) -> Path:
    """Write ``table`` in the directory format, each file atomically."""
    d = Path(directory)
    kw = table.keywords.copy()
    kw["alts"] = ["|".join(a) for a in kw["alts"]]
    atomic_write(d / "keywords.csv", lambda p: kw[KEYWORD_COLUMNS].to_csv(p, index=False))
    atomic_write(d / "questions.csv", lambda p: table.questions[QUESTION_COLUMNS].to_csv(p, index=False))

    def _npy(p):
        with open(p, "wb") as f:
            np.save(f, np.asarray(table.P, dtype=np.float32))

    atomic_write(d / "P.npy", _npy)
    meta = {**table.meta, "format_version": FORMAT_VERSION, "K": table.K, "Q": table.Q, "hash": table.hash}
    atomic_write(d / "meta.json", lambda p: p.write_text(json.dumps(meta, indent=1)))
    return d


def with_P(table: Table, P, meta=None) -> Table:
    """A copy of ``table`` with the cells ``P`` (K, Q): the same keywords (alts, categories, prior)
    and questions (ids, texts, kinds); ``meta`` (default a copy of the table's) replaces its meta."""
    return Table(table.keywords.copy(), table.questions.copy(), np.asarray(P, dtype=np.float32),
                 meta=dict(table.meta if meta is None else meta))


def make_table(names, P, prior=None, questions=None, alts=None, categories=None, kinds=None, meta=None) -> Table:
    """Build a Table from plain arrays. names: (K,) str; P: (K, Q); prior: (K,) or uniform."""
    P = np.asarray(P, dtype=np.float32)
    K, Q = P.shape
    kw = pd.DataFrame({
        "keyword": list(names),
        "alts": [list(a) for a in alts] if alts is not None else [[] for _ in range(K)],
        "category": list(categories) if categories is not None else ["thing"] * K,
        "prior": np.full(K, 1.0 / K) if prior is None else np.asarray(prior, dtype=np.float64),
    })
    texts = list(questions) if questions is not None else [f"Question {j}?" for j in range(Q)]
    qs = pd.DataFrame({
        "id": [f"q{j:05d}" for j in range(Q)],
        "text": texts,
        "kind": list(kinds) if kinds is not None else ["synthetic"] * Q,
    })
    return Table(kw, qs, P, meta=dict(meta or {}))
