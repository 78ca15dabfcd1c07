"""The answer bank's sources (named presets), its keyword list, hold-out and status report.

``SOURCES`` names how each source of ``tables/answers/`` is made. ``main`` is the bank's main
source (the best layout measured: question-first, see tables/LLM.md); ``chat`` is a second prompt
style (a chat prompt with the keyword in the system turn, as most teams wrote it) on the first
``limit`` keywords of the list, so that the two can be compared cell for cell.

Calibration: every source's raw P is a score, not a probability (the question-first prompt says
"yes" to most cells). ``tables/answers/calibration/scores_<source>.csv`` holds the source's
scores on the hand-labelled check sets (written by ``scripts/eval_answerers.py --out
tables/answers/calibration``); :func:`calibration` fits Platt scaling on them.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tables.answer_bank import ROOT, BankError, BankJob, list_sources, load_bank, read_bank_keywords

HERE = Path(__file__).resolve().parent
PUBLIC = HERE / "example" / "keywords.csv"      # the 578 distinct public Kaggle things
HOLDOUT = HERE / "holdout_public.csv"            # 100 of them, never in the bank
UNIVERSE = HERE / "universe" / "keywords.csv.gz"
PLACES = ("country", "city", "landmark", "region")

SOURCES = {
    "main": {"model": "models/qwen1.5b", "prompt": "qf_sub", "quantize": None, "limit": None,
             "kinds": ("natural",)},
    "chat": {"model": "models/qwen1.5b", "prompt": "sys_sub", "quantize": None, "limit": 100,
             "kinds": ("natural",)},
    # development answerers: a third prompt style (keyword and question in the user turn, no
    # substitution) that never builds the table; tables/reliability.py measures against it how an
    # unseen prompt answers the table's cells (natural questions) and the letter questions
    "dev": {"model": "models/qwen1.5b", "prompt": "zs", "quantize": None, "limit": 20,
            "kinds": ("natural",), "name": "qwen1.5b-zs-dev", "role": "dev"},
    "dev_letters": {"model": "models/qwen1.5b", "prompt": "zs", "quantize": None, "limit": 10,
                    "kinds": ("spelling", "alpha"), "name": "qwen1.5b-zs-dev-letters", "role": "dev"},
    # a second development prompt of another layout (plain text, few-shot lines, no chat template)
    # on the same 20 keywords: with two unseen-to-the-table prompts, how far apart prompts are
    # (global and per-question yes-bias) is measured rather than read off one pair
    "dev_plain": {"model": "models/qwen1.5b", "prompt": "plain", "quantize": None, "limit": 20,
                  "kinds": ("natural",), "name": "qwen1.5b-plain-dev", "role": "dev"},
    # path cells (tables/path_cells.py): the main prompt on the cells the agent asks a thing, for
    # things with no bank row; sparse shards, the main source's calibration, put into a table only
    # through tables.default_table's path_keywords (never a completion training row)
    "path": {"model": "models/qwen1.5b", "prompt": "qf_sub", "quantize": None, "limit": None,
             "kinds": ("natural",), "name": "qwen1.5b-qf_sub-path", "role": "path"},
}
MAIN, SECOND, PATH = "main", "chat", "path"


def dev_sources() -> list[str]:
    """Names of the development sources (never averaged into a table)."""
    return [p["name"] for p in SOURCES.values() if p.get("role") == "dev"]


def path_source() -> str | None:
    """The path cells' source name (tables/path_cells.py); None when SOURCES has no path preset."""
    return SOURCES.get(PATH, {}).get("name")


def table_sources(root=None) -> list[str]:
    """The bank's sources that build tables as whole rows: every committed source but the
    development ones and the path cells (a table takes those through its own option)."""
    skip = set(dev_sources()) | {path_source()}
    return [s for s in list_sources(_root(root)) if s not in skip]


def table_banks(root=None, main_source: str | None = None, other_sources: list[str] | None = None,
                bank_keywords: int | None = None):
    """The sources a table is built from, loaded with their check-set calibrations.

    ``main_source``: the main preset's source unless given; ``other_sources``: the rest of
    :func:`table_sources` unless given (in its order; the first is the softness floor's second
    prompt); ``bank_keywords``: keep the main bank's first N keywords (the bank as it stood at N).
    Returns ``(main_source, other_sources, banks, calibrations)``; ``banks`` and ``calibrations``
    map source name -> AnswerBank / Platt calibration (or None), main source first."""
    r = _root(root)
    main_source = main_source or make_job(MAIN, root=r).source
    if other_sources is None:
        other_sources = [s for s in table_sources(r) if s != main_source]
    banks = {s: load_bank(r / s) for s in [main_source, *other_sources]}
    if bank_keywords is not None:
        banks[main_source] = banks[main_source].head(bank_keywords)
    cals = {s: calibration(s, root=r) for s in banks}
    return main_source, list(other_sources), banks, cals


