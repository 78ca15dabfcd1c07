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

    def refiner(self, top: int, budget: int, rule: str = "leaders", turns: str = "guess"):
        from planner.refine import Refiner
        return (Refiner(self.measure, self.refinable, self.measured, top=top, budget=budget, rule=rule, P=self.table.P,
                        turns=turns) if top and budget else None)


def table_floor(table, qids) -> np.ndarray:
    """(len(qids),) the per-question softness floor the table was built with (its
    ``meta["refine"]["floor"]``, tables/default_table.py); ValueError when the table has none."""
    fl = ((table.meta or {}).get("refine") or {}).get("floor")
    missing = [q for q in qids if fl is None or q not in fl]
    if missing:
        raise ValueError(f"table {table.hash[:12]}: no softness floor in its meta for {len(missing)} natural "
                         f"question(s), e.g. {missing[0]!r} (a table of tables/default_table.py has one)")
    return np.array([float(fl[q]) for q in qids], dtype=np.float64)


def _banks(bank_root=None):
    """(root, main bank, second-style bank, their calibrations)."""
    from tables import bank_sources as bs
    from tables.answer_bank import load_bank

    root = bs._root(bank_root)
    main = load_bank(root / bs.make_job(bs.MAIN, root=root).source)
    chat = load_bank(root / bs.make_job(bs.SECOND, root=root).source)
    return root, main, chat, bs.calibration(main.source, root=root), bs.calibration(chat.source, root=root)


def predicted_cells(table, splits, bank_root=None, embeddings_dir=None, completion: str = "kernel",
                    seed: int = 0, banks=None) -> list[tuple[np.ndarray, int]]:
    """For each (held, train) of ``splits``, (cells, n): (len(held), natural questions) the completion
    model's cells for the ``held`` keywords, fitted on the bank's ``train`` keywords (main and
    second-style answers averaged, as the table's completion is), clipped to the table's per-question
    floor and put on the table's completion scale when it has one: the cells ``held`` would have if
    the bank had never scored them. Features: the table's stored completion embeddings unless
    ``embeddings_dir`` is given. n: training keywords used (those of ``train`` with a feature and every
    natural question answered). The banks and the features are read once for all splits (``banks``:
    what :func:`_banks` returned, when the caller has read them already)."""
    from tables.completion import MODELS
    from tables.default_table import bank_training, from_repo_path, scaled
    from tables.embeddings import PRIOR_SOURCE, ROOT as EMB_ROOT, load_embeddings

    _, main, chat, cm, cc = banks if banks is not None else _banks(bank_root)
    qids = table.questions["id"].astype(str).tolist()
    nat_ids = [q for q, kind in zip(qids, table.questions["kind"]) if kind == "natural"]
    floor = table_floor(table, nat_ids)
    report = (table.meta or {}).get("report") or {}
    stored = report.get("completion_embeddings")           # repo-relative (tables.default_table.repo_path)
    if embeddings_dir is None and stored:
        embeddings_dir = from_repo_path(stored)
    enames, Z = load_embeddings(embeddings_dir or EMB_ROOT / PRIOR_SOURCE)
    zr = {k: i for i, k in enumerate(enames)}
    scale = report.get("completion_scale")
    out = []
    for held, train in splits:
        missing = [k for k in held if k not in zr]
        if missing:
            raise ValueError(f"no completion feature for {len(missing)} held keyword(s), e.g. {missing[:3]}")
        X, Y = bank_training([k for k in train if k in zr], nat_ids, [(main, cm), (chat, cc)], Z, zr)
        model = MODELS[completion](seed=seed).fit(X, Y)
        pred = np.clip(model.predict_proba(Z[[zr[k] for k in held]]), floor, 1 - floor)
        out.append(((scaled(pred, scale, floor) if scale is not None else pred), int(len(X))))
    return out


def with_cells(table, types, held, pred):
    """(table, types): copies with the natural cells of the ``held`` keywords replaced by ``pred``
    ((len(held), natural questions)); a type with maps (tables/bias_types.py) gets them as the
    completion map of ``pred``, as a hold-out thing's are. ``types`` may be None."""
    from planner.table import with_P

    row = {n: i for i, n in enumerate(table.names)}
    ncol = np.flatnonzero((table.questions["kind"] == "natural").to_numpy())
    qids = table.questions["id"].astype(str).tolist()
    rows = [row[k] for k in held]
    P = np.array(table.P, dtype=np.float32, copy=True)
    P[np.ix_(rows, ncol)] = pred
    t2 = with_P(table, P, {"built_by": "tables.dev_games", "from": table.hash})
    if types is None:
        return t2, None
    from planner.types import AnswererType, AnswererTypes
    from tables.bias_types import map_cells

    floor = table_floor(table, [qids[j] for j in ncol])
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
    return t2, types


