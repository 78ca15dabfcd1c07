"""Answerer types: the planner's hypotheses are (keyword, answerer type).

Answerers differ: an LLM answers letter and alphabetical questions at chance, a code answerer
answers them exactly, two prompts of one model disagree on a fifth of everything else. Each type
t has its own answer model P_t(yes | keyword, question); the belief is joint over (t, k), the
guess is the most probable keyword summed over types, and a question is scored by what it tells
about the *keyword* under the answer model mixed by the current type posterior
(:func:`planner.gain.keyword_information_gain`).

A type is the table's own P with some columns replaced: ``cols`` (n,) question columns and
``values`` (K, n) their P(yes) for this type. The table itself is the type with no replaced
column. Stored beside a table as ``types.npz`` (:func:`save_types` / :func:`load_types`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from planner.table import atomic_write

TYPES_VERSION = 1


class TypesError(ValueError):
    """Answerer types that do not fit their table."""


@dataclass
class AnswererType:
    """One answerer type: a name, its prior weight, and the columns where it differs from the table."""

    name: str
    weight: float
    cols: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    values: np.ndarray | None = None           # (K, len(cols)) float32 P(yes)
    maps: dict | None = None                   # {"bank": (a, b), "completion": (a, b)[, "question": (d_q,)]}: how this type's
    #                                            values came from the table's cells (Platt maps), so a
    #                                            cell measured or predicted later is mapped the same way


@dataclass
class AnswererTypes:
    """The types of one table. ``prior`` (T,) is their normalized weights."""

    types: list

    def __post_init__(self):
        if not self.types:
            raise TypesError("need at least one answerer type")
        names = [t.name for t in self.types]
        if len(set(names)) != len(names):
            raise TypesError(f"duplicate answerer type names {names}")
        w = np.array([t.weight for t in self.types], dtype=np.float64)
        if not (np.isfinite(w).all() and (w > 0).all()):
            raise TypesError(f"type weights must be positive; got {dict(zip(names, w))}")

    @property
    def T(self) -> int:
        return len(self.types)

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.types]

    @property
    def prior(self) -> np.ndarray:
        w = np.array([t.weight for t in self.types], dtype=np.float64)
        return w / w.sum()

    def check(self, table) -> None:
        """Raise TypesError unless every type fits ``table``'s shape with probabilities in [0, 1]."""
        for t in self.types:
            cols = np.asarray(t.cols)
            if len(cols) and (cols.min() < 0 or cols.max() >= table.Q or len(set(cols.tolist())) != len(cols)):
                raise TypesError(f"type {t.name!r}: columns must be distinct in 0..{table.Q - 1}")
            if len(cols):
                v = np.asarray(t.values)
                if v.shape != (table.K, len(cols)):
                    raise TypesError(f"type {t.name!r}: values shape {v.shape}, expected {(table.K, len(cols))}")
                if not (np.isfinite(v).all() and (v >= 0).all() and (v <= 1).all()):
                    raise TypesError(f"type {t.name!r}: values must be probabilities in [0, 1]")

    def matrix(self, table, t: int) -> np.ndarray:
        """(K, Q) float32 P(yes | k, q, type t)."""
        P = np.array(table.P, dtype=np.float32, copy=True)
        ty = self.types[t]
        if len(ty.cols):
            P[:, np.asarray(ty.cols)] = np.asarray(ty.values, dtype=np.float32)
        return P

    def stacked(self, table) -> np.ndarray:
        """(T * K, Q) float32: the type matrices stacked, row t * K + k = (type t, keyword k)."""
        return np.concatenate([self.matrix(table, t) for t in range(self.T)], axis=0)

    @property
    def hash(self) -> str:
        h = hashlib.sha256()
        for t in self.types:
            h.update(json.dumps([t.name, float(t.weight)]).encode())
            h.update(np.asarray(t.cols, dtype=np.int64).tobytes())
            if len(t.cols):
                h.update(np.ascontiguousarray(t.values, dtype=np.float32).tobytes())
            if t.maps:
                h.update(json.dumps(_maps_json(t.maps), sort_keys=True).encode())
        return h.hexdigest()

    def with_weights(self, weights: dict) -> "AnswererTypes":
        """A copy with some types' weights replaced (``{"exact": 0.3}``); unknown names are an error."""
        bad = set(weights) - set(self.names)
        if bad:
            raise TypesError(f"unknown answerer type(s) {sorted(bad)}; have {self.names}")
        return AnswererTypes([AnswererType(t.name, float(weights.get(t.name, t.weight)), t.cols, t.values, t.maps)
                              for t in self.types])

    def subset(self, names) -> "AnswererTypes":
        missing = [n for n in names if n not in self.names]
        if missing:
            raise TypesError(f"unknown answerer type(s) {missing}; have {self.names}")
        return AnswererTypes([t for t in self.types if t.name in names])