def _root(root) -> Path:
    return Path(root) if root is not None else ROOT


# --- keywords and hold-out -----------------------------------------------------------------------


def read_holdout(path=HOLDOUT) -> list[str]:
    """The development hold-out: public things that never enter the bank."""
    p = Path(path)
    if not p.exists():
        raise BankError(f"{p}: file not found (run scripts/answer_bank.py --make-keywords)")
    return read_bank_keywords(p)["keyword"].tolist()


def make_keywords(root=None, n_prior: int = 230, n_public: int = 80, n_holdout: int = 100, seed: int = 0,
                  holdout_path=HOLDOUT) -> dict:
    """Write the hold-out (``n_holdout`` public things, seeded) and the bank's keyword list.

    Refuses to overwrite either: both are fixed once answers depend on them (extend the list by
    appending rows instead).
    """
    root = _root(root)
    kw_path = root / "keywords.csv"
    for p in (kw_path, Path(holdout_path)):
        if p.exists():
            raise BankError(f"{p}: exists; the bank's answers depend on it (append rows to extend it)")
    public = pd.read_csv(PUBLIC, dtype=str, keep_default_na=False)["keyword"].tolist()
    rng = np.random.default_rng(seed)
    held = sorted(rng.choice(public, size=n_holdout, replace=False).tolist(), key=str.lower)
    universe = pd.read_csv(UNIVERSE, dtype=str, keep_default_na=False)
    things = universe[~universe["category"].isin(PLACES)].reset_index(drop=True)
    from tables.answer_bank import sample_bank_keywords

    kws = sample_bank_keywords(things, public, held, n_prior=n_prior, n_public=n_public, seed=seed + 1)
    Path(holdout_path).parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"keyword": held}).to_csv(holdout_path, index=False)
    root.mkdir(parents=True, exist_ok=True)
    kws.to_csv(kw_path, index=False)
    return {"keywords": kw_path, "holdout": Path(holdout_path)}


def add_keywords(candidates: pd.DataFrame, n: int, origin: str, root=None, holdout_path=HOLDOUT) -> pd.DataFrame:
    """Append up to ``n`` of ``candidates`` (keyword, category, prior; in the order given) to the
    bank's keyword list with ``origin``, skipping keywords already listed and any keyword a guess
    of a hold-out thing would win against (the referee's rule, :class:`planner.matching.GuessIndex`),
    so the hold-out stays out of the bank. The scored shards stay valid (their keywords are the
    list's first rows); the pending ones are what ``--extend`` scores next. Writes atomically;
    returns the rows added.
    """
    from planner.matching import GuessIndex
    from planner.table import atomic_write

    root = _root(root)
    kw_path = root / "keywords.csv"
    have = read_bank_keywords(kw_path)
    missing = [c for c in ("keyword", "category", "prior") if c not in candidates.columns]
    if missing:
        raise BankError(f"candidates need columns keyword, category, prior; missing {missing}")
    held = read_holdout(holdout_path)
    index = GuessIndex(held, [[] for _ in held])
    listed = set(have["keyword"])
    rows = []
    for k, c, pr in zip(candidates["keyword"], candidates["category"], candidates["prior"]):
        if len(rows) >= n:
            break
        if k in listed or index.matches(str(k)):
            continue
        listed.add(k)
        rows.append({"keyword": k, "category": c, "prior": pr, "origin": origin})
    added = pd.DataFrame(rows, columns=["keyword", "category", "prior", "origin"])
    if len(added):
        out = pd.concat([have, added], ignore_index=True)
        atomic_write(kw_path, lambda f: out.to_csv(f, index=False))
    return added


# --- jobs -------------------------------------------------------------------------------------


