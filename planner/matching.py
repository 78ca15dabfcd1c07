"""The referee's guess rule (kaggle-environments 1.14.17, ``compare_words``) and keyword equivalence.

A guess is right when, after lower-casing, deleting the substring "the", spaces and ASCII
punctuation, it equals the keyword (or one of its alts), allowing a trailing "s"/"es" on
either side when both are at least 3 characters long.
"""
from __future__ import annotations

import string

_PUNCT = str.maketrans("", "", string.punctuation)


def normalize(s: str) -> str:
    """Referee normalization: ``normalize("The Eiffel-Tower") == "eiffeltower"``."""
    return s.lower().replace("the", "").replace(" ", "").translate(_PUNCT)


def compare_words(a: str, b: str) -> bool:
    """True when the referee would accept ``a`` for ``b`` (symmetric)."""
    a, b = normalize(a), normalize(b)
    if a == b:
        return True
    if len(a) < 3 or len(b) < 3:
        return False
    return (
        (a[-1] == "s" and a[:-1] == b)
        or (b[-1] == "s" and a == b[:-1])
        or (a[-2:] == "es" and a[:-2] == b)
        or (b[-2:] == "es" and a == b[:-2])
    )


def keyword_guessed(guess: str, keyword: str, alts=()) -> bool:
    """The referee's ``keyword_guessed`` for an explicit keyword and alts."""
    return compare_words(guess, keyword) or any(compare_words(s, guess) for s in alts)


def _variants(norm: str) -> list[str]:
    """Normalized strings that ``compare_words`` may accept for ``norm``."""
    out = [norm]
    if len(norm) >= 3:
        out += [norm + "s", norm + "es"]
        if norm.endswith("s") and len(norm) - 1 >= 3:
            out.append(norm[:-1])
        if norm.endswith("es") and len(norm) - 2 >= 3:
            out.append(norm[:-2])
    return out


class GuessIndex:
    """Maps a guess string to every keyword index the referee would accept it for.

    ``names[i]`` is keyword i's name and ``alts[i]`` its alternative spellings. Lookup is a few
    dict probes; the candidates are then confirmed with :func:`keyword_guessed` itself.
    """

    def __init__(self, names, alts):
        self.names = list(names)
        self.alts = [list(a) for a in alts]
        self._by_norm: dict[str, list[int]] = {}
        for i, (name, alt) in enumerate(zip(self.names, self.alts)):
            for s in [name, *alt]:
                self._by_norm.setdefault(normalize(s), []).append(i)

    def matches(self, guess: str) -> list[int]:
        """Sorted indices of the keywords that ``guess`` would win against."""
        cand: set[int] = set()
        for v in _variants(normalize(guess)):
            cand.update(self._by_norm.get(v, ()))
        return sorted(i for i in cand if keyword_guessed(guess, self.names[i], self.alts[i]))

    def equivalents(self, i: int) -> list[int]:
        """Keywords removed when keyword i's name is guessed wrongly (i itself included)."""
        out = self.matches(self.names[i])
        return out if i in out else sorted([i, *out])
