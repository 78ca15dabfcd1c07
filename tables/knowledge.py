"""Yes/no questions from structured knowledge, their 0/1 features, and the softened table P.

Kinds (each question: id, text, kind):

- ``category``: WordNet hypernym membership worded naturally ("Is it a kind of container?"),
  hand-worded for the top categories ("Is it a man-made object?"); WordNet jargon is skipped.
- ``place``: place type, continent, subregion, country, population class, capital, landlocked.
- ``spelling``: first letter, first two letters, letter ranges, contains/ends with a letter,
  number of words, length.
- ``alpha``: ``Does the keyword (in lowercase) precede "laptop" in alphabetical order?``

Features F (K, Q) are in [0, 1] (a fraction where a word has several senses). The table is
``P = F * (1 - e_q) + (1 - F) * e_q`` with a per-question noise e_q: per-kind defaults
(:data:`DEFAULT_NOISE`) unless a measured per-question value is given (see :func:`soften`).
"""
from __future__ import annotations

import re
import string

import numpy as np
import pandas as pd

DEFAULT_NOISE = {"spelling": 0.02, "alpha": 0.02, "category": 0.10, "place": 0.08}
HEAD_SHRINK = 0.8        # phrases resolved through their head word: F -> 0.5 + HEAD_SHRINK * (F - 0.5)
MIN_LEMMA_ZIPF = 2.8     # an ambiguous lemma naming a category is at least this frequent (wordfreq zipf)
MIN_PLAIN_ZIPF = 2.5     # an unambiguous one (its first sense is the category) at least this frequent
MIN_RARE_ZIPF = 2.0      # ... or this frequent when the ambiguous ones use a rare sense
SHALLOW_RANK = 3         # senses beyond the first SHALLOW_RANK of a word are rare senses
MIN_DISAMBIG_ZIPF = 3.0  # the bracketed word telling the sense of an ambiguous one ("crane (bird)")
DISAMBIG_RANK = 2        # ... names its synset in one of its first DISAMBIG_RANK senses
DISAMBIG_LEVELS = 8      # hypernym levels searched for that word
PLACES = ("country", "city", "landmark", "region")

# WordNet categories that mean nothing to a player; never asked.
JARGON = frozenset("""
entity physical_entity abstraction abstract_entity object physical_object whole unit thing matter
instrumentality instrumentation causal_agent causal_agency cause part portion relation attribute group
grouping measure psychological_feature being chordate craniate placental eutherian eutherian_mammal
artefact material_body unit_of_measurement content component constituent element collection
component_part stuff piece creation process sequence point flow layer vertical agent building_block
communication solid physical_phenomenon organic_phenomenon give-and-take methane_series natural_process
cognition act action activity state condition quality property shape form way means system
""".split())
# Hand wording for top categories, keyed by the synset's first lemma.
HAND_TEXT = {
    "artifact": "Is it a man-made object?", "animal": "Is it an animal?", "plant": "Is it a plant?",
    "food": "Is it food or something you eat?", "foodstuff": "Is it a food ingredient?",
    "beverage": "Is it a drink?", "body_part": "Is it a part of the body?",
    "organism": "Is it a living thing?", "instrumentality": "Is it a tool, device or piece of equipment?",
    "device": "Is it a device?", "container": "Is it a container?",
    "structure": "Is it a building or structure?", "covering": "Is it a covering of some kind?",
    "commodity": "Is it something people buy and sell as goods?", "substance": "Is it a substance or material?",
    "matter": "Is it a substance or material?", "natural_object": "Is it a natural object (not made by people)?",
    "clothing": "Is it a piece of clothing?", "furniture": "Is it a piece of furniture?",
    "vehicle": "Is it a vehicle?", "musical_instrument": "Is it a musical instrument?",
    "implement": "Is it a tool or implement?", "equipment": "Is it a piece of equipment?",
    "electronic_equipment": "Is it electronic equipment?", "machine": "Is it a machine?",
    "vascular_plant": "Is it a plant with leaves and stems?", "woody_plant": "Is it a woody plant such as a tree or shrub?",
    "vertebrate": "Is it an animal with a backbone?", "invertebrate": "Is it an animal without a backbone?",
    "mammal": "Is it a mammal?", "bird": "Is it a bird?", "fish": "Is it a fish?", "insect": "Is it an insect?",
    "reptile": "Is it a reptile?", "dish": "Is it a prepared dish?", "fruit": "Is it a fruit?",
    "vegetable": "Is it a vegetable?", "document": "Is it a document or printed item?",
    "chemical_element": "Is it a chemical element?", "natural_phenomenon": "Is it a natural phenomenon?",
    "person": "Is it a person?", "location": "Is it a location?", "living_thing": "Is it a living thing?",
}
_PUNCT = str.maketrans("", "", string.punctuation + " ")