def make_job(preset: str, root=None, model=None, prompt=None, quantize=None, name=None, limit=None,
             kinds=None, block_size: int = 20, batch_size: int = 64, threads: int = 2, device=None,
             dtype=None) -> BankJob:
    """The :class:`BankJob` of ``preset`` (a key of SOURCES; the other arguments override it) over
    the bank's keyword list. quantize: None keeps the preset's, "none" turns it off."""
    from tables.question_bank import question_bank
    from tables.scoring import ScorerSpec

    if preset not in SOURCES:
        raise BankError(f"unknown bank source {preset!r}; known: {sorted(SOURCES)}")
    pre = SOURCES[preset]
    quant = pre["quantize"] if quantize is None else (None if quantize == "none" else quantize)
    spec = ScorerSpec(model_dir=str(model or pre["model"]), prompt=prompt or pre["prompt"], quantize=quant,
                      batch_size=batch_size, num_threads=threads, device=device, dtype=dtype,
                      name=name or pre.get("name"))
    root = _root(root)
    keywords = read_bank_keywords(root / "keywords.csv")
    limit = pre["limit"] if limit is None else limit
    if limit is not None:
        keywords = keywords.iloc[:limit]
    questions = question_bank(kinds=tuple(kinds or pre["kinds"]))
    return BankJob(spec, keywords, questions, root=root, block_size=block_size)


# --- calibration and comparison ------------------------------------------------------------------


def calibration(source: str, root=None):
    """Platt calibration of ``source`` on its committed check-set scores, or None if it has none."""
    from tables.noise import calibrate_scores

    p = _root(root) / "calibration" / f"scores_{source}.csv"
    return calibrate_scores(p) if p.exists() else None


def shared_cells(a, b):
    """Logits of the cells two banks both scored: (la, lb) 1-D arrays, plus (keywords, qids) of each."""
    kb = {k: i for i, k in enumerate(b.keywords)}
    qb = {q: j for j, q in enumerate(b.qids)}
    ka = [i for i, k in enumerate(a.keywords) if k in kb]
    qa = [j for j, q in enumerate(a.qids) if q in qb]
    if not ka or not qa:
        return np.empty(0), np.empty(0), [], []
    A = a.logit[np.ix_(ka, qa)]
    B = b.logit[np.ix_([kb[a.keywords[i]] for i in ka], [qb[a.qids[j]] for j in qa])]
    m = ~np.isnan(A) & ~np.isnan(B)
    rows, cols = np.nonzero(m)
    return (A[m].astype(np.float64), B[m].astype(np.float64),
            [a.keywords[ka[r]] for r in rows], [a.qids[qa[c]] for c in cols])


def equal_rate_answers(x, rate: float) -> np.ndarray:
    """Hard answers from scores ``x`` with a yes rate of ``rate``: yes for the top ``rate`` share.

    >>> equal_rate_answers(np.array([0.1, 0.9, 0.5, 0.7]), 0.5).tolist()
    [False, True, False, True]
    """
    x = np.asarray(x, dtype=np.float64)
    n_yes = int(round(rate * len(x)))
    out = np.zeros(len(x), dtype=bool)
    if n_yes > 0:
        out[np.argsort(-x, kind="stable")[:n_yes]] = True
    return out


def compare_banks(a, b, rate: float | None = None) -> dict:
    """How two sources agree on their shared cells.

    rate: the common yes rate for ``agreement_equal_rate`` (both sources answer yes on their top
    ``rate`` share of cells); default: the second source's own yes rate at its raw 0.5.
    auc: source a's logit ranking source b's hard answers (raw 0.5), threshold-free.
    yes_a, yes_b: each source's raw yes rate (logit >= 0) on the shared cells.
    """
    from tables.noise import auc

    la, lb, kws, _ = shared_cells(a, b)
    if not len(la):
        return {"cells": 0}
    yes_b = lb >= 0
    r = float(yes_b.mean()) if rate is None else float(rate)
    ha, hb = equal_rate_answers(la, r), equal_rate_answers(lb, r)
    return {"cells": int(len(la)), "keywords": len(set(kws)),
            "rate": round(r, 4), "agreement_equal_rate": round(float((ha == hb).mean()), 4),
            "auc": round(float(auc(la, yes_b.astype(int))), 4),
            "agreement_raw": round(float(((la >= 0) == yes_b).mean()), 4),
            "yes_a": round(float((la >= 0).mean()), 4), "yes_b": round(float(yes_b.mean()), 4)}


