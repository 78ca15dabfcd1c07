"""Keyword embeddings: how the answerer model represents each keyword, computed once and committed.

One forward pass per keyword: a short template (``TEMPLATES``) with the keyword, its prefix cached,
hidden states at the template's last token from a few layers (``LAYERS``), concatenated.
Raw states (3 x 1536 floats for Qwen-1.5B) are too big to commit for 50k keywords, so each is
standardized and projected on a fixed PCA basis (``dim`` components) fitted once on a seeded
sample of the keyword list; shards store the projections as float16.

Layout (``tables/embeddings/<source>/``)::

    basis.npz                      mean (F,), scale (F,), components (F, dim) float32, layers, template, spec
    shards/NNNNN-<hash>.npz        keywords (b,) str, Z (b, dim) float16, version

The job follows :func:`tables.scoring.run_job`'s shard protocol (serial, joblib or Dask; tqdm;
a killed run resumes, losing only the shard in flight). Any HF causal LM directory works, on a
GPU too (``device``/``dtype`` of the :class:`tables.scoring.ScorerSpec`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.table import atomic_write
from tables.answer_bank import BankError, _hash
from tables.scoring import ScorerSpec, _scorer

EMBED_VERSION = 1
ROOT = Path(__file__).resolve().parent / "embeddings"
TEMPLATES = {  # the hidden states are taken at the template's last token
    "keyword": "We are playing 20 Questions. The secret keyword is: {k}",           # ends on the keyword
    "kindof": "We are playing 20 Questions. The secret keyword is: {k}. It is a kind of",  # a category slot
    "facts": "We are playing 20 Questions. The secret keyword is: {k}. Facts about it: it is",  # an attribute slot
}
TEMPLATE = "keyword"
LAYERS = (16, -1)   # a middle layer and the last; the last predicted the bank's answers best (tables/LLM.md)
PRIOR_SOURCE = "qwen1.5b"             # the learned prior's features (every thing of the universe)
COMPLETION_SOURCE = "qwen1.5b-facts"  # the completion model's ("facts", layers 24 and the last;
                                      # docs/default_table.md section 13)


def embed_texts(keywords, template: str = TEMPLATE) -> list[str]:
    """The template (a name in TEMPLATES) filled with each keyword, lower-cased.

    Lower case because the universe keeps each source's spelling: the Kaggle lists' Title Case
    ("Video Camera") would otherwise tell the prior model which keywords are public things.
    "keyword" ends on the keyword (the cheapest: a keyword's own tokens are its whole suffix);
    "kindof" ends on "It is a kind of", where the state predicts the keyword's category (+6
    tokens a keyword, and better completion features in a probe on the bank). "facts" ends on
    "Facts about it: it is", where the state predicts the keyword's attributes: with layers 24 and
    the last it is the completion's feature set (docs/default_table.md section 13: kernel CV
    auc_mean 0.899 against 0.887 for "keyword" at layers 16 and the last, 300 bank keywords).
    """
    if template not in TEMPLATES:
        raise ValueError(f"unknown embedding template {template!r}; known: {sorted(TEMPLATES)}")
    return [TEMPLATES[template].format(k=str(k).lower()) for k in keywords]


def raw_states(scorer, keywords, layers=LAYERS, template: str = TEMPLATE) -> np.ndarray:
    """(n, len(layers) * D) float32: the scorer's model's hidden states at each keyword's last token."""
    tok = scorer.tokenizer
    seqs = [tok.encode(t, add_special_tokens=False) for t in embed_texts(keywords, template)]
    H = scorer.last_hidden(seqs, layers)  # (n, len(layers), D)
    return H.reshape(len(keywords), -1)


def fit_basis(X: np.ndarray, dim: int) -> dict:
    """PCA of standardized rows. X: (n, F) -> {mean (F,), scale (F,), components (F, dim)}.

    Standardizing first keeps the few huge-magnitude "outlier" dimensions of LLM hidden states
    from owning every component.
    """
    X = np.asarray(X, dtype=np.float64)
    if dim > min(X.shape):
        raise ValueError(f"dim {dim} exceeds min(n, F) = {min(X.shape)}")
    mean = X.mean(0)
    scale = X.std(0) + 1e-6
    Z = (X - mean) / scale
    _, _, Vt = np.linalg.svd(Z, full_matrices=False)
    return {"mean": mean.astype(np.float32), "scale": scale.astype(np.float32),
            "components": Vt[:dim].T.astype(np.float32)}


def project(X: np.ndarray, basis: dict) -> np.ndarray:
    """(n, F) raw states -> (n, dim) float32 coordinates on the basis."""
    return ((np.asarray(X, dtype=np.float32) - basis["mean"]) / basis["scale"]) @ basis["components"]