def bank_predicted(table, types=None, folds: int = 5, bank_root=None, embeddings_dir=None,
                   completion: str = "kernel", seed: int = 0):
    """(table, types, keywords): every main-bank keyword of the table with its natural cells
    predicted out of fold (``folds`` seeded folds; each fold's model fitted on the other folds'
    bank keywords): the table as if the bank had measured none of them, to replay games of bank
    things as hold-out things (scripts/live_replay.py --bank-predicted)."""
    banks = _banks(bank_root)
    main = banks[1]
    inside = set(table.names)
    kws = [k for k in main.keywords if k in inside]
    if len(kws) < folds:
        raise ValueError(f"only {len(kws)} main-bank keyword(s) in the table: too few for {folds} folds")
    part = np.random.default_rng(seed).permutation(len(kws)) % folds
    outside = [k for k in main.keywords if k not in inside]
    splits = [([k for k, p in zip(kws, part) if p == f], [k for k, p in zip(kws, part) if p != f] + outside)
              for f in range(folds)]
    preds = predicted_cells(table, splits, bank_root, embeddings_dir, completion, seed, banks=banks)
    held = [k for test, _ in splits for k in test]
    t2, types2 = with_cells(table, types, held, np.vstack([p for p, _ in preds]))
    return t2, types2, held


def bank_measure(built, predicted, held, bins: int = 20, seed: int = 0):
    """The measuring callable for replaying refinement on a :func:`bank_predicted` table.

    built / predicted: the table as built and its bank-predicted copy (same rows and columns);
    held: the bank keywords predicted there. Measuring a ``held`` keyword's natural cell gives its
    cell in ``built`` (the bank's measurement). Any other keyword's gives a draw, fixed by
    (seed, keyword, question), from the measured cells of held keywords whose predicted cell falls
    in the same of ``bins`` quantile bins of the predicted cells: what measuring a thing the bank
    never scored does to its predicted cell on average, independent of the answers (a real
    measurement of a rival similar to the keyword would fit the answers better than such a draw).
    Returns measure(keywords (n,) int, cols (n,) int) -> (n,) P."""
    row = {n: i for i, n in enumerate(built.names)}
    hr = np.array([row[k] for k in held], dtype=np.int64)
    nc = np.flatnonzero((built.questions["kind"] == "natural").to_numpy())
    pp = np.asarray(predicted.P[np.ix_(hr, nc)], dtype=np.float64).ravel()
    mm = np.asarray(built.P[np.ix_(hr, nc)], dtype=np.float64).ravel()
    edges = np.quantile(pp, np.linspace(0, 1, bins + 1))
    which = np.clip(np.searchsorted(edges, pp, side="right") - 1, 0, bins - 1)
    pools = [mm[which == b] for b in range(bins)]
    is_held = np.zeros(built.K, dtype=bool)
    is_held[hr] = True

    def measure(keywords, cols):
        out = np.empty(len(keywords), dtype=np.float64)
        for i, (k, q) in enumerate(zip(np.asarray(keywords).tolist(), np.asarray(cols).tolist())):
            if is_held[k]:
                out[i] = built.P[k, q]
                continue
            b = int(np.clip(np.searchsorted(edges, float(predicted.P[k, q]), side="right") - 1, 0, bins - 1))
            pool = pools[b] if len(pools[b]) else mm
            out[i] = pool[np.random.default_rng([seed, k, q]).integers(len(pool))]
        return out

    return measure


def dev_setup(table, types=None, bank_root=None, embeddings_dir=None, completion: str = "kernel", seed: int = 0) -> DevSetup:
    """See the module docstring. ``table``: a default table (tables/default_table.py) with question ids;
    ``types``: its answerer types; a type with maps (tables/bias_types.py) gets the dev keywords'
    natural cells as the completion map of the predictions, as a hold-out thing's are."""
    from tables.refine_llm import RefineSpec, cell_probability

    root, main, chat, cm, cc = _banks(bank_root)
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
    [(pred, n_train)] = predicted_cells(table, [(test, train)], root, embeddings_dir, completion, seed)
    t2, types = with_cells(table, types, test, pred)
    P = t2.P
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
    rep = {"keywords": len(test), "train_keywords": n_train, "refinable_rows": int((~measured).sum()),
           "answerer_yes_rate": float((margin[ok] > 0).mean()), "table_mean_p": float(pred.mean())}
    return DevSetup(t2, test, answerer, measure, nat.copy(), measured, rep, types)