def agreement_by_question(a, b, rate: float | None = None) -> pd.DataFrame:
    """Per question: cells, agreement at equal yes rates (global rate), each source's yes rate and
    Cohen's kappa = (agreement - chance) / (1 - chance), chance = ya yb + (1 - ya)(1 - yb): 0 when
    the two answer a question independently (an unanswerable question), 1 when always alike."""
    la, lb, _, qids = shared_cells(a, b)
    r = float((lb >= 0).mean()) if rate is None else rate
    ha, hb = equal_rate_answers(la, r), equal_rate_answers(lb, r)
    df = pd.DataFrame({"qid": qids, "agree": ha == hb, "yes_a": ha, "yes_b": hb})
    out = df.groupby("qid", sort=False).agg(cells=("agree", "size"), agreement=("agree", "mean"),
                                           yes_a=("yes_a", "mean"), yes_b=("yes_b", "mean")).reset_index()
    chance = out["yes_a"] * out["yes_b"] + (1 - out["yes_a"]) * (1 - out["yes_b"])
    out["kappa"] = np.where(chance < 1, (out["agreement"] - chance) / (1 - chance).clip(lower=1e-12), np.nan)
    return out


def prompt_pairs(banks: dict) -> pd.DataFrame:
    """Every pair of sources (natural-question banks, any roles) on their shared cells: one row a
    pair with cells, keywords, each one's raw yes rate there, raw agreement at 0.5, agreement at
    equal yes rates and AUC (:func:`compare_banks`)."""
    names = list(banks)
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            c = compare_banks(banks[a], banks[b])
            if not c["cells"]:
                continue
            rows.append({"a": a, "b": b, "cells": c["cells"], "keywords": c["keywords"],
                         "yes_a": c["yes_a"], "yes_b": c["yes_b"],
                         "agreement_raw": c["agreement_raw"], "agreement_equal_rate": c["agreement_equal_rate"],
                         "auc": c["auc"]})
    return pd.DataFrame(rows)


def question_agreement_transfer(banks: dict, min_cells: int = 10) -> pd.DataFrame:
    """Whether a question's cross-prompt agreement is a property of the question or of the pair:
    for every two pairs of sources, the correlation over questions of their per-question raw
    agreement (each question needs ``min_cells`` shared cells in both pairs). Rows: pair1, pair2,
    questions, corr."""
    names = list(banks)
    per = {}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            la, lb, _, qids = shared_cells(banks[a], banks[b])
            if len(la):
                d = pd.DataFrame({"qid": qids, "agree": (la >= 0) == (lb >= 0)}).groupby("qid")["agree"]
                per[f"{a} ~ {b}"] = d.mean()[d.size() >= min_cells]
    keys = list(per)
    rows = []
    for i, p1 in enumerate(keys):
        for p2 in keys[i + 1:]:
            j = per[p1].index.intersection(per[p2].index)
            if len(j) >= 3:
                x, y = per[p1][j].to_numpy(float), per[p2][j].to_numpy(float)
                c = float(np.corrcoef(x, y)[0, 1]) if x.std() > 0 and y.std() > 0 else float("nan")
                rows.append({"pair1": p1, "pair2": p2, "questions": int(len(j)), "corr": round(c, 4)})
    return pd.DataFrame(rows)


def leave_one_prompt_out(banks: dict, calibrations: dict | None = None) -> pd.DataFrame:
    """How well the other prompts predict one prompt's greedy answers, on the cells all of them
    scored: for each target source, AUC of each other source alone (its calibrated P when
    ``calibrations`` has one, else its raw P) and of the mean of all the others. Rows: target,
    predictor ("mean of others" for the average), cells, auc."""
    from tables.noise import auc

    names = list(banks)
    kws = sorted(set.intersection(*(set(b.keywords) for b in banks.values())))
    qids = [q for q in banks[names[0]].qids if all(q in set(b.qids) for b in banks.values())]
    if not kws or not qids:
        return pd.DataFrame(columns=["target", "predictor", "cells", "auc"])
    L = {s: b.grid(kws, qids) for s, b in banks.items()}
    ok = np.logical_and.reduce([~np.isnan(v) for v in L.values()])
    P = {}
    for s, v in L.items():
        raw = 1.0 / (1.0 + np.exp(-np.clip(np.where(ok, v, 0.0), -700, 700)))
        cal = (calibrations or {}).get(s)
        P[s] = cal(raw) if cal is not None else raw
    rows = []
    for t in names:
        y = (L[t][ok] >= 0).astype(int)
        others = [s for s in names if s != t]
        for s in others:
            rows.append({"target": t, "predictor": s, "cells": int(ok.sum()), "auc": round(float(auc(P[s][ok], y)), 4)})
        if len(others) > 1:
            m = np.mean([P[s][ok] for s in others], axis=0)
            rows.append({"target": t, "predictor": "mean of others", "cells": int(ok.sum()), "auc": round(float(auc(m, y)), 4)})
    return pd.DataFrame(rows)


