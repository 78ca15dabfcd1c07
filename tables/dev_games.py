"""Development games without an LLM: bank keywords played as if they were outside the bank.

The second prompt style's keywords (``chat``, sys_sub) are taken out of the table's knowledge: their
natural cells become the completion model's predictions from a model fitted without them, as a
hold-out thing's cells are. They are then played against the second style's own greedy answers
(yes when its yes-vs-no margin is positive, as an LLM answerer decodes), letter questions drawn
from the table's LLM rates. The main source's cells of those keywords stand in for what an LLM
would measure during the game (planner/refine.py), so refinement can be tried with no LLM run.
Nothing here touches the live-evaluation prompt.

    setup = dev_setup(table)            # table with the dev keywords' cells predicted, answerer, measure
    play_games(setup.table, "greedy", setup.answerer, setup.keywords, types=..., refiner=setup.refiner(8, 8))
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np


@dataclass
class DevSetup:
    """table: a copy of the table with the dev keywords' natural cells predicted; keywords: the dev
    keywords; answerer: callable (keyword, question text) -> "yes" | "no"; measure: the refiner's
    callable; refinable (Q,), measured (K,): as planner.refine.Refiner wants them; report: counts
    and the answerer's yes rate; types: the table's answerer types with the dev keywords' mapped
    cells recomputed from the predictions (None when none were given)."""
    table: object
    keywords: list
    answerer: object
    measure: object
    refinable: np.ndarray
    measured: np.ndarray
    report: dict
    types: object = None

    def refiner(self, top: int, budget: int):
        from planner.refine import Refiner
        return Refiner(self.measure, self.refinable, self.measured, top=top, budget=budget) if top and budget else None


def table_floor(table, qids) -> np.ndarray:
    """(len(qids),) the per-question softness floor the table was built with (its
    ``meta["refine"]["floor"]``, tables/default_table.py); ValueError when the table has none."""
    fl = ((table.meta or {}).get("refine") or {}).get("floor")
    missing = [q for q in qids if fl is None or q not in fl]
    if missing:
        raise ValueError(f"table {table.hash[:12]}: no softness floor in its meta for {len(missing)} natural "
                         f"question(s), e.g. {missing[0]!r} (a table of tables/default_table.py has one)")
    return np.array([float(fl[q]) for q in qids], dtype=np.float64)


def dev_setup(table, types=None, bank_root=None, embeddings_dir=None, completion: str = "kernel", seed: int = 0) -> DevSetup:
    """See the module docstring. ``table``: a default table (tables/default_table.py) with question ids;
    ``types``: its answerer types; a type with maps (tables/bias_types.py) gets the dev keywords'
    natural cells as the completion map of the predictions, as a hold-out thing's are."""
    from tables import bank_sources as bs
    from tables.answer_bank import load_bank
    from tables.completion import MODELS
    from tables.default_table import bank_training, from_repo_path
    from tables.embeddings import PRIOR_SOURCE, ROOT as EMB_ROOT, load_embeddings
    from tables.refine_llm import RefineSpec, cell_probability

    root = bs._root(bank_root)
    main = load_bank(root / bs.make_job(bs.MAIN, root=root).source)
    chat = load_bank(root / bs.make_job(bs.SECOND, root=root).source)
    cm, cc = bs.calibration(main.source, root=root), bs.calibration(chat.source, root=root)
    names = table.names
    row = {n: i for i, n in enumerate(names)}
    nat = (table.questions["kind"] == "natural").to_numpy()
    ncol = np.flatnonzero(nat)
    qids = table.questions["id"].astype(str).tolist()
    nat_ids = [qids[j] for j in ncol]
    test = [k for k in chat.keywords if k in row and k in set(main.keywords)]
    if not test:
        raise ValueError(f"no keyword of the second source {chat.source!r} is in the table ({table.K} keywords)")
    held = set(test)
    train = [k for k in main.keywords if k not in held]
    floor = table_floor(table, nat_ids)
    report = (table.meta or {}).get("report") or {}
    stored = report.get("completion_embeddings")           # repo-relative (tables.default_table.repo_path)
    if embeddings_dir is None and stored:
        embeddings_dir = from_repo_path(stored)
    enames, Z = load_embeddings(embeddings_dir or EMB_ROOT / PRIOR_SOURCE)
    zr = {k: i for i, k in enumerate(enames)}
    train = [k for k in train if k in zr]
    X, Y = bank_training(train, nat_ids, [(main, cm), (chat, cc)], Z, zr)
    model = MODELS[completion](seed=seed).fit(X, Y)
    pred = np.clip(model.predict_proba(Z[[zr[k] for k in test]]), floor, 1 - floor)
    scale = report.get("completion_scale")
    if scale is not None:                                  # the table's completion cells are on this scale
        from tables.default_table import scaled
        pred = scaled(pred, scale, floor)
    from planner.table import make_table
    P = np.array(table.P, dtype=np.float32, copy=True)
    P[np.ix_([row[k] for k in test], ncol)] = pred
    t2 = make_table(names, P, prior=table.prior, alts=table.keywords["alts"].tolist(),
                    questions=table.questions["text"].tolist(), kinds=table.questions["kind"].tolist(),
                    meta={"built_by": "tables.dev_games", "from": table.hash})
    t2.questions["id"] = qids
    if types is not None:
        from planner.types import AnswererType, AnswererTypes
        from tables.bias_types import map_cells

        rows = [row[k] for k in test]
        new = []
        for ty in types.types:
            if ty.maps and len(ty.cols):
                pos = {int(c): i for i, c in enumerate(ty.cols)}
                if not all(int(c) in pos for c in ncol):
                    raise ValueError(f"type {ty.name!r} has maps but does not replace every natural column")
                v = np.array(ty.values, dtype=np.float32, copy=True)
                v[np.ix_(rows, [pos[int(c)] for c in ncol])] = map_cells(pred, np.zeros_like(pred), ty.maps, floor)
                ty = AnswererType(ty.name, ty.weight, ty.cols, v, ty.maps)
            new.append(ty)
        types = AnswererTypes(new)
        types.check(t2)
    margin = chat.grid(test, nat_ids)                      # (n, nQ) the second style's margins
    texts = t2.questions["text"].tolist()
    col = {t: j for j, t in enumerate(texts)}
    npos = {c: j for j, c in enumerate(ncol)}
    trow = {k: i for i, k in enumerate(test)}

    def answerer(keyword: str, text: str) -> str:
        j = col[text]
        if j in npos:
            return "yes" if margin[trow[keyword], npos[j]] > 0 else "no"
        u = np.random.default_rng([zlib.crc32(keyword.encode("utf-8")), j]).random()
        return "yes" if u < P[row[keyword], j] else "no"

    L_main = main.grid(names, nat_ids)                     # (K, nQ), NaN where the main source has none
    spec = RefineSpec(main.spec.get("prompt", ""), main.source, cm.a if cm else 1.0, cm.b if cm else 0.0, {}, [])

    def measure(k, q):
        c = np.array([npos[int(x)] for x in q])
        lg = L_main[np.asarray(k), c]
        if not np.isfinite(lg).all():
            raise ValueError("dev measure asked for a cell the main source never scored")
        return cell_probability(lg, spec, floor[c])

    # only keywords the main source scored can be measured here: every other row counts as measured
    # (never refined); in a live game the LLM measures them too (docs say what this flatters)
    measured = np.isnan(L_main).any(axis=1) | np.isin(names, train)
    ok = ~np.isnan(margin)
    rep = {"keywords": len(test), "train_keywords": int(len(X)), "refinable_rows": int((~measured).sum()),
           "answerer_yes_rate": float((margin[ok] > 0).mean()), "table_mean_p": float(pred.mean())}
    return DevSetup(t2, test, answerer, measure, nat.copy(), measured, rep, types)
