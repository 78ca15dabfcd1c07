"""A small reader of the WordNet 3.0 noun database (``data.noun``, ``index.noun``, ``noun.exc``).

No nltk: the format is parsed here (see WordNet's ``wndb(5WN)`` manual page).

``data.noun`` line::

    offset lex_filenum ss_type w_cnt (word lex_id){w_cnt} p_cnt (ptr_symbol offset pos src/tgt){p_cnt} | gloss

``index.noun`` line::

    lemma pos synset_cnt p_cnt (ptr_symbol){p_cnt} sense_cnt tagsense_cnt (synset_offset){synset_cnt}

Debian's ``wordnet-base`` lacks the ``lexnames`` file; its 45 names are fixed by the format
and listed in :data:`LEXNAMES`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIR = "/usr/share/wordnet"

# The 45 lexicographer files, by number (WordNet 3.0 ``lexnames(5WN)``).
LEXNAMES = (
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
    "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event",
    "noun.feeling", "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object",
    "noun.person", "noun.phenomenon", "noun.plant", "noun.possession", "noun.process",
    "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
    "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition",
    "verb.consumption", "verb.contact", "verb.creation", "verb.emotion", "verb.motion",
    "verb.perception", "verb.possession", "verb.social", "verb.stative", "verb.weather", "adj.ppl",
)

HYPERNYM, INSTANCE_OF = "@", "@i"
PART_OF = ("#p", "#s")          # part holonym, substance holonym: "this synset is part of X"
HAS_PART = ("%p",)               # part meronym


class WordNetError(ValueError):
    """A WordNet file is missing or malformed; the message names the file, line and value."""


@dataclass(frozen=True)
class Synset:
    """One noun synset. ``lemmas`` keep WordNet's case with "_" for spaces."""

    offset: int
    lexname: str
    lemmas: tuple
    hypernyms: tuple        # offsets of @ pointers
    instance_of: tuple      # offsets of @i pointers
    part_of: tuple          # offsets of #p / #s pointers
    n_parts: int            # number of %p pointers (this synset has parts)
    gloss: str

    @property
    def name(self) -> str:
        """First lemma with spaces: ``Synset(lemmas=("alarm_clock",)).name == "alarm clock"``."""
        return self.lemmas[0].replace("_", " ")


# --- parsing ---------------------------------------------------------------------------

def parse_data_line(line: str, where: str = "<line>") -> Synset:
    """Parse one ``data.noun`` line into a :class:`Synset`."""
    head, _, gloss = line.partition(" | ")
    f = head.split()
    try:
        offset, lexnum, w_cnt = int(f[0]), int(f[1]), int(f[3], 16)
        lemmas = tuple(f[4 + 2 * i] for i in range(w_cnt))
        i = 4 + 2 * w_cnt
        p_cnt = int(f[i])
        i += 1
        hyper, inst, part, n_parts = [], [], [], 0
        for _ in range(p_cnt):
            sym, off, pos = f[i], int(f[i + 1]), f[i + 2]
            i += 4
            if pos != "n":
                continue
            if sym == HYPERNYM:
                hyper.append(off)
            elif sym == INSTANCE_OF:
                inst.append(off)
            elif sym in PART_OF:
                part.append(off)
            elif sym in HAS_PART:
                n_parts += 1
        lexname = LEXNAMES[lexnum]
    except (IndexError, ValueError) as e:
        raise WordNetError(f"{where}: cannot parse synset line {line[:80]!r}: {e}") from e
    # strip adjective markers such as "(p)" that never occur in nouns but are allowed by the format
    lemmas = tuple(w.split("(")[0] for w in lemmas)
    return Synset(offset, lexname, lemmas, tuple(hyper), tuple(inst), tuple(part), n_parts, gloss.strip())


def parse_index_line(line: str, where: str = "<line>") -> tuple:
    """Parse one ``index.noun`` line -> (lemma, offsets in sense order, tagsense_cnt)."""
    f = line.split()
    try:
        lemma, n_syn, p_cnt = f[0], int(f[2]), int(f[3])
        tagged = int(f[5 + p_cnt])
        offsets = tuple(int(x) for x in f[6 + p_cnt: 6 + p_cnt + n_syn])
    except (IndexError, ValueError) as e:
        raise WordNetError(f"{where}: cannot parse index line {line[:80]!r}: {e}") from e
    if len(offsets) != n_syn:
        raise WordNetError(f"{where}: {lemma!r} lists {len(offsets)} synsets, header says {n_syn}")
    return lemma, offsets, tagged