def question_frame(rows) -> pd.DataFrame:
    """DataFrame(id, text, kind) from [(id, text, kind)]; raises on duplicate ids."""
    df = pd.DataFrame(list(rows), columns=["id", "text", "kind"])
    dup = df["id"].duplicated()
    if dup.any():
        raise ValueError(f"duplicate question id {df['id'][dup].iloc[0]!r}")
    return df


# --- category questions --------------------------------------------------------------------------

def lemma_for(wn, offset: int, zipf) -> str | None:
    """The plain lemma naming a synset best, or None when only jargon or rare words name it.

    Non-jargon lemmas are ranked in tiers, the most frequent first within a tier:
    1. unambiguous (this synset is the lemma's first noun sense), zipf >= MIN_PLAIN_ZIPF
       ("woodwind" over "wood");
    2. ambiguous with this synset among its first SHALLOW_RANK senses, zipf >= MIN_LEMMA_ZIPF;
    3. unambiguous, zipf >= MIN_RARE_ZIPF ("contractile organ" rather than "contractor");
    4. ambiguous with this synset a rarer sense, zipf >= MIN_LEMMA_ZIPF.
    An ambiguous lemma needs a disambiguator (:func:`disambiguator`).
    """
    best, best_key = None, None
    for lem in wn.synsets[offset].lemmas:
        if lem in JARGON or lem[0].isupper():
            continue
        z = zipf(lem.replace("_", " "))
        senses = wn.senses(lem)
        if senses[:1] == (offset,):
            tier = 4 if z >= MIN_PLAIN_ZIPF else 2 if z >= MIN_RARE_ZIPF else 0
        elif z >= MIN_LEMMA_ZIPF:
            tier = 3 if offset in senses[:SHALLOW_RANK] else 1
        else:
            tier = 0
        if tier and (best_key is None or (tier, z) > best_key):
            best, best_key = lem, (tier, z)
    return best


def disambiguator(wn, offset: int, lemma: str, zipf, levels: int = DISAMBIG_LEVELS) -> str | None:
    """A common plain word telling which sense of ``lemma`` synset ``offset`` is, or None.

    Searches the hypernyms breadth-first up to ``levels`` levels for the nearest ancestor that
    (a) is not an ancestor of a more frequent sense of ``lemma`` (the reading a player would take
    by default) and (b) has a single-word, non-jargon lemma of zipf >= MIN_DISAMBIG_ZIPF naming it
    in one of its first DISAMBIG_RANK senses; the most frequent such lemma names it. ``crane`` (the
    bird sense) -> ``"bird"``; ``fixing`` (a fastener) never -> ``"restraint"`` (whose common senses
    are acts and feelings).
    """
    senses = wn.senses(lemma)
    earlier = senses[: senses.index(offset)] if offset in senses else senses
    blocked = set().union(*(wn.ancestors(o) for o in earlier)) if earlier else set()
    level, seen = list(wn.synsets[offset].hypernyms), {offset}
    for _ in range(levels):
        best, best_z = None, -1.0
        for h in level:
            if h in blocked:
                continue
            for hl in wn.synsets[h].lemmas:
                if hl in JARGON or hl == lemma or not hl.isalpha() or not hl.islower():
                    continue
                z = zipf(hl)
                if z >= MIN_DISAMBIG_ZIPF and h in wn.senses(hl)[:DISAMBIG_RANK] and z > best_z:
                    best, best_z = hl, z
        if best is not None:
            return best
        seen.update(level)
        level = [g for h in level for g in wn.synsets[h].hypernyms if g not in seen]
    return None


