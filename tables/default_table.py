"""The default table, built from committed data only: the learned prior over the things universe,
the answer bank, the keyword embeddings and the measured letter-question rates.

    table, types, report = build_default_table(n_keywords=12000)

Steps (each reported in ``report``):

1. things of the universe that have an embedding (tables/embeddings/<model>/);
2. the pick-prior (tables/prior_model.py) on word statistics + embeddings, trained on the public
   things outside the development hold-out; cross-validated on halves of them;
3. the top ``n_keywords`` things by that prior (renormalized over the cut);
4. natural questions: bank cells (calibrated, averaged over prompt styles) and the completion
   model (tables/completion.py) fitted on every bank keyword, floored per question by the
   disagreement of the bank's two prompt styles (tables/answer_table.py); with
   ``soft_completion`` the completion cells are put on the measured cells' scale
   (:func:`completion_scale`: the model's own calibration targets the side of 0.5 a measured cell
   falls on, a table cell is the measured soft P(yes));
   Then, when the bank has the development source (a prompt that never builds a table), the
   natural cells pass through the measured map to what that unseen prompt answers
   (tables/reliability.py; bank and completion cells apart): the table is what an answerer the
   bank never saw says, not what the bank's own prompts say;
5. spelling and alphabetical questions for the cut, softened by the measured LLM rates (the mean
   of the prompts measured on letters); an ``exact`` answerer type answers them by code; with
   ``truthful_weight``, two more LLM types between the bank's own cells and the map.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
LETTER_RATES = HERE / "example_measured" / "noise.json"   # Qwen-1.5B vs the knowledge features, per kind


def letter_rates(path=LETTER_RATES) -> dict:
    """{kind: (t1, t0)} pooled rates of an LLM answerer on spelling and alpha questions."""
    by_kind = json.loads(Path(path).read_text())["by_kind"]
    return {k: (float(by_kind[k]["pooled_T1"]), float(by_kind[k]["pooled_T0"])) for k in ("spelling", "alpha")}


def handshake_rate(qids, sources) -> float | None:
    """Mean calibrated P(yes) of the bank's sources to the handshake question(s), or None if no
    source scored them (then the table leaves the handshake out)."""
    from tables.answer_table import bank_cells

    vals = []
    for bank, cal in sources:
        S, n = bank_cells(bank.keywords, qids, [(bank, cal)])
        vals += S[n > 0].tolist()
    return float(np.mean(vals)) if vals else None


def learned_prior(things: pd.DataFrame, Z: np.ndarray, public, holdout, l2: float = 0.1, seed: int = 0):
    """(log prior (n,), report): PickModel on [word features, embeddings] of ``things``.

    Positives: the public things outside ``holdout``. l2 = 0.1: halves CV on 32k embedded things
    gave median held-out ranks 2298 / 2083 / 1777 / 1754 at l2 = 1e-3 / 1e-2 / 0.1 / 1 (a top-k
    cosine similarity to the training positives as an extra feature: 1707, not kept). Report: halves CV of those, the ranks of the
    hold-out things under the final model, and the hand prior's figures on the same rows.
    """
    from planner.matching import normalize
    from tables.prior_model import PickModel, halves_cv, ranks, word_features
    from tables.universe import read_concreteness

    F = word_features(things, read_concreteness()).to_numpy(np.float64)
    X = np.hstack([F, Z])
    index = {}
    for i, k in enumerate(things["keyword"]):
        index.setdefault(normalize(k), i)
    held = {normalize(k) for k in holdout}
    pos = np.array(sorted({index[normalize(k)] for k in public if normalize(k) in index and normalize(k) not in held}))
    hpos = np.array(sorted({index[normalize(k)] for k in holdout if normalize(k) in index}), dtype=np.int64)
    cv = halves_cv(lambda: PickModel(l2=l2), X, pos, seed=seed)
    y = np.zeros(len(things))
    y[pos] = 1
    model = PickModel(l2=l2).fit(X, y)
    logp = model.log_prior(X)
    r, r0 = ranks(logp), ranks(F[:, 0])
    rep = {"things": int(len(things)), "positives": int(len(pos)), "cv_halves": cv,
           "holdout_in_universe": int(len(hpos)),
           "holdout_median_rank": float(np.median(r[hpos])) if len(hpos) else None,
           "holdout_top1000": float((r[hpos] <= 1000).mean()) if len(hpos) else None,
           "hand_prior_public_median_rank": float(np.median(r0[pos])),
           "hand_prior_holdout_median_rank": float(np.median(r0[hpos])) if len(hpos) else None}
    # what outranks the held-out things: the top of the prior outside the training positives
    # (docs/default_table.md: most are things as pickable as the public ones, often near-synonyms)
    top = np.argsort(-logp, kind="stable")[:1500]
    unl = top[~np.isin(top, np.concatenate([pos, hpos]))]
    rep["top1500"] = {"train_positives": int(np.isin(top, pos).sum()), "holdout": int(np.isin(top, hpos).sum()),
                      "unlabeled": int(len(unl)), "first_unlabeled": things["keyword"].iloc[unl[:40]].tolist()}
    return logp, rep


def prior_things(embeddings_dir=None, seed: int = 0):
    """The universe's things that have an embedding, and the learned prior over them:
    (things DataFrame (keyword, category, prior, alts, head_derived), log prior (n,), the prior's
    report, (names, Z) the whole embeddings dir)."""
    from tables import bank_sources as bs
    from tables.embeddings import PRIOR_SOURCE, ROOT as EMB_ROOT, load_embeddings, universe_things

    names, Z = load_embeddings(Path(embeddings_dir) if embeddings_dir else EMB_ROOT / PRIOR_SOURCE)
    zrow = {k: i for i, k in enumerate(names)}
    uni = pd.read_csv(bs.UNIVERSE, dtype=str, keep_default_na=False)
    things = universe_things()
    things = things[things["keyword"].isin(zrow)].reset_index(drop=True)
    things = things.merge(uni[["keyword", "alts", "head_derived"]], on="keyword", how="left")
    Zt = Z[[zrow[k] for k in things["keyword"]]]
    public = pd.read_csv(bs.PUBLIC, dtype=str, keep_default_na=False)["keyword"].tolist()
    logp, rep = learned_prior(things, Zt, public, bs.read_holdout(), seed=seed)
    return things, logp, rep, (names, Z)


def completion_features(source_dir, keywords) -> tuple:
    """(Z (n, dim), row index {keyword: row}, a label) of an embeddings dir for the completion model;
    ValueError naming the dir and the first missing ones when a keyword of ``keywords`` has no row."""
    from tables.embeddings import load_embeddings

    names, Z = load_embeddings(Path(source_dir))
    row = {k: i for i, k in enumerate(names)}
    missing = [k for k in keywords if k not in row]
    if missing:
        raise ValueError(f"{source_dir}: no embedding for {len(missing)} of the table's keywords, e.g. "
                         f"{missing[:5]} (embed them: scripts/embed_keywords.py, or cut fewer keywords)")
    with np.load(Path(source_dir) / "basis.npz", allow_pickle=False) as b:
        label = f"{Path(source_dir).name} ({str(b['template'])}, layers {b['layers'].tolist()})"
    return Z, row, label


def repo_path(path) -> str:
    """``path`` relative to the repository when inside it (a table's meta.json should not name where
    one machine keeps the repository), else as given."""
    repo = Path(__file__).resolve().parents[1]
    try:
        return str(Path(path).resolve().relative_to(repo))
    except ValueError:
        return str(path)


def from_repo_path(stored) -> Path:
    """The inverse of :func:`repo_path`: a repo-relative path as an absolute one (others as given)."""
    p = Path(stored)
    return p if p.is_absolute() else Path(__file__).resolve().parents[1] / p


def learned_things(embeddings_dir=None, seed: int = 0) -> pd.DataFrame:
    """Every thing with an embedding (keyword, category, prior = the universe's hand prior, ...),
    highest learned prior first: the order the default table cuts."""
    things, logp, _, _ = prior_things(embeddings_dir, seed=seed)
    return things.iloc[np.argsort(-logp, kind="stable")].reset_index(drop=True)


def learned_order(embeddings_dir=None, seed: int = 0) -> list:
    """The keywords of :func:`learned_things`, in its order."""
    return learned_things(embeddings_dir, seed=seed)["keyword"].tolist()


def refine_meta(main, cal, qids, floor, keywords, origin, bank_map=None) -> dict:
    """The table's ``meta["refine"]`` (tables/refine_llm.py): how a cell measured during a game is
    made the way the bank's main source made its cells. ``origin`` (N, Q) 1 where the table holds a
    bank cell; a keyword counts as measured when all its natural cells are."""
    from tables.refine_llm import RefineSpec

    prompt = (main.spec or {}).get("prompt")
    if not prompt:
        raise ValueError(f"bank source {main.source!r}: its spec names no prompt")
    full = np.asarray(origin).all(axis=1)
    return RefineSpec(prompt=prompt, source=main.source,
                      a=float(cal.a) if cal is not None else 1.0, b=float(cal.b) if cal is not None else 0.0,
                      floor={q: float(e) for q, e in zip(qids, floor)},
                      measured=[k for k, f in zip(keywords, full) if f],
                      bank_map=(float(bank_map.a), float(bank_map.b)) if bank_map is not None else None).to_meta()


def bank_training(keywords, qids, sources, Z, zrow) -> tuple[np.ndarray, np.ndarray]:
    """The completion model's training data: (X (n, F) embeddings, Y (n, Q) calibrated bank answers
    averaged over ``sources``) for the ``keywords`` (all in ``zrow``) that every question was
    scored for."""
    from tables.answer_table import bank_cells

    S, _ = bank_cells(keywords, qids, sources)
    full = ~np.isnan(S).any(axis=1)
    return Z[[zrow[k] for k in np.array(keywords)[full]]], S[full]


def mapped_cells(P, origin, maps, floor, lam: float = 1.0) -> np.ndarray:
    """(N, Q) float32: natural cells ``P`` through the unseen-prompt maps (``maps`` = (bank map,
    completion map), by ``origin`` 1/0), each map's parameters moved a fraction ``lam`` of the way
    from the identity (lam = 1: the measured map), clipped to [floor_q, 1 - floor_q]."""
    from tables.bias_types import map_cells

    moved = {k: (1 + lam * (m.a - 1), lam * m.b) for k, m in zip(("bank", "completion"), maps)}
    return map_cells(P, origin, moved, floor)


def unseen_prompt(train_kw, Z, zrow, qids, sources, floor, Model, seed: int = 0, bank_root=None) -> dict | None:
    """Maps from the table's natural cells to what a development prompt (never in the table) answers,
    and its letter rates (tables/reliability.py). None when the bank has no ``dev`` source.

    Bank cells: the dev keywords' cells averaged over ``sources`` and floored, as the table holds
    them. Completion cells: the completion model refitted without the dev keywords, predicting
    them, floored. Returns {"maps": (g_bank, g_comp), "letter_rates": {kind: ...} or None,
    "report": {...}}.
    """
    from tables import bank_sources as bs
    from tables.answer_bank import load_bank
    from tables.answer_table import bank_cells
    from tables.question_bank import question_bank
    from tables.reliability import fit_unseen_map, hard_answers, letter_features, letter_rates_measured

    root = Path(bank_root) if bank_root else bs.ROOT
    have = set(bs.list_sources(root))
    name, lname = bs.SOURCES["dev"]["name"], bs.SOURCES["dev_letters"]["name"]
    if name not in have:
        return None
    dev = load_bank(root / name)
    dkw = [k for k in dev.keywords if k in zrow]
    A = hard_answers(dev, dkw, qids)
    lo, hi = floor[None, :], 1 - floor[None, :]
    S, _ = bank_cells(dkw, qids, sources)
    g_bank, rep_bank = fit_unseen_map(np.clip(S, lo, hi), A)
    held = set(dkw)
    rest = [k for k in train_kw if k not in held]
    m = Model(seed=seed).fit(*bank_training(rest, qids, sources, Z, zrow))
    pred = np.clip(m.predict_proba(Z[[zrow[k] for k in dkw]]), lo, hi)
    g_comp, rep_comp = fit_unseen_map(pred, A)
    out = {"maps": (g_bank, g_comp), "letter_rates": None,
           "report": {"source": name, "prompt": bs.SOURCES["dev"]["prompt"], "keywords": len(dkw),
                      "bank_cells": rep_bank, "completion_cells": rep_comp}}
    lb = load_bank(root / lname) if lname in have else None
    if lb is not None and lb.cells:
        qb = question_bank(kinds=("spelling", "alpha")).set_index("id")
        lq = [q for q in lb.qids if q in qb.index]
        AL = hard_answers(lb, lb.keywords, lq)
        out["letter_rates"] = letter_rates_measured(AL, letter_features(lb.keywords, lq), qb.loc[lq, "kind"].to_numpy())
        out["report"]["letters"] = {"source": lname, "keywords": len(lb.keywords), **out["letter_rates"]}
    return out


def completion_scale(oof_kw, oof, qids, sources, floor) -> dict:
    """The completion cells' map onto the measured cells' scale (tables.completion.fit_cell_scale):
    out-of-fold predictions ``oof`` of the bank keywords ``oof_kw`` (tables.bias_types.oof_completion:
    5 folds by keyword, floored as the table's) against their measured cells (averaged over
    ``sources``, floored)."""
    from tables.answer_table import bank_cells
    from tables.completion import fit_cell_scale

    S, _ = bank_cells(oof_kw, qids, sources)
    f = np.asarray(floor, dtype=np.float64)[None, :]
    return fit_cell_scale(oof, np.where(np.isnan(S), np.nan, np.clip(S, f, 1 - f)))


def scaled(P, scale: dict, floor) -> np.ndarray:
    """(N, Q) float32: cells ``P`` through ``scale``'s Platt map, clipped to [floor_q, 1 - floor_q]."""
    from tables.noise import apply_platt

    f = np.asarray(floor, dtype=np.float64)[None, :]
    return np.clip(apply_platt(np.asarray(P, dtype=np.float64), scale["a"], scale["b"]), f, 1 - f).astype(np.float32)