def _lines(path: Path):
    if not path.exists():
        raise WordNetError(f"{path}: file not found (install Debian package wordnet-base or set WORDNET_DIR)")
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.startswith("  "):     # license header
                continue
            yield n, line.rstrip("\n")


def read_data(path) -> dict:
    """``data.noun`` -> {offset: Synset}."""
    path = Path(path)
    return {s.offset: s for s in (parse_data_line(l, f"{path}:{n}") for n, l in _lines(path) if l.strip())}


def read_index(path) -> dict:
    """``index.noun`` -> {lemma (lowercase, "_" for spaces): (offsets, tagsense_cnt)}."""
    path = Path(path)
    out = {}
    for n, l in _lines(path):
        if l.strip():
            lemma, offs, tagged = parse_index_line(l, f"{path}:{n}")
            out[lemma] = (offs, tagged)
    return out


def read_exceptions(path) -> dict:
    """``noun.exc`` -> {inflected form: base form}, e.g. ``{"mice": "mouse"}``; {} when absent."""
    path = Path(path)
    if not path.exists():
        return {}
    out = {}
    for _, l in _lines(path):
        f = l.split()
        if len(f) >= 2:
            out.setdefault(f[0], f[1])
    return out


def read_glosses(directory=None, parts=("noun", "verb", "adj", "adv")):
    """Yield the gloss text (definition and quoted examples) of every synset in ``data.<part>``.

    Default directory as :func:`load_wordnet`. ``data.noun`` must exist (else :class:`WordNetError`);
    the other parts are skipped when absent (a noun-only test database).
    """
    d = Path(directory or os.environ.get("WORDNET_DIR") or DEFAULT_DIR)
    for part in parts:
        if part != "noun" and not (d / f"data.{part}").exists():
            continue
        for _, line in _lines(d / f"data.{part}"):
            yield line.partition(" | ")[2]


# --- the database -------------------------------------------------------------------------

class WordNet:
    """Noun synsets, the lemma index and closures over hypernym and holonym pointers.

    ``synsets``: {offset: Synset}; ``index``: {lemma: (offsets, tagsense_cnt)}; ``exc``: {plural: base}.
    """

    def __init__(self, synsets: dict, index: dict, exc: dict | None = None):
        self.synsets = synsets
        self.index = index
        self.exc = exc or {}
        self._anc: dict = {}
        self._hol: dict = {}

    def senses(self, lemma: str) -> tuple:
        """Synset offsets of ``lemma`` in sense order (most frequent first); () when unknown."""
        return self.index.get(lemma.lower().replace(" ", "_"), ((), 0))[0]

    def tagcount(self, lemma: str) -> int:
        """Number of senses of ``lemma`` seen in the tagged corpus (a familiarity signal)."""
        return self.index.get(lemma.lower().replace(" ", "_"), ((), 0))[1]

    def ancestors(self, offset: int) -> frozenset:
        """Offsets of every hypernym/instance-hypernym ancestor, ``offset`` itself included."""
        got = self._anc.get(offset)
        if got is None:
            s = self.synsets[offset]
            acc = {offset}
            for h in s.hypernyms + s.instance_of:
                acc |= self.ancestors(h)
            got = self._anc[offset] = frozenset(acc)
        return got

    def holonyms(self, offset: int, depth: int = 6) -> frozenset:
        """Offsets this synset is (transitively, via #p/#s and through instance-of) part of."""
        key = (offset, depth)
        got = self._hol.get(key)
        if got is None:
            acc = set()
            if depth > 0:
                for h in self.synsets[offset].part_of:
                    acc.add(h)
                    acc |= self.holonyms(h, depth - 1)
            got = self._hol[key] = frozenset(acc)
        return got

    def base_form(self, word: str) -> str | None:
        """The WordNet noun lemma of ``word``: itself, its noun.exc base, or a -s/-es/-ies stem."""
        w = word.lower().replace(" ", "_")
        if w in self.index:
            return w
        if w in self.exc and self.exc[w] in self.index:
            return self.exc[w]
        for suf, rep in (("ies", "y"), ("es", ""), ("s", ""), ("ses", "s"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
            if w.endswith(suf) and w[: -len(suf)] + rep in self.index:
                return w[: -len(suf)] + rep
        return None


def load_wordnet(directory=None) -> WordNet:
    """Read ``data.noun``, ``index.noun`` and ``noun.exc`` from ``directory``.

    Default: ``$WORDNET_DIR`` or ``/usr/share/wordnet`` (Debian ``wordnet-base``).
    """
    d = Path(directory or os.environ.get("WORDNET_DIR") or DEFAULT_DIR)
    return WordNet(read_data(d / "data.noun"), read_index(d / "index.noun"), read_exceptions(d / "noun.exc"))