def category_text(wn, offset: int, zipf) -> str | None:
    """Natural wording for "is it under synset ``offset``", or None when no plain wording exists.

    ``category_text(wn, <container>, zipf) == "Is it a container?"``; otherwise "Is it a kind of
    X?" with X from :func:`lemma_for`; when X's first sense is another synset, a plain ancestor
    word from :func:`disambiguator` follows in brackets ("Is it a kind of crane (bird)?"), and
    without one the category is not asked.
    """
    first = wn.synsets[offset].lemmas[0]
    if first in HAND_TEXT and offset in wn.senses(first)[:3]:
        return HAND_TEXT[first]
    lem = lemma_for(wn, offset, zipf)
    if lem is None:
        return None
    text = f"Is it a kind of {lem.replace('_', ' ')}"
    if wn.senses(lem)[:1] != (offset,):
        d = disambiguator(wn, offset, lem, zipf)
        if d is None:
            return None
        text += f" ({d})"
    return text + "?"


def sense_memberships(wn, universe: pd.DataFrame) -> tuple:
    """Sparse memberships of things in WordNet categories.

    Returns (rows, cols, vals): keyword row, target synset offset, summed sense weight in [0, 1]
    (shrunk toward 0.5 for head-derived phrases). Places are skipped (they get place questions).
    """
    rows, cols, vals = [], [], []
    for i, (cat, senses, head) in enumerate(zip(universe["category"], universe["senses"], universe["head_derived"])):
        if cat in PLACES or not senses:
            continue
        acc: dict = {}
        for o, w in senses:
            for t in wn.ancestors(o):
                acc[t] = acc.get(t, 0.0) + w
        for t, v in acc.items():
            rows.append(i)
            cols.append(t)
            vals.append(min(v, 1.0))
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), np.asarray(vals, dtype=np.float32)


def category_questions(wn, universe: pd.DataFrame, prior: np.ndarray, *, min_count: int = 8,
                       max_questions: int = 4000, zipf=None) -> tuple:
    """(questions DataFrame, F (K, Q) float32) for WordNet categories holding >= ``min_count`` keywords.

    Categories are taken most general first (membership count, ties by how evenly they split
    the prior mass), worded by :func:`category_text` (jargon-only ones skipped), deduplicated by text.
    """
    if zipf is None:
        from wordfreq import zipf_frequency

        def zipf(w):
            return zipf_frequency(w, "en")

    K = len(universe)
    rows, cols, vals = sense_memberships(wn, universe)
    head = universe["head_derived"].to_numpy(dtype=bool)
    shrink = head[rows]
    vals = np.where(shrink, 0.5 + HEAD_SHRINK * (vals - 0.5), vals).astype(np.float32)
    targets, inv = np.unique(cols, return_inverse=True)
    count = np.bincount(inv, weights=(vals >= 0.5), minlength=len(targets))
    mass = np.bincount(inv, weights=vals * prior[rows], minlength=len(targets))
    keep = count >= min_count
    m = np.clip(mass, 1e-12, 1 - 1e-12)
    ent = -(m * np.log2(m) + (1 - m) * np.log2(1 - m))
    order = [j for j in np.lexsort((-ent, -count)) if keep[j]]
    chosen, texts = [], set()
    for j in order:
        t = category_text(wn, int(targets[j]), zipf)
        if t is None or t in texts:
            continue
        texts.add(t)
        chosen.append((j, t))
        if len(chosen) >= max_questions:
            break
    col_of = {j: c for c, (j, _) in enumerate(chosen)}
    F = np.zeros((K, len(chosen)), dtype=np.float32)
    # rows of head-derived phrases that are *not* members sit at 0.5 - HEAD_SHRINK / 2
    F[head & ~universe["category"].isin(PLACES).to_numpy()] = 0.5 - HEAD_SHRINK / 2
    sel = np.isin(inv, list(col_of))
    F[rows[sel], [col_of[j] for j in inv[sel]]] = vals[sel]
    qs = question_frame((f"cat:{int(targets[j]):08d}", t, "category") for j, t in chosen)
    return qs, F


# --- place questions --------------------------------------------------------------------------------

