"""Write docs/results.md: guessers x answerers on keyword lists, with the bound beside each row.

    python scripts/results.py [--table DIR ...] [--keywords public] [--answerer flip:0.05 ...] [--out docs]

Every number in the page comes from this run (scripts/evaluate.py's engine); the page records
the command, the tables' hashes and the seed.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--table", action="append", help="table directories (default: tables/example)")
    p.add_argument("--keywords", default="public")
    p.add_argument("--answerer", action="append", help="default: flip:0.05, flip:0.1")
    p.add_argument("--guesser", action="append", help="default: q20 greedy hard random")
    p.add_argument("--llm", default=str(ROOT / "models" / "qwen1.5b"),
                   help="model of the live llm answerer row ('' to skip)")
    p.add_argument("--llm-sample", type=int, default=30, help="keywords (seeded sample) for the llm rows")
    p.add_argument("--games-per-keyword", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", default=str(ROOT / "docs"))
    return p


def bound_for(answerer: str, prior, measured: dict) -> tuple[float, float | None]:
    """(bound, noise) for an answerer: flip:E uses E; others use a measured noise if given."""
    from planner.analysis import noisy_channel_bound
    if answerer.startswith("flip:"):
        e = float(answerer.split(":", 1)[1])
    elif answerer == "exact":
        e = 0.0
    else:
        e = measured.get(answerer)
    return (noisy_channel_bound(prior, e) if e is not None else float("nan")), e


def main(args) -> Path:
    import evaluate
    from planner.table import load_table

    tables = args.table or [str(ROOT / "tables" / "example")]
    answerers = args.answerer or ["flip:0.05", "flip:0.1"]
    guessers = args.guesser or ["q20", "greedy", "hard", "random"]
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    lines = ["# Results", "",
             f"Generated {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC by",
             "", "    " + " ".join(["python", "scripts/results.py", *map(shlex.quote, sys.argv[1:])]), "",
             "Each row: one guesser against one answerer, one game per keyword (same answers for every guesser",
             "of a row group: common random numbers, seed %d). `bound` is the noisy-channel bound" % args.seed,
             "H(prior) / (1 - H2(e)) questions for the table's prior and the answerer's flip rate e (an",
             "identification bound: guessing every round can win earlier). `ms/move` is the guesser's compute.", ""]
    for ti, tdir in enumerate(tables):
        table = load_table(tdir)
        name = Path(tdir).name
        shown = Path(tdir).resolve()
        shown = shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown
        ev_args = evaluate.make_parser().parse_args(
            ["--keywords", args.keywords, "--table", tdir, "--out", str(out / f"eval_{name}"),
             "--games-per-keyword", str(args.games_per_keyword), "--seed", str(args.seed), "--jobs", str(args.jobs),
             *sum((["--guesser", g] for g in guessers), []), *sum((["--answerer", a] for a in answerers), []), "--json"])
        res = evaluate.main(ev_args)
        if args.llm and Path(args.llm).exists():
            llm_args = evaluate.make_parser().parse_args(
                ["--keywords", args.keywords, "--table", tdir, "--out", str(out / f"eval_{name}_llm"),
                 "--sample", str(args.llm_sample), "--seed", str(args.seed),
                 *sum((["--guesser", g] for g in guessers), []), "--answerer", f"llm:{args.llm}", "--json"])
            llm_res = evaluate.main(llm_args)
            for r in llm_res["results"]:
                r["answerer"] = f"llm:{Path(args.llm).name} ({llm_res['keywords']} kw)"
            res["results"] += llm_res["results"]
        lines += [f"## Table `{shown}` ({table.K} keywords x {table.Q} questions, hash {table.hash[:12]})", "",
                  f"Keywords: `{args.keywords}` ({res['keywords']}; outside the table's universe: "
                  f"{res['results'][0]['outside_universe']:.1%}).", "",
                  "| guesser | answerer | solved <= 20 | mean winning round | median | errors | ms/move | bound (e) |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in res["results"]:
            b, e = bound_for(r["answerer"], table.prior, {})
            lines.append(f"| {r['guesser']} | {r['answerer']} | {r['solve_rate_20']:.1%} | {r['mean_round_solved']:.2f} | "
                         f"{r['median_round_solved']:.1f} | {r['errors']} | {r['mean_move_ms']:.3f} | "
                         + (f"{b:.1f} ({e:g})" if e is not None else "n/a") + " |")
        png = out / f"results_{name}.png"
        (out / f"eval_{name}" / "solve_curve.png").replace(png)
        lines += ["", f"![solve curve]({png.name})", ""]
    page = out / "results.md"
    page.write_text("\n".join(lines) + "\n")
    print(f"wrote {page}")
    return page


if __name__ == "__main__":
    main(make_parser().parse_args())
