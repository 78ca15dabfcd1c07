"""The LLM, loaded once in a background thread so that no move waits past its budget.

``LazyLLM(model_dir, prompt).get(wait_s)`` returns the loaded ``tables.llm.YesNoScorer`` or
None (no model configured, still loading after ``wait_s``, or the load failed; the failure is
logged once). ``shared_llm`` keeps one instance per (model_dir, prompt) in the process, so the
guesser and the answerer of a self-play game share one set of weights.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from agent.log import get_logger

log = get_logger()


FOUR_BIT_BYTES = 6e9      # on a GPU, weights larger than this load in 4 bits (an 8B model on a 16 GB T4)


def weights_bytes(model_dir: Path) -> int:
    """Total size of the safetensors files in a model directory."""
    return sum(f.stat().st_size for f in Path(model_dir).glob("*.safetensors"))


def scorer_options(model_dir: Path, cuda: bool, environ=None) -> dict:
    """YesNoScorer keyword arguments for this machine.

    CPU: float32 (the scorer's default) on ONE torch thread (``Q20_LLM_THREADS`` overrides):
    on 2 busy cores SmolLM2's guess generation took 1.5 s steadily with 1 thread and 3-14 s
    with 2 (threads spin at barriers while descheduled), and a move must stay predictable.
    CUDA: float16 (the T4 has no fast bfloat16), and bitsandbytes 4-bit when the weights
    exceed FOUR_BIT_BYTES; ``Q20_LLM_4BIT=0/1`` overrides.
    """
    environ = os.environ if environ is None else environ
    if not cuda:
        threads = environ.get("Q20_LLM_THREADS", "").strip()
        return {"num_threads": int(threads) if threads.isdigit() and int(threads) > 0 else 1}
    four = weights_bytes(model_dir) > FOUR_BIT_BYTES
    if environ.get("Q20_LLM_4BIT", "").strip() in ("0", "1"):
        four = environ["Q20_LLM_4BIT"].strip() == "1"
    return {"device": "cuda", "dtype": "float16", "load_in_4bit": four}


def load_scorer(model_dir: Path, prompt: str):
    """A ``YesNoScorer`` for ``model_dir`` (imports torch/transformers through tables.llm)."""
    import torch

    from tables.llm import YesNoScorer
    opts = scorer_options(Path(model_dir), torch.cuda.is_available())
    log.info("loading LLM %s with %s", model_dir, opts)
    return YesNoScorer(str(model_dir), prompt=prompt, **opts)


class LazyLLM:
    """One model directory, loaded on first demand in a daemon thread."""

    def __init__(self, model_dir, prompt: str = "sys_sub", loader=load_scorer):
        self.model_dir = Path(model_dir) if model_dir else None
        self.prompt = prompt
        self._loader = loader
        self._scorer = None
        self._error: str | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._busy: threading.Thread | None = None
        self.load_seconds: float | None = None

    @property
    def available(self) -> bool:
        """A model is configured, exists, and has not failed to load."""
        return self.model_dir is not None and self.model_dir.exists() and self._error is None

    @property
    def ready(self) -> bool:
        return self._scorer is not None

    def start(self) -> None:
        """Begin loading in the background (idempotent; no-op without a model)."""
        with self._lock:
            if self._thread is not None or not self.available:
                return
            self._thread = threading.Thread(target=self._load, name="q20-llm-load", daemon=True)
            self._thread.start()

    def _load(self) -> None:
        t0 = time.perf_counter()
        try:
            scorer = self._loader(self.model_dir, self.prompt)
            warm_up(scorer)
            self._scorer = scorer                 # published only once warm: get() waits for both
            self.load_seconds = time.perf_counter() - t0
            log.info("LLM loaded from %s in %.1f s", self.model_dir, self.load_seconds)
        except Exception as e:  # noqa: BLE001 - a broken model must not break the agent
            self._error = f"{type(e).__name__}: {e}"
            log.error("LLM load from %s failed: %s", self.model_dir, self._error)

    def get(self, wait_s: float = 0.0):
        """The scorer, waiting at most ``wait_s`` seconds for the load; None if not there."""
        if self._scorer is not None:
            return self._scorer
        if not self.available:
            return None
        self.start()
        self._thread.join(timeout=max(0.0, wait_s))
        if self._scorer is None and self._error is None:
            log.warning("LLM still loading after %.1f s; falling back for this move", wait_s)
        return self._scorer

    def join(self, timeout_s: float) -> None:
        """Wait (bounded) for the load and any timed-out call still running, e.g. before exit:
        a torch call alive at interpreter shutdown aborts the process."""
        for t in (self._thread, self._busy):
            if t is not None:
                t.join(timeout=timeout_s)

    def run(self, fn, timeout_s: float):
        """``fn()`` (a call on the scorer) in a daemon thread, waiting at most ``timeout_s``.

        Returns its value; None when it timed out (logged; the call finishes in the
        background) or when an earlier timed-out call is still running. Exceptions propagate.
        """
        if self._busy is not None and self._busy.is_alive():
            log.warning("an earlier LLM call is still running; falling back for this move")
            return None
        box: dict = {}

        def target():
            try:
                box["value"] = fn()
            except Exception as e:  # noqa: BLE001 - re-raised in the caller's thread
                box["error"] = e

        t = threading.Thread(target=target, name="q20-llm-call", daemon=True)
        t.start()
        t.join(timeout=max(0.0, timeout_s))
        if t.is_alive():
            self._busy = t
            log.warning("LLM call exceeded %.1f s; falling back for this move", timeout_s)
            return None
        if "error" in box:
            raise box["error"]
        return box.get("value")


def warm_up(scorer) -> None:
    """One tiny score and generate call: the first call of each costs seconds (measured 8 s
    for SmolLM2's first generate on 2 busy cores), better spent here than inside a move."""
    for name, args in (("score", ("apple", ["Is it a fruit?"])), ("generate", ("Say yes.",))):
        fn = getattr(scorer, name, None)
        if fn is None:
            continue
        try:
            fn(*args, **({"max_new_tokens": 2} if name == "generate" else {}))
        except Exception as e:  # noqa: BLE001 - a failed warm-up is only slower
            log.warning("LLM warm-up %s failed: %s: %s", name, type(e).__name__, e)


_SHARED: dict[tuple, LazyLLM] = {}


def join_all(timeout_s: float = 60.0) -> None:
    """``join`` every process-wide LazyLLM (scripts call this before exiting)."""
    for llm in _SHARED.values():
        llm.join(timeout_s)


def shared_llm(model_dir, prompt: str) -> LazyLLM:
    """The process-wide LazyLLM for (model_dir, prompt)."""
    key = (str(model_dir) if model_dir else None, prompt)
    if key not in _SHARED:
        _SHARED[key] = LazyLLM(model_dir, prompt)
    return _SHARED[key]