def place_questions(universe: pd.DataFrame, *, min_country_places: int = 20) -> tuple:
    """(questions, F) about places; every thing gets 0.

    Continent and subregion follow the place's country; "Is it in X?" is asked for countries
    with >= ``min_country_places`` places (the country itself gets 0.5: ambiguous wording).
    """
    cat = universe["category"].to_numpy()
    place = np.isin(cat, PLACES)
    pop = pd.to_numeric(universe["population"], errors="coerce").fillna(-1).to_numpy()
    cont = universe["continent"].to_numpy()
    sub = universe["subregion"].to_numpy() if "subregion" in universe else np.full(len(cat), "")
    iso = universe["country"].to_numpy()
    qs, cols = [], []

    def add(qid, text, f):
        qs.append((qid, text, "place"))
        cols.append(np.asarray(f, dtype=np.float32))

    add("place:any", "Is it a place (a country, city or landmark)?", place)
    add("place:country", "Is it a country?", cat == "country")
    add("place:city", "Is it a city or town?", cat == "city")
    add("place:landmark", "Is it a landmark or natural feature such as a mountain or river?", cat == "landmark")
    add("place:region", "Is it a region, state or province?", cat == "region")
    for c in sorted(set(cont) - {""}):
        add(f"place:continent:{c}", f"Is it in {c}?", place & (cont == c))
    for s in sorted(set(sub) - {""}):
        add(f"place:subregion:{s}", f"Is it in {s}?", place & (sub == s))
    for n in (1e5, 1e6, 1e7, 1e8):
        add(f"place:pop:{int(n)}", f"Does it have more than {int(n):,} inhabitants?", place & (pop > n))
    add("place:capital", "Is it a capital city?", universe["capital"].to_numpy(dtype=bool))
    from tables.universe import LANDLOCKED
    add("place:landlocked", "Is it in a landlocked country (or a landlocked country itself)?",
        place & np.isin(iso, list(LANDLOCKED)))
    names = {c: (n.title() if n.islower() else n)
             for c, n in zip(iso[cat == "country"], universe["keyword"].to_numpy()[cat == "country"])}
    counts = pd.Series(iso[place & (iso != "")]).value_counts()
    for code, n in counts.items():
        if n >= min_country_places and code in names:
            f = (place & (iso == code)).astype(np.float32)
            f[(cat == "country") & (iso == code)] = 0.5
            add(f"place:in:{code}", f"Is it in {names[code]}?", f)
    F = np.stack(cols, axis=1) if cols else np.zeros((len(cat), 0), np.float32)
    return question_frame(qs), F


# --- spelling and alphabetical questions ------------------------------------------------------------

def letters(name: str) -> str:
    """Lower-case letters and digits only: ``letters("Air-Conditioner 2") == "airconditioner2"``."""
    return name.lower().translate(_PUNCT)


def spelling_questions(names) -> tuple:
    """(questions, F) on spelling: first letter(s), ranges, contains, last letter, words, length."""
    lows = [n.lower() for n in names]
    lt = [letters(n) for n in names]
    first = np.array([s[:1] for s in lt])
    first2 = np.array([s[:2] for s in lt])
    last = np.array([s[-1:] for s in lt])
    length = np.array([len(s) for s in lt])
    nwords = np.array([len(re.findall(r"[a-z0-9]+", n)) for n in lows])
    qs, cols = [], []

    def add(qid, text, f):
        qs.append((qid, text, "spelling"))
        cols.append(np.asarray(f, dtype=np.float32))

    abc = string.ascii_lowercase
    for c in abc:
        add(f"spell:first:{c}", f'Does the keyword start with the letter "{c.upper()}"?', first == c)
    for i, c in enumerate(abc[1:-1], 1):
        add(f"spell:range:a-{c}", f'Does the keyword start with a letter from "A" to "{c.upper()}"?',
            np.isin(first, list(abc[: i + 1])))
    for a in abc:
        for b in abc:
            add(f"spell:first2:{a}{b}", f'Does the keyword start with "{(a + b).upper()}"?', first2 == a + b)
    for c in abc:
        add(f"spell:contains:{c}", f'Does the keyword contain the letter "{c.upper()}"?', [c in s for s in lt])
        add(f"spell:last:{c}", f'Does the keyword end with the letter "{c.upper()}"?', last == c)
    add("spell:words:1", "Is the keyword a single word?", nwords == 1)
    add("spell:words:2", "Is the keyword exactly two words?", nwords == 2)
    add("spell:words:3+", "Is the keyword three or more words?", nwords >= 3)
    for n in range(3, 16):
        add(f"spell:len:{n}", f"Does the keyword have more than {n} letters (not counting spaces)?", length > n)
    return question_frame(qs), np.stack(cols, axis=1)


