"""Build the Kaggle submission tarball and verify it by playing a game from the unpacked copy.

    python scripts/make_submission.py --out submission.tar.gz [--table tables/example] \
        [--tree TREE] [--model models/smollm2] [--max-gb 20] [--keyword NAME] [--no-verify]

Layout (unpacked to /kaggle_simulations/agent/ on Kaggle)::

    main.py                      agent/main.py: puts lib/ on sys.path, forwards to agent.core
    lib/agent/ lib/planner/      the project code the agent runs
    lib/tables/llm.py            the LLM scorer (with tables/__init__.py, tables/prompts.py,
                                 tables/refine_llm.py: measuring cells during a game)
    data/table/  data/tree.npz   the runtime table (and its answerer types, types.npz) and its tree (checked to match)
    model/                       optional HF model directory (--model)

The size is printed; a tarball (or its unpacked content) above --max-gb is refused, as the
platform refused uploads above ~20 GB. Verification unpacks into a fresh temporary directory
and, in a subprocess run with ``python -I`` from there (so this checkout is not on sys.path),
loads main.py through kaggle-environments' own loader and plays one full game of four copies
of it (Kaggle's validation episode) through the real referee, then asks it one question no
code or table can answer (the shipped LLM answers it, waiting for its load); it fails when any
agent errors, the probe is not yes/no, or a module was imported from outside the unpacked
directory.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CODE = [("agent", "*.py"), ("planner", "*.py")]
TABLES_CODE = ["tables/__init__.py", "tables/llm.py", "tables/prompts.py", "tables/refine_llm.py"]
TABLE_FILES = ["keywords.csv", "questions.csv", "P.npy", "meta.json", "types.npz"]
GB = 1e9


class SubmissionError(RuntimeError):
    """The tarball cannot be built, is too large, or failed its verification game."""


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="tarball to write (.tar.gz)")
    p.add_argument("--table", default=str(ROOT / "tables" / "example"), help="runtime table directory")
    p.add_argument("--tree", help="tree fitted on --table (default: none; the agent walks online)")
    p.add_argument("--model", help="HF model directory to ship as model/")
    p.add_argument("--model-dtype", default=None, choices=["float16", "bfloat16"],
                   help="ship the model's weights cast to this dtype (a converted copy beside --out)")
    p.add_argument("--max-gb", type=float, default=20.0, help="refuse tarballs (or contents) above this size")
    p.add_argument("--compresslevel", type=int, default=6)
    p.add_argument("--keyword", help="keyword of the verification game (default: first public keyword in the table)")
    p.add_argument("--no-verify", action="store_true")
    return p


# --- contents -------------------------------------------------------------------------------

def members(table: Path, tree: Path | None, model: Path | None) -> list[tuple[Path, str]]:
    """(source file, name in the tarball) for everything shipped."""
    out = [(ROOT / "agent" / "main.py", "main.py")]
    for pkg, pattern in CODE:
        out += [(f, f"lib/{pkg}/{f.name}") for f in sorted((ROOT / pkg).glob(pattern)) if f.name != "main.py"]
    out += [(ROOT / f, f"lib/{f}") for f in TABLES_CODE]
    out += [(table / f, f"data/table/{f}") for f in TABLE_FILES if (table / f).exists()]
    if tree is not None:
        out.append((tree, "data/tree.npz"))
    if model is not None:
        out += [(f, f"model/{f.relative_to(model)}") for f in sorted(model.rglob("*"))
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(model).parts)]
    missing = [str(src) for src, _ in out if not src.is_file()]
    if missing:
        raise SubmissionError(f"missing files: {missing}")
    return out


def check_inputs(table: Path, tree: Path | None) -> None:
    """The table (and its answerer types, if any) loads and the tree (if any) was fitted on both."""
    from planner.table import load_table
    from planner.tree import load_tree
    from planner.types import table_types

    t = load_table(table)
    types = table_types(table, t)
    if tree is not None:
        load_tree(tree, t).check_types(types)


def build(out: Path, files: list[tuple[Path, str]], max_bytes: float, compresslevel: int) -> int:
    """Write the tarball atomically; returns its size. Refuses content or tarball above max_bytes."""
    raw = sum(src.stat().st_size for src, _ in files)
    if raw > max_bytes:
        raise SubmissionError(f"content is {raw / GB:.2f} GB, above the {max_bytes / GB:.2f} GB limit")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tarfile.open(tmp, "w:gz", compresslevel=compresslevel) as tar:
        for src, name in files:
            tar.add(src, arcname=name, recursive=False)
    size = tmp.stat().st_size
    if size > max_bytes:
        tmp.unlink()
        raise SubmissionError(f"tarball is {size / GB:.2f} GB, above the {max_bytes / GB:.2f} GB limit")
    os.replace(tmp, out)
    return size


# --- verification ---------------------------------------------------------------------------

VERIFY = r'''
import json, os, sys, time
here = os.getcwd()
entry = json.loads(sys.argv[1])
import importlib
ref = importlib.import_module("kaggle_environments.envs.llm_20_questions.llm_20_questions")
ref.keyword, ref.alts, ref.category = entry["keyword"], entry["alts"], entry["category"]
from kaggle_environments import make
env = make("llm_20_questions", debug=False)
t0 = time.time()
main = os.path.join(here, "main.py")
env.run([main, main, main, main])
game_s = round(time.time() - t0, 2)
final = env.steps[-1]
mods = {n: getattr(m, "__file__", None) for n, m in list(sys.modules.items())
        if n.split(".")[0] in ("agent", "planner", "tables")}
# one answer that neither code nor the table can give: the shipped LLM (if any) must answer it
from kaggle_environments.agent import get_last_callable
t1 = time.time()
try:
    fn = get_last_callable(open(main).read(), path=main)
    probe = fn({"turnType": "answer", "role": "answerer", "keyword": "qzx widget", "category": "things",
                "questions": ["Is it something you can hold in your hand?"], "answers": [], "guesses": [],
                "remainingOverageTime": 300}, {})
except Exception as e:
    probe = f"exception {e!r}"
probe_s = round(time.time() - t1, 2)
llm = sys.modules.get("agent.llm")
if llm:
    llm.join_all(120)          # a torch thread alive at exit would abort this process
core = sys.modules.get("agent.core")
agents = list(core._DEFAULT.values()) if core else []
probe_source = agents[0].answerer().last_source if agents else None
durations = [lg["duration"] for step in env.logs for lg in (step or []) if isinstance(lg, dict) and "duration" in lg]
print(json.dumps({
    "keyword": entry["keyword"], "rewards": [s["reward"] for s in final], "statuses": [s["status"] for s in final],
    "questions": final[0]["observation"]["questions"], "answers": final[0]["observation"]["answers"],
    "guesses": final[0]["observation"]["guesses"], "game_s": game_s,
    "first_move_s": durations[0] if durations else None, "probe_answer": probe, "probe_s": probe_s,
    "probe_source": probe_source, "slowest_move_s": max(durations) if durations else None,
    "foreign_modules": sorted(n for n, f in mods.items() if f and not os.path.abspath(f).startswith(here)),
}))
'''


def verify_entry(table: Path, keyword: str | None) -> dict:
    """The verification game's keyword: --keyword, else a seeded pick among the public keywords the table has."""
    from agent.spelling_table import public_keywords
    from planner.matching import GuessIndex
    from planner.table import load_table

    pool = public_keywords()
    if keyword:
        return next((e for e in pool if e["keyword"].lower() == keyword.lower()),
                    {"keyword": keyword, "alts": [], "category": "things"})
    t = load_table(table)
    gi = GuessIndex(t.names, t.keywords["alts"])
    known = [e for e in pool if gi.matches(e["keyword"])] or pool
    return random.Random(0).choice(known)


