"""Build the real keyword universe, its prior, the knowledge questions and the softened table P.

    python scripts/build_universe.py --out build/real \
        [--kaggle /tmp/kx/1.14.15 --kaggle /tmp/kx/1.14.11] [--export tables/universe] \
        [--example-out tables/example] [--tune-prior] [--noise-json noise.json] [--json]

Writes a planner table directory (keywords.csv, questions.csv, P.npy, meta.json) plus
report.json (sizes, category breakdown, coverage of the Kaggle "things", prior percentiles of
the tune/held-out halves, questions by kind, build time). Deterministic for given inputs.
--kaggle takes an unpacked kaggle-environments wheel (or a keywords.py); the installed
1.14.17 list is always read. --noise-json maps question id -> measured noise e_q
(e.g. 1 - fidelity), replacing the per-kind default for those questions.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="table directory to write (e.g. build/real)")
    p.add_argument("--wordnet-dir", default=None, help="WordNet 3.0 dict dir (default $WORDNET_DIR or /usr/share/wordnet)")
    p.add_argument("--kaggle", action="append", default=[], help="extra kaggle-environments dir or keywords.py (repeatable)")
    p.add_argument("--min-concreteness", type=float, default=3.5)
    p.add_argument("--gloss-compounds", action="store_true",
                   help="add the two-word compounds from WordNet glosses (universe.gloss_compounds; off by default: "
                        "+7 of the 579 public things for 7.6k keywords, a third of them nonsense)")
    p.add_argument("--min-city-population", type=int, default=5000, choices=[500, 1000, 5000, 15000])
    p.add_argument("--n-alpha", type=int, default=255, help="alphabetical cut questions")
    p.add_argument("--max-category", type=int, default=4000, help="cap on WordNet category questions")
    p.add_argument("--min-category-count", type=int, default=8, help="keywords a category must hold")
    p.add_argument("--min-count", type=int, default=5, help="keywords each side of a question must hold")
    p.add_argument("--min-mass", type=float, default=1e-5, help="prior mass each side of a question must hold")
    p.add_argument("--noise-json", default=None, help="JSON {question id: noise e_q} replacing the kind defaults")
    p.add_argument("--tune-prior", action="store_true",
                   help="tune the prior from prior.TUNE_START on the tune half and use it (default: prior.PRIOR_PARAMS)")
    p.add_argument("--seed", type=int, default=0, help="seed of the tune/held-out split of the Kaggle things")
    p.add_argument("--export", default=None,
                   help="also write the keyword list (keywords.csv.gz, with sources and place facts), questions.csv and report.json here")
    p.add_argument("--example-out", default=None, help="also write a small table of the Kaggle things here")
    p.add_argument("--example-questions", type=int, default=300)
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    return p


def _stage_bar(total: int, quiet: bool):
    from tqdm import tqdm

    bar = tqdm(total=total, desc="build", unit="stage", disable=quiet)
    t0 = time.time()
    times = {}

    def step(name):
        times[name] = round(time.time() - t0, 1)
        bar.set_postfix_str(name)
        bar.update(1)

    return bar, step, times


def main(args) -> dict:
    import numpy as np
    import pandas as pd

    from planner.table import Table, atomic_write, save_table
    from tables import knowledge, prior as priors, universe as uni, universe_example as example
    from tables.wordnet import load_wordnet, read_glosses

    t0 = time.time()
    bar, step, times = _stage_bar(13, args.json)
    wn = load_wordnet(args.wordnet_dir)
    step("wordnet")
    kaggle_files = [uni.kaggle_file(None)] + [uni.kaggle_file(k) for k in args.kaggle]
    U = uni.build_universe(wn, kaggle_files=kaggle_files, min_concreteness=args.min_concreteness,
                           min_city_population=args.min_city_population, progress=step,
                           glosses=read_glosses(args.wordnet_dir) if args.gloss_compounds else None)
    ratings = uni.read_concreteness()
    feat = priors.prior_features(U, wn, ratings)
    step("prior features")

    # prior: tune on a fixed half of the Kaggle things, report both halves
    kag_rows = uni.read_kaggle_keywords(kaggle_files[0])
    things = uni.kaggle_thing_rows(U, kag_rows)
    tune_i, held_i = priors.split_half(len(things), args.seed)
    params = priors.tune(feat, things[tune_i], priors.TUNE_START) if args.tune_prior else dict(priors.PRIOR_PARAMS)
    prior = priors.compute_prior(feat, params)
    step("prior")

    ref = [(k, a) for c, k, a in kag_rows if c == "things"]
    indep = uni.independent_mask(U)
    cov_all = uni.coverage(U["keyword"], ref)
    cov_ind = uni.coverage(U["keyword"][indep], ref)
    step("coverage")

    qs, F = knowledge.build_questions(
        wn, U, prior, n_alpha=args.n_alpha, max_category=args.max_category,
        min_category_count=args.min_category_count, min_count=args.min_count, min_mass=args.min_mass)
    step("questions")
    measured = json.loads(Path(args.noise_json).read_text()) if args.noise_json else None
    noise = knowledge.noise_vector(qs, measured)
    P = knowledge.soften(F, noise, out=F)          # in place: F becomes P
    del F
    kw = pd.DataFrame({"keyword": U["keyword"], "alts": U["alts"], "category": U["category"], "prior": prior})
    report = {
        "universe_size": int(len(U)),
        "by_category": {k: int(v) for k, v in U["category"].value_counts().items()},
        "by_source": {s: int(sum(s in x.split("|") for x in U["source"]))
                      for s in ("kaggle", "kaggle_place", "wordnet", "concreteness", "gloss", "geonames")},
        "generated_only": int(uni.generated_mask(U).sum()),
        "prior_mass_by_category": {k: float(v) for k, v in pd.Series(prior).groupby(U["category"]).sum()
                                   .sort_values(ascending=False).items()},
        "prior_params": params,
        "prior_tune_half": priors.prior_report(prior, things[tune_i]),
        "prior_held_out_half": priors.prior_report(prior, things[held_i]),
        "prior_all_things": priors.prior_report(prior, things),
        "coverage_full_universe": {k: v for k, v in cov_all.items() if k != "missed_keywords"},
        "coverage_without_kaggle_lists": {k: v for k, v in cov_ind.items() if k != "missed_keywords"},
        "missed_without_kaggle_lists": cov_ind["missed_keywords"],
        "questions_by_kind": {k: int(v) for k, v in qs["kind"].value_counts().items()},
        "table_shape": [int(P.shape[0]), int(P.shape[1])],
    }
    meta = {"builder": "scripts/build_universe.py", "args": vars(args), "noise_defaults": knowledge.DEFAULT_NOISE,
            "measured_noise": bool(measured), "prior_params": params}
    table = Table(kw, qs, P, meta=meta)
    save_table(table, args.out)
    step("saved table")
    if args.export:
        ex = Path(args.export)
        cols = ["keyword", "category", "source", "country", "continent", "subregion", "population", "capital", "head_derived"]
        out = U[cols].copy()
        out.insert(1, "alts", ["|".join(a) for a in U["alts"]])
        out.insert(3, "prior", prior)
        atomic_write(ex / "keywords.csv.gz", lambda p: out.to_csv(
            p, index=False, float_format="%.6g", compression={"method": "gzip", "mtime": 0}))
        atomic_write(ex / "questions.csv", lambda p: qs.to_csv(p, index=False))
    if args.example_out:
        small = example.example_table(wn, U, prior, things, n_questions=args.example_questions)
        save_table(small, args.example_out)
        report["example"] = {"dir": str(args.example_out), "shape": [small.K, small.Q],
                             "questions_by_kind": small.questions["kind"].value_counts().to_dict()}
    step("exports")
    bar.close()
    report["stage_seconds"] = times
    report["build_seconds"] = round(time.time() - t0, 1)
    report["table_hash"] = table.hash
    atomic_write(Path(args.out) / "report.json", lambda p: p.write_text(json.dumps(report, indent=1)))
    if args.export:
        atomic_write(Path(args.export) / "report.json", lambda p: p.write_text(json.dumps(report, indent=1)))
    if args.json:
        print(json.dumps(report))
    else:
        print(json.dumps({k: v for k, v in report.items() if k != "missed_without_kaggle_lists"}, indent=1))
    return report


if __name__ == "__main__":
    main(make_parser().parse_args())