@dataclass
class EmbedJob:
    """Embed ``keywords`` (a list, in the order to compute) with ``spec``'s model into ``root/<source>``.

    dim: stored dimensions; basis_n: keywords the PCA basis is fitted on (a seeded sample).
    """

    spec: ScorerSpec
    keywords: list
    root: Path = ROOT
    block_size: int = 2000
    dim: int = 256
    basis_n: int = 2048
    layers: tuple = LAYERS
    template: str = TEMPLATE
    seed: int = 0

    def __post_init__(self):
        self.root = Path(self.root)
        if len(set(self.keywords)) != len(self.keywords):
            raise ValueError("duplicate keywords in the embedding list")

    @property
    def source(self) -> str:
        return Path(self.spec.model_dir).name if not self.spec.name else self.spec.name

    @property
    def source_dir(self) -> Path:
        return self.root / self.source

    @property
    def basis_path(self) -> Path:
        return self.source_dir / "basis.npz"

    @property
    def id(self) -> str:
        return _hash(self.spec.identity(), list(self.layers), self.template, self.dim, self.basis_id())[:12]

    def basis_id(self) -> str:
        if not self.basis_path.exists():
            return ""
        with np.load(self.basis_path, allow_pickle=False) as z:
            return str(z["id"])

    @property
    def n_shards(self) -> int:
        return -(-len(self.keywords) // self.block_size)

    def block(self, i: int) -> list:
        return self.keywords[i * self.block_size:(i + 1) * self.block_size]

    def shard_path(self, i: int) -> Path:
        return self.source_dir / "shards" / f"{i:05d}-{_hash(self.id, self.block(i))[:12]}.npz"

    def pending(self) -> list[int]:
        return [i for i in range(self.n_shards) if not self.shard_path(i).exists()]

    def cells(self, i: int) -> int:
        return len(self.block(i))

    @property
    def worker(self):
        return run_embed_shard

    def task(self, i: int) -> dict:
        return {"spec": self.spec, "keywords": self.block(i), "layers": list(self.layers),
                "template": self.template, "basis": str(self.basis_path), "path": str(self.shard_path(i))}

    def write_manifest(self) -> None:
        """Fit and save the PCA basis on a seeded sample of the keywords, once (in this process)."""
        if self.basis_path.exists():
            return
        rng = np.random.default_rng(self.seed)
        n = min(self.basis_n, len(self.keywords))
        sample = [self.keywords[i] for i in np.sort(rng.choice(len(self.keywords), size=n, replace=False))]
        X = raw_states(_scorer(self.spec), sample, self.layers, self.template)
        basis = fit_basis(X, min(self.dim, n))
        ident = _hash(self.spec.identity(), list(self.layers), self.template, sample)[:12]

        def write(p):
            with open(p, "wb") as f:
                np.savez(f, **basis, layers=np.array(self.layers), template=self.template, id=ident,
                         spec=json.dumps(self.spec.identity(), sort_keys=True, default=str), version=EMBED_VERSION)

        self.basis_path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.basis_path, write)

    def finish(self, partial: bool = False) -> Path:
        return self.source_dir


def run_embed_shard(task: dict) -> int:
    """Embed one keyword block, project it on the basis, write the shard atomically; returns keywords."""
    with np.load(task["basis"], allow_pickle=False) as z:
        basis = {k: z[k] for k in ("mean", "scale", "components")}
    X = raw_states(_scorer(task["spec"]), task["keywords"], tuple(task["layers"]), task["template"])
    Z = project(X, basis)

    def write(p):
        with open(p, "wb") as f:
            np.savez_compressed(f, keywords=np.array(task["keywords"], dtype=str), Z=Z.astype(np.float16),
                                version=EMBED_VERSION)

    path = Path(task["path"])
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, write)
    return len(task["keywords"])


def load_embeddings(source_dir) -> tuple[list, np.ndarray]:
    """(keywords, Z (n, dim) float32) from every shard of a source dir; errors name the file."""
    d = Path(source_dir)
    if not (d / "basis.npz").exists():
        raise BankError(f"{d / 'basis.npz'}: file not found (not an embeddings dir)")
    names, blocks = [], []
    seen = set()
    for p in sorted((d / "shards").glob("*.npz")):
        try:
            with np.load(p, allow_pickle=False) as z:
                kws, Z, ver = z["keywords"].tolist(), z["Z"], int(z["version"])
        except (OSError, KeyError, ValueError, EOFError) as e:
            raise BankError(f"{p}: unreadable embedding shard ({e})") from e
        if ver != EMBED_VERSION:
            raise BankError(f"{p}: format version {ver}, expected {EMBED_VERSION}")
        if Z.shape[0] != len(kws) or not np.isfinite(Z.astype(np.float32)).all():
            raise BankError(f"{p}: Z shape {Z.shape} for {len(kws)} keywords, or non-finite values")
        keep = [i for i, k in enumerate(kws) if k not in seen]
        seen.update(kws)
        names += [kws[i] for i in keep]
        blocks.append(Z[keep].astype(np.float32))
    Z = np.concatenate(blocks) if blocks else np.zeros((0, 0), dtype=np.float32)
    return names, Z


def universe_things(path=None, places=("country", "city", "landmark", "region")) -> pd.DataFrame:
    """The universe's things (no places), highest prior first: keyword, category, prior."""
    from tables.bank_sources import UNIVERSE

    u = pd.read_csv(path or UNIVERSE, dtype=str, keep_default_na=False)
    u = u[~u["category"].isin(places)].copy()
    u["prior"] = pd.to_numeric(u["prior"], errors="coerce").fillna(0.0)
    return u.sort_values("prior", ascending=False, kind="stable")[["keyword", "category", "prior"]].reset_index(drop=True)