def _maps_json(maps):
    return {k: [float(x) for x in v] for k, v in maps.items()} if maps else None


def single_type(name: str = "table") -> AnswererTypes:
    """The table as the only answerer type (the planner's behaviour without types)."""
    return AnswererTypes([AnswererType(name, 1.0)])


def save_types(types: AnswererTypes, path) -> Path:
    """``types.npz``: names, weights, and per type its columns and values (float16)."""
    path = Path(path)
    arrays = {"meta": np.array(json.dumps({"version": TYPES_VERSION, "names": types.names,
                                           "weights": [float(t.weight) for t in types.types],
                                           "maps": [_maps_json(t.maps) for t in types.types]}))}
    for i, t in enumerate(types.types):
        arrays[f"cols_{i}"] = np.asarray(t.cols, dtype=np.int64)
        arrays[f"values_{i}"] = (np.asarray(t.values, dtype=np.float16) if len(t.cols)
                                 else np.zeros((0, 0), dtype=np.float16))

    def write(p):
        with open(p, "wb") as f:
            np.savez_compressed(f, **arrays)

    atomic_write(path, write)
    return path


def load_types(path, table=None) -> AnswererTypes:
    """Read ``types.npz``; with ``table``, check that the types fit it. Errors name the file."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("version") != TYPES_VERSION:
                raise TypesError(f"{path}: types version {meta.get('version')!r}, this code reads {TYPES_VERSION}")
            maps = meta.get("maps") or [None] * len(meta["names"])     # optional: files before maps had none
            types = [AnswererType(n, w, z[f"cols_{i}"], z[f"values_{i}"].astype(np.float32) if len(z[f"cols_{i}"]) else None,
                                  {k: tuple(v) for k, v in m.items()} if m else None)
                     for i, (n, w, m) in enumerate(zip(meta["names"], meta["weights"], maps))]
    except (OSError, KeyError, ValueError) as e:
        if isinstance(e, TypesError):
            raise
        raise TypesError(f"{path}: not an answerer-types file ({e})") from e
    out = AnswererTypes(types)
    if table is not None:
        try:
            out.check(table)
        except TypesError as e:
            raise TypesError(f"{path}: {e}") from e
    return out


TYPES_FILE = "types.npz"


def table_types(table_dir, table, spec: str = "auto", weights: dict | None = None) -> AnswererTypes | None:
    """The answerer types to plan with for a table directory.

    spec: "auto" (``TABLE/types.npz`` when it exists, else None = the table alone), "none", or a
    path to a types file. weights: {type name: weight} overriding the file's prior over types.
    """
    if spec == "none":
        if weights:
            raise TypesError("type weights given but types are off (--types none)")
        return None
    path = Path(table_dir) / TYPES_FILE if spec == "auto" else Path(spec)
    if not path.exists():
        if spec != "auto":
            raise TypesError(f"{path}: file not found")
        if weights:
            raise TypesError(f"type weights given but {path} does not exist")
        return None
    types = load_types(path, table)
    return types.with_weights(weights) if weights else types


def parse_weights(items) -> dict:
    """["exact=0.3", "llm=0.7"] -> {"exact": 0.3, "llm": 0.7}; errors name the bad item."""
    out = {}
    for it in items or []:
        name, sep, val = str(it).partition("=")
        try:
            out[name] = float(val)
        except ValueError:
            sep = ""
        if not sep or not name:
            raise TypesError(f"type weight {it!r} is not NAME=NUMBER")
    return out