def verify(tarball: Path, entry: dict, timeout: float = 600) -> dict:
    """Unpack into a fresh temp dir and play one game there in an isolated subprocess."""
    with tempfile.TemporaryDirectory(prefix="q20-verify-") as d:
        with tarfile.open(tarball) as tar:
            tar.extractall(d, filter="data")
        if not (Path(d) / "main.py").is_file():
            raise SubmissionError("main.py is not at the tarball's root")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("Q20_", "PYTHON"))}
        res = subprocess.run([sys.executable, "-I", "-c", VERIFY, json.dumps(entry)], cwd=d, env=env,
                             capture_output=True, text=True, timeout=timeout)
        if res.returncode != 0:
            raise SubmissionError(f"verification game crashed (exit {res.returncode}):\n{res.stderr[-3000:]}")
        out = json.loads(res.stdout.strip().splitlines()[-1])
    bad = [i for i, s in enumerate(out["statuses"]) if s in ("ERROR", "TIMEOUT")]
    if bad:
        raise SubmissionError(f"agents {bad} ended in {[out['statuses'][i] for i in bad]}: {out}")
    if out["probe_answer"] not in ("yes", "no"):
        raise SubmissionError(f"off-table answer probe returned {out['probe_answer']!r}")
    if out["foreign_modules"]:
        raise SubmissionError(f"modules imported from outside the unpacked tarball: {out['foreign_modules']}")
    return out


def main(args) -> dict:
    table = Path(args.table)
    tree = Path(args.tree) if args.tree else None
    model = Path(args.model) if args.model else None
    out = Path(args.out)
    check_inputs(table, tree)
    if model is not None and args.model_dtype:
        from tables.llm import save_model_dtype
        model = save_model_dtype(model, out.parent / f"{model.name}-{args.model_dtype}", args.model_dtype)
    files = members(table, tree, model)
    t0 = time.perf_counter()
    size = build(out, files, args.max_gb * GB, args.compresslevel)
    raw = sum(src.stat().st_size for src, _ in files)
    print(f"wrote {out}: {size / 1e6:.1f} MB ({raw / 1e6:.1f} MB unpacked, {len(files)} files) "
          f"in {time.perf_counter() - t0:.1f} s; limit {args.max_gb:g} GB"
          + ("" if tree else "; no tree: the agent walks online"), flush=True)
    result = {"out": str(out), "bytes": size, "unpacked_bytes": raw, "files": len(files)}
    if not args.no_verify:
        v = verify(out, verify_entry(table, args.keyword))
        won = [r for r in v["rewards"] if r and r > 0]
        print(f"verified: {v['keyword']!r} statuses {v['statuses']} rewards {v['rewards']}; "
              f"{len(v['guesses'])} rounds, last guess {v['guesses'][-1] if v['guesses'] else None!r}; "
              f"first move {v['first_move_s']:.2f} s, slowest {v['slowest_move_s']:.2f} s, game {v['game_s']} s; "
              f"off-table answer probe {v['probe_answer']!r} from {v['probe_source']} in {v['probe_s']} s"
              + ("" if won else " (not solved)"))
        result["verify"] = v
    return result


if __name__ == "__main__":
    try:
        main(make_parser().parse_args())
    except SubmissionError as e:
        sys.exit(f"make_submission: {e}")
