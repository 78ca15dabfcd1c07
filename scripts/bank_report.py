"""What the answer bank says: docs/answer_bank.md (make bank-report).

    python scripts/bank_report.py [--out docs/answer_bank.md] [--root tables/answers]

Reads only committed data: the bank's shards, its keyword list and the check-set scores under
tables/answers/calibration/ (their summary.json). Sections: status; check-set AUC per source,
check set and question kind; calibration; yes rate per question over the prior (main source,
calibrated, keywords drawn by prior); cross-prompt agreement per kind and per question, with the
questions two prompts answer nearly independently (kappa < 0.2: "unanswerable", soft in the table).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=None, help="bank root (default tables/answers)")
    p.add_argument("--out", default="docs/answer_bank.md")
    p.add_argument("--kappa", type=float, default=0.2, help="below this, a question counts as unanswerable")
    return p


def _table(df, floatfmt="{:.3f}") -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in df.itertuples(index=False):
        lines.append("| " + " | ".join(floatfmt.format(v) if isinstance(v, float) else str(v) for v in r) + " |")
    return "\n".join(lines)


def main(args) -> int:
    import numpy as np
    import pandas as pd

    from tables import bank_sources as bs
    from tables.answer_bank import load_bank
    from tables.question_bank import question_bank

    root = Path(args.root) if args.root else bs.ROOT
    st = bs.status(root=root)
    qs = question_bank(kinds=("natural",)).set_index("id")
    out = ["# The answer bank", "",
           "Written by `python scripts/bank_report.py` (`make bank-report`) from the committed bank "
           "(`tables/answers/`); every figure below comes from that command.", "",
           "## Status", "", "```", json.dumps({k: v for k, v in st.items() if k != "per_source"}, indent=1), "```", "",
           bs.format_status(st).replace("\n", "  \n"), ""]

    summ_path = root / "calibration" / "summary.json"
    if summ_path.exists():
        summ = json.loads(summ_path.read_text())
        rows = []
        for src, r in summ.items():
            row = {"source": src, "rows": r["n"], "AUC": r["auc"], "acc@0.5": r["accuracy"],
                   "trap acc": r.get("trap_accuracy")}
            for k, v in r.get("auc_by_set", {}).items():
                row[f"AUC {k} (n={v['n']})"] = v["auc"]
            rows.append(row)
        out += ["## Check-set AUC", "", "Hand-labelled rows (`tables/checkset.csv`: category/place questions; "
                "`tables/checkset_natural.csv`: natural questions of the bank). Command: "
                "`python scripts/eval_answerers.py --models qwen1.5b --prompts qf_sub sys_sub "
                "--out tables/answers/calibration` (`make bank-calibration`).", "", _table(pd.DataFrame(rows)), ""]
        kinds = sorted({k for r in summ.values() for k in r.get("auc_by_kind", {})})
        kt = pd.DataFrame({src: {k: r.get("auc_by_kind", {}).get(k, {}).get("auc", np.nan) for k in kinds}
                           for src, r in summ.items()})
        kt.insert(0, "n", [next((r["auc_by_kind"][k]["n"] for r in summ.values() if k in r.get("auc_by_kind", {})), 0)
                           for k in kinds])
        out += ["AUC per question kind (natural rows: their topic; `checkset`: the first set):", "",
                _table(kt.reset_index().rename(columns={"index": "kind"})), ""]

    banks = {s: load_bank(root / s) for s in bs.table_sources(root)}
    main = banks.get(st["main_source"])
    if main is None:
        Path(args.out).write_text("\n".join(out) + "\n")
        return 0
    cal = {s: bs.calibration(s, root=root) for s in banks}
    out += ["## Calibration", "", "Platt scaling of each source's raw P on its check-set scores "
            "(`tables.bank_sources.calibration`):", ""]
    out += [_table(pd.DataFrame([{"source": s, "a": c.a, "b": c.b, "rows": c.n, "ECE raw": c.ece_raw,
                                  "ECE calibrated": c.ece_calibrated} for s, c in cal.items() if c is not None])), ""]

    kw = pd.read_csv(root / "keywords.csv", keep_default_na=False)
    drawn = kw.loc[kw["origin"] == "prior", "keyword"].tolist()
    yr = bs.yes_rate_by_question(main, cal.get(main.source), keywords=drawn)
    yr = yr[yr["cells"] > 0].assign(text=lambda d: d["qid"].map(qs["text"]), topic=lambda d: d["qid"].map(qs["topic"]))
    n_kw = int(yr["cells"].max()) if len(yr) else 0
    out += ["## Yes rate per question over the prior", "",
            f"Main source `{main.source}`, calibrated P(yes) averaged over the {n_kw} bank keywords drawn by prior "
            "(so the mean estimates the prior-weighted yes rate). A question near 0.5 splits the prior mass "
            "evenly; near 0 or 1 it rarely helps early in a game.", ""]
    bins = pd.cut(yr["yes_rate"], [0, 0.05, 0.15, 0.3, 0.7, 0.85, 0.95, 1.0], include_lowest=True)
    out += [_table(bins.value_counts(sort=False).rename_axis("yes rate").reset_index().astype(str)), ""]
    yr["split"] = (yr["yes_rate"] - 0.5).abs()
    out += ["The 25 most even splitters:", "",
            _table(yr.sort_values("split").head(25)[["qid", "text", "topic", "yes_rate"]]), ""]
    out += ["Per topic (mean yes rate, questions):", "",
            _table(yr.groupby("topic")["yes_rate"].agg(["mean", "size"]).reset_index()), ""]

    for s, b in banks.items():
        if s == main.source:
            continue
        # natural questions only (the handshake is not a question two prompts should agree on)
        m_nat, b_nat = main.select(list(qs.index)), b.select(list(qs.index))
        c = bs.compare_banks(m_nat, b_nat)
        if not c.get("cells"):
            continue
        per = bs.agreement_by_question(m_nat, b_nat).assign(text=lambda d: d["qid"].map(qs["text"]),
                                                       topic=lambda d: d["qid"].map(qs["topic"]))
        out += [f"## Cross-prompt agreement: `{main.source}` vs `{s}`", "",
                f"{c['cells']} shared cells over {c['keywords']} keywords. Both sources answer yes on their top "
                f"{c['rate']:.3f} share of cells (the rate of `{s}`'s raw answers), so a source's overall yes bias "
                f"does not count as disagreement: agreement **{c['agreement_equal_rate']:.3f}**; raw answers at "
                f"0.5: {c['agreement_raw']:.3f}; `{main.source}`'s logit ranks `{s}`'s answers at AUC {c['auc']:.3f}. "
                "This is the noise between two teams running the same model with different prompts.", ""]
        kt = per.groupby("topic").apply(lambda d: pd.Series({
            "questions": len(d), "agreement": float(np.average(d["agreement"], weights=d["cells"])),
            "median kappa": float(d["kappa"].median())}), include_groups=False).reset_index()
        out += ["Per kind:", "", _table(kt), ""]
        bad = per[per["kappa"] < args.kappa].sort_values("kappa")
        out += [f"Questions the two prompts answer nearly independently (kappa < {args.kappa}): "
                f"{len(bad)} of {len(per)}. They stay in the bank; the table will keep them soft.", "",
                _table(bad[["qid", "text", "agreement", "yes_a", "yes_b", "kappa"]]) if len(bad) else "(none)", ""]
        out += ["Most consistent questions:", "",
                _table(per.sort_values("kappa", ascending=False).head(15)[["qid", "text", "agreement", "kappa"]]), ""]
    out += prompts_section(root, list(qs.index))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(out) + "\n")
    print(f"wrote {args.out}")
    return 0


def prompts_section(root, qids) -> list:
    """Markdown lines: every natural-question source (development prompts included) against the
    others (tables.bank_sources.prompt_pairs, question_agreement_transfer, leave_one_prompt_out)."""
    from tables import bank_sources as bs
    from tables.answer_bank import list_sources, load_bank

    banks = {s: load_bank(root / s).select(qids) for s in list_sources(root)
             if s != bs.path_source()}                 # path cells: the main prompt again, a few cells a thing
    banks = {s: b for s, b in banks.items() if b.cells}
    if len(banks) < 3:
        return []
    cal = {s: bs.calibration(s, root=root) for s in banks}
    dev = set(bs.dev_sources())
    out = ["## Prompts against each other (development prompts included)", "",
           "Every source that answered natural questions, on the cells each pair shares "
           f"(development prompts, never in a table: {', '.join(f'`{s}`' for s in banks if s in dev)}). "
           "Raw agreement counts a prompt's overall yes bias as disagreement; equal-rate agreement does not.", "",
           _table(bs.prompt_pairs(banks)), "",
           "Is a question's cross-prompt agreement a property of the question? Correlation over questions of "
           "the per-question raw agreement of two pairs:", "", _table(bs.question_agreement_transfer(banks)), "",
           "How well the other prompts predict one prompt's greedy answers (AUC of each one's calibrated P, "
           "raw P for a source without calibration, and of their mean), on the keywords every source scored:", "",
           _table(bs.leave_one_prompt_out(banks, cal)), ""]
    return out


if __name__ == "__main__":
    sys.exit(main(make_parser().parse_args()))