def yes_rate_by_question(bank, calibrate=None, keywords=None) -> pd.DataFrame:
    """Per question of ``bank``: cells and mean P(yes) over ``keywords`` (default all scored ones).

    calibrate: a callable on raw P (a source's :class:`tables.noise.Calibration`); without one the
    hard raw answers (logit >= 0) are averaged. Over keywords drawn by prior this estimates the
    prior-weighted yes rate: the useful splitters are near 0.5.
    """
    rows = np.arange(len(bank.keywords))
    if keywords is not None:
        want = set(keywords)
        rows = np.array([i for i, k in enumerate(bank.keywords) if k in want], dtype=int)
    L = bank.logit[rows].astype(np.float64)
    m = ~np.isnan(L)
    P = calibrate(np.where(m, bank.P[rows], 0.5)) if calibrate is not None else (L >= 0).astype(np.float64)
    n = m.sum(0)
    rate = np.where(n > 0, np.where(m, P, 0.0).sum(0) / np.maximum(n, 1), np.nan)
    return pd.DataFrame({"qid": bank.qids, "cells": n, "yes_rate": rate})


# --- status ------------------------------------------------------------------------------------


def status(root=None) -> dict:
    """What the bank holds: the issue's headline figures plus a line per source. The headline
    (keywords, cells, cross-prompt agreement) counts natural questions only; ``per_source`` counts
    every question a source scored (the handshake too)."""
    from tables.question_bank import question_bank

    root = _root(root)
    nat = question_bank(kinds=("natural",))
    qids = nat["id"].tolist()
    main_name = make_job(MAIN, root=root).source if (root / "keywords.csv").exists() else None
    full = {s: load_bank(root / s) for s in list_sources(root)}
    banks = {s: b.select(qids) for s, b in full.items()}
    per = {}
    for s, b in full.items():
        per[s] = {"keywords": len(b.keywords), "questions": len(b.qids), "cells": b.cells,
                  "yes_rate_raw": round(float((b.logit[b.mask] >= 0).mean()), 4) if b.cells else None,
                  "calibrated": (root / "calibration" / f"scores_{main_name if s == path_source() else s}.csv").exists()}
    main = banks.get(main_name)
    path = banks.get(path_source())
    whole = set(table_sources(root))
    banks = {s: b for s, b in banks.items() if s in whole}       # the headline counts whole-row table sources
    agreement = {s: compare_banks(main, b) for s, b in banks.items() if main is not None and s != main_name}
    second = make_job(SECOND, root=root).source if main_name else None
    out = {"questions_natural": int(len(nat)),
           "main_source": main_name,
           "keywords": int(main.mask.all(axis=1).sum()) if main is not None else 0,
           "cells": main.cells if main is not None else 0,
           "sources": len(banks),
           "cross_prompt_agreement": agreement.get(second, {}).get("agreement_equal_rate"),
           "agreement": agreement,
           "per_source": per}
    if path is not None:
        out["path_keywords"] = len(path.keywords)
        out["path_cells"] = path.cells
    if (HOLDOUT).exists() and main is not None:
        held = set(read_holdout())
        out["holdout_in_bank"] = sum(k in held for b in [*banks.values(), *([path] if path else [])] for k in b.keywords)
    return out


def format_status(st: dict) -> str:
    lines = [f"natural questions: {st['questions_natural']}", f"sources: {st['sources']} (main: {st['main_source']})"]
    for s, d in st["per_source"].items():
        lines.append(f"  {s:32s} {d['keywords']:5d} keywords x {d['questions']:4d} questions, {d['cells']:7d} cells, "
                     f"raw yes rate {d['yes_rate_raw']}, calibrated: {d['calibrated']}")
    for s, d in st["agreement"].items():
        lines.append(f"  agreement with {s}: {d}")
    return "\n".join(lines)