def yes_bias_types(truthful, origin, qids, floor, oof_kw, oof, sources, bank_root=None,
                   exclude=(), per_question: bool = False) -> tuple[list, dict]:
    """([AnswererType], report): one type per greedy LLM source of the bank (the main prompt and,
    when the bank has it, the development prompt), its natural cells the table's calibrated cells
    through maps fitted to that source's greedy answers (tables/bias_types.py). ``exclude``: the
    development games' keywords (the second prompt style's), left out of every completion map fit;
    the second style itself is not a type (it answers the development games). The development
    prompt's keywords all lie among the second style's, so its map is fitted on them: its answers
    are its own, not the second style's that the development games play against. ``per_question``:
    each type also gets its source's yes-bias per question (tables/bias_types.py). ``oof_kw``, ``oof``:
    out-of-fold completion predictions of the bank keywords on the scale the table's completion
    cells are on (tables.bias_types.oof_completion, then :func:`scaled` when the table rescaled
    them), so the maps start from the cells the table holds."""
    from planner.types import AnswererType
    from tables import bank_sources as bs
    from tables.answer_bank import load_bank
    from tables.bias_types import fit_source_maps, map_cells

    root = Path(bank_root) if bank_root else bs.ROOT
    greedy = [sources[0][0]]
    if bs.SOURCES["dev"]["name"] in set(bs.list_sources(root)):
        greedy.append(load_bank(root / bs.SOURCES["dev"]["name"]))
    out, rep = [], {"oof_keywords": len(oof_kw), "types": {}}
    for bank in greedy:
        others = [(b, c) for b, c in sources if b.source != bank.source]
        fit = fit_source_maps(bank, others, oof_kw, oof, qids, floor,
                              exclude=exclude if bank.source == sources[0][0].source else (), per_question=per_question)
        pairs = fit["maps"]
        name = "llm_" + bank.source.split("-", 1)[-1]          # qwen1.5b-qf_sub -> llm_qf_sub
        out.append(AnswererType(name, 1.0, np.arange(len(qids)), map_cells(truthful, origin, pairs, floor), pairs))
        rep["types"][name] = fit["report"]
    return out, rep