def alpha_cuts(names, prior: np.ndarray, n_cuts: int = 255) -> list:
    """Cut words splitting the prior mass of the sorted lower-case names into n_cuts + 1 equal parts."""
    lows = np.array([n.lower() for n in names])
    order = np.argsort(lows, kind="stable")
    cum = np.cumsum(prior[order])
    pos = np.searchsorted(cum, np.arange(1, n_cuts + 1) / (n_cuts + 1) * cum[-1], side="right")
    pos = np.clip(pos, 1, len(order) - 1)
    return sorted(set(lows[order[pos]].tolist()))


def alpha_questions(names, cuts) -> tuple:
    """(questions, F): ``Does the keyword (in lowercase) precede "w" in alphabetical order?``."""
    lows = np.array([n.lower() for n in names])
    qs = [(f"alpha:{w}", f'Does the keyword (in lowercase) precede "{w}" in alphabetical order?', "alpha")
          for w in cuts]
    F = np.stack([lows < w for w in cuts], axis=1).astype(np.float32) if cuts else np.zeros((len(lows), 0), np.float32)
    return question_frame(qs), F


# --- selection and softening --------------------------------------------------------------------------

def split_mask(F: np.ndarray, prior: np.ndarray, min_count: int = 5, min_mass: float = 1e-5) -> np.ndarray:
    """(Q,) bool: questions whose yes and no sides each hold >= min_count keywords and >= min_mass prior."""
    yes = F >= 0.5
    n_yes = yes.sum(axis=0)
    m_yes = prior @ F
    return (n_yes >= min_count) & (len(F) - n_yes >= min_count) & (m_yes >= min_mass) & (1 - m_yes >= min_mass)


def dedupe_columns(F: np.ndarray) -> np.ndarray:
    """(Q,) bool keeping the first of each group of identical 0/1 (F >= 0.5) columns."""
    seen, keep = set(), np.zeros(F.shape[1], dtype=bool)
    for j in range(F.shape[1]):
        h = np.packbits(F[:, j] >= 0.5).tobytes()
        if h not in seen:
            seen.add(h)
            keep[j] = True
    return keep


def noise_vector(questions: pd.DataFrame, measured: dict | None = None, defaults: dict | None = None) -> np.ndarray:
    """(Q,) noise e_q: ``measured[id]`` when given (e.g. 1 - fidelity from tables/noise.py), else the kind's default."""
    d = {**DEFAULT_NOISE, **(defaults or {})}
    out = np.empty(len(questions), dtype=np.float32)
    for j, (qid, kind) in enumerate(zip(questions["id"], questions["kind"])):
        e = (measured or {}).get(qid, d.get(kind))
        if e is None:
            raise ValueError(f"question {qid!r}: no noise for kind {kind!r} (defaults: {sorted(d)})")
        if not 0 <= e <= 0.5:
            raise ValueError(f"question {qid!r}: noise {e!r} outside [0, 0.5]")
        out[j] = e
    return out


def soften(F: np.ndarray, noise: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """P = F * (1 - e) + (1 - F) * e = e + F * (1 - 2e), column-wise. F: (K, Q); noise: (Q,). In place if out is F."""
    e = np.asarray(noise, dtype=np.float32)[None, :]
    out = np.multiply(F, 1 - 2 * e, out=out)
    out += e
    return out


def build_questions(wn, universe: pd.DataFrame, prior: np.ndarray, *, n_alpha: int = 255, max_category: int = 4000,
                    min_category_count: int = 8, min_count: int = 5, min_mass: float = 1e-5, progress=None) -> tuple:
    """All kinds; weak and duplicate columns dropped. Returns (questions DataFrame, F (K, Q) float32)."""
    step = progress or (lambda name: None)
    names = universe["keyword"].tolist()
    parts = [category_questions(wn, universe, prior, min_count=min_category_count, max_questions=max_category)]
    step("category")
    parts.append(place_questions(universe))
    parts.append(spelling_questions(names))
    parts.append(alpha_questions(names, alpha_cuts(names, prior, n_alpha)))
    step("place/spelling/alpha")
    qs = pd.concat([p[0] for p in parts], ignore_index=True)
    F = np.concatenate([p[1] for p in parts], axis=1)
    del parts
    keep_idx = np.flatnonzero(split_mask(F, prior, min_count, min_mass))
    keep_idx = keep_idx[dedupe_columns(F[:, keep_idx])]
    return qs.iloc[keep_idx].reset_index(drop=True), np.ascontiguousarray(F[:, keep_idx])