def reweigh_llm_types(types, extra, llm_weight: float):
    """``types`` (llm + exact) with ``extra`` LLM types added, ``llm_weight`` split evenly over all
    LLM types (every type but ``exact``)."""
    from planner.types import AnswererType, AnswererTypes

    llm = [t for t in types.types if t.name != "exact"] + list(extra)
    w = llm_weight / len(llm)
    return AnswererTypes([AnswererType(t.name, w, t.cols, t.values, t.maps) for t in llm]
                         + [t for t in types.types if t.name == "exact"])


def build_default_table(n_keywords: int = 12000, *, bank_root=None, embeddings_dir=None, main_source=None,
                        other_sources=None, exact_weight: float = 0.2, completion: str = "kernel", seed: int = 0,
                        unseen: bool = True, truthful_weight: float = 0.0, bias_types: bool = False, per_question_bias: bool = False,
                        soft_completion: bool = False, completion_embeddings=None, bank_keywords: int | None = None,
                        completion_params: dict | None = None, shifts=None, shift_center_weight: float = 0.5,
                        path_keywords: int | None = None, path_rows: bool = False, progress=print):
    """(Table, AnswererTypes, report dict). See the module docstring.

    ``embeddings_dir``: the keyword embeddings the prior is learned on (and, by default, the
    completion's features); ``completion_embeddings``: another embeddings dir for the completion
    model's features (every cut keyword needs a row there; a bank keyword without one is left out of
    the completion's training, as with the prior's embeddings); ``bank_keywords``: use only the main
    source's first N keywords (the bank as it stood at N; docs/default_table.md section 18);
    ``completion_params``: keyword arguments of the completion model (e.g. ``{"taus": (1, 2)}``);
    ``shifts``: answerer types along this grid of yes-bias shifts (tables.bias_types.shift_types; 0,
    the table itself, gets ``shift_center_weight`` of the LLM types' weight); ``path_keywords``: the
    path cells (tables/path_cells.py) of the path source's first N keywords go into the table as the
    main source's cells would (its calibration); None: none. ``path_rows``: those path cells also train
    the completion, each question on the rows that measured it (tables/path_completion.py; the kernel
    completion only; docs/default_table.md section 34). The report's completion_cv is the bank rows'
    model either way."""
    from functools import partial

    from planner.table import make_table
    from tables import bank_sources as bs
    from tables.answer_bank import load_bank
    from tables.answer_table import (answerer_types, bank_cells, letter_columns, natural_columns,
                                     question_floor)
    from tables.completion import MODELS, cross_validate
    from tables.question_bank import question_bank

    if path_rows and not (path_keywords and completion == "kernel"):
        raise ValueError("path_rows needs path_keywords and the kernel completion")
    bank_root = Path(bank_root) if bank_root else bs.ROOT
    main_source, other_sources, banks, cals = bs.table_banks(bank_root, main_source, other_sources, bank_keywords)
    rep = {"n_keywords": n_keywords, "main_source": main_source, "other_sources": other_sources}

    # 1-2. things with an embedding, learned prior
    things, logp, rep["prior"], (names, Z) = prior_things(embeddings_dir, seed=seed)
    zrow = {k: i for i, k in enumerate(names)}
    progress(f"{len(things)} things with embeddings")

    # 3. the cut, and the completion's features of its keywords
    order = np.argsort(-logp, kind="stable")[:n_keywords]
    cut = things.iloc[order].reset_index(drop=True)
    if completion_embeddings is not None:
        Z, zrow, rep["completion_features"] = completion_features(completion_embeddings, cut["keyword"])
        rep["completion_embeddings"] = repo_path(completion_embeddings)
    Zc = Z[[zrow[k] for k in cut["keyword"]]]
    prior = np.exp(logp[order] - logp[order].max())
    prior /= prior.sum()
    rep["prior"]["cut_mass_of_universe"] = float(np.exp(logp[order]).sum())
    progress(f"prior: {json.dumps(rep['prior'])}")

    # 4. natural questions
    nat = question_bank(kinds=("natural",))
    qids = nat["id"].tolist()
    rep["bank_keywords"] = len(banks[main_source].keywords)
    sources = [(banks[s], cals[s]) for s in banks]
    main = banks[main_source]
    train_kw = [k for k in main.keywords if k in zrow]
    Xtr, Ytr = bank_training(train_kw, qids, sources, Z, zrow)
    labels = (Ytr >= 0.5).astype(float)
    Model = partial(MODELS[completion], **(completion_params or {}))
    if completion_params:
        rep["completion_params"] = {k: list(v) if isinstance(v, tuple) else v for k, v in completion_params.items()}
    cv = cross_validate(lambda: Model(seed=seed), Xtr, Ytr, folds=5, seed=seed, groups=nat["topic"].to_numpy(),
                        labels=labels)
    rep["completion_cv"] = {"model_name": completion, "keywords_cv": int(len(Xtr)),
                            **{k: cv[k] for k in ("model", "baseline")}, "by_kind": cv["by_kind"]}
    if not path_rows:
        model = Model(seed=seed).fit(Xtr, Ytr)
    if other_sources:
        per = bs.agreement_by_question(main.select(qids), banks[other_sources[0]].select(qids))
        floor = question_floor(per, qids, nat["topic"].tolist())
        rep["floor"] = {"from": other_sources[0], "p10": float(np.percentile(floor, 10)),
                        "p50": float(np.median(floor)), "p90": float(np.percentile(floor, 90))}
    else:
        raise ValueError("the softness floor needs a second bank source (a second prompt style)")
    cell_sources = sources
    if path_keywords:
        path = load_bank(bank_root / bs.path_source()).head(path_keywords)
        cell_sources = sources + [(path, cals[main_source])]      # same model and prompt as the main source
        in_cut = set(cut["keyword"])
        inside = [k for k in path.keywords if k in in_cut]
        rep["path_cells"] = {"source": path.source, "keywords": len(path.keywords), "in_cut": len(inside),
                             "cells": int((~np.isnan(path.grid(inside, qids))).sum())}
    if path_rows:
        from tables.path_completion import PathKernelCompletion

        pk = [k for k in path.keywords if k in zrow]
        Sp, _ = bank_cells(pk, qids, [(path, cals[main_source])])
        model = PathKernelCompletion(seed=seed, **(completion_params or {})).fit(
            np.vstack([Xtr, Z[[zrow[k] for k in pk]]]), np.vstack([Ytr, Sp]))
        rep["completion_path_rows"] = {"keywords": model.n_partial_, "cells": int(np.isfinite(Sp).sum()),
                                       "tau": float(model.tau_)}
        progress(f"completion with path rows: {json.dumps(rep['completion_path_rows'])}")
    P_nat, origin = natural_columns(cut["keyword"].tolist(), qids, Zc, cell_sources, model, floor)
    rep["bank_cells_in_table"] = int(origin.sum())
    if soft_completion or bias_types:           # out-of-fold predictions, computed once for both
        from tables.bias_types import oof_completion
        oof_kw, oof = oof_completion(train_kw, qids, sources, Z, zrow, Model, floor, seed=seed)
    if soft_completion:
        scale = completion_scale(oof_kw, oof, qids, sources, floor)
        rep["completion_scale"] = scale
        P_nat = np.where(origin == 0, scaled(P_nat, scale, floor), P_nat).astype(np.float32)
        oof = scaled(oof, scale, floor)          # the bias types' maps start from the table's scale
        progress(f"completion scale: {json.dumps(scale)}")
    progress(f"completion CV: {json.dumps(rep['completion_cv']['model'])}")
    majority = P_nat >= 0.5                    # the bank's side of 0.5: what an exact answerer says
    truthful = P_nat.copy()                    # the bank's calibrated cells, before the unseen-prompt map

    # 4b. what an answerer the table never saw says to those cells (a development prompt)
    rates = letter_rates()
    dev = None
    if unseen:
        dev = unseen_prompt(train_kw, Z, zrow, qids, sources, floor, Model, seed, bank_root)
        if dev is not None:
            rep["unseen_prompt"] = dev["report"]
            P_nat = mapped_cells(P_nat, origin, dev["maps"], floor)
            if dev["letter_rates"]:
                # two prompts measured on letters (sys_sub in noise.json, the dev prompt): an unseen
                # answerer is either, so the table holds their mean rates
                d = dev["letter_rates"]
                rates = {k: tuple((a + b) / 2 for a, b in zip(rates[k], (d[k]["t1"], d[k]["t0"]))) for k in rates}
            progress(f"unseen prompt: {json.dumps(rep['unseen_prompt'])}")
    rep["letter_rates"] = rates

    # 5. letters, and the handshake where the bank measured what an LLM says to it
    lq, F_l, P_l = letter_columns(cut["keyword"].tolist(), prior, rates)
    hs = question_bank(kinds=("handshake",))
    rate = handshake_rate(hs["id"].tolist(), sources)
    rep["handshake_llm_yes"] = rate
    if rate is None:
        hs = hs.iloc[:0]
    P_h = np.full((len(cut), len(hs)), rate if rate is not None else 0.5, dtype=np.float32)
    P = np.hstack([P_nat, P_l, P_h])
    questions = pd.concat([nat[["id", "text", "kind"]], lq, hs[["id", "text", "kind"]]], ignore_index=True)
    alts = [[a for a in str(s).split("|") if a] for s in cut["alts"].fillna("")]
    refine = refine_meta(main, cals[main_source], qids, floor, cut["keyword"].tolist(), origin,
                         dev["maps"][0] if unseen and dev is not None else None)
    table = make_table(cut["keyword"].tolist(), P, prior=prior, alts=alts, categories=cut["category"].tolist(),
                       questions=questions["text"].tolist(), kinds=questions["kind"].tolist(),
                       meta={"built_by": "tables.default_table", "report": rep, "refine": refine})
    table.questions["id"] = questions["id"].tolist()
    code = np.hstack([F_l, np.ones((len(cut), len(hs)), dtype=np.float32)])   # a code answerer: yes to the handshake
    base = np.hstack([majority, np.zeros((len(cut), len(questions) - len(nat)), dtype=bool)])
    tw = truthful_weight if "unseen_prompt" in rep else 0.0      # without the map it is the llm type
    if not 0 <= exact_weight + tw < 1:
        raise ValueError(f"exact_weight {exact_weight} + truthful_weight {tw} must leave the llm type a weight in (0, 1]")
    types = answerer_types(table, code, np.arange(len(nat), len(questions)), exact_weight=exact_weight,
                           llm_weight=1 - exact_weight - tw, majority=base)
    if tw > 0:
        # answerers between the bank's calibrated cells (lam = 0: a careful person, a large LLM) and
        # the unseen small-LLM prompt (lam = 1: the table itself), half the weight each at lam = 0
        # and 0.5; which one a game faces, its answers tell (the belief is joint over types)
        from planner.types import AnswererType, AnswererTypes

        half = mapped_cells(truthful, origin, dev["maps"], floor, lam=0.5)
        types = AnswererTypes(types.types + [AnswererType("truthful", tw / 2, np.arange(len(nat)), truthful),
                                             AnswererType("llm_half", tw / 2, np.arange(len(nat)), half)])
    if bias_types:
        if tw > 0:
            raise ValueError("bias_types and truthful_weight are two designs of the LLM types: choose one")
        extra, rep["bias_types"] = yes_bias_types(truthful, origin, qids, floor, oof_kw, oof, sources, bank_root,
                                                  exclude=banks[other_sources[0]].keywords,
                                                  per_question=per_question_bias)
        types = reweigh_llm_types(types, extra, llm_weight=1 - exact_weight)
        progress(f"bias types: {json.dumps(rep['bias_types'])}")
    if shifts is not None:
        if tw > 0 or bias_types:
            raise ValueError("shifts, bias_types and truthful_weight are three designs of the LLM types: choose one")
        from planner.types import AnswererTypes
        from tables.bias_types import shift_types

        grid = shift_types(P_nat, floor, shifts, llm_weight=1 - exact_weight, center_weight=shift_center_weight)
        types = AnswererTypes(grid + [t for t in types.types if t.name == "exact"])
        rep["shift_types"] = {t.name: t.weight for t in types.types}
        progress(f"shift types: {json.dumps(rep['shift_types'])}")
    rep["questions"] = {k: int(v) for k, v in questions["kind"].value_counts().items()}
    return table, types, rep
