"""Answers computable from the keyword string alone, by code, exactly.

``exact_answer(keyword, question)`` returns True/False, or None when the question is not one
of the recognised spelling forms (then the answerer asks the table or the LLM). Definitions,
all on ``keyword.strip().lower()``:

- the keyword's letters: its lowercase letters and digits, punctuation and spaces dropped
  (``"T-shirt 2"`` -> ``"tshirt2"``), as tables/knowledge.py defines them;
- first / last letter, prefixes ("start with \"CA\""), "contains": on those letters;
- "letters" counts those letters, "characters" counts every character (spaces too);
- number of words: runs of letters/digits ("air conditioner" 2, "t-shirt" 2);
- alphabetical order: plain string comparison of the lowercased keyword with the lowercased
  word (``"apple pie" < "laptop"``); equal is neither before nor after;
- "Is it Agent Alpha?" (any question naming Agent Alpha): yes, the cooperative handshake;
- "Is the keyword one of the following: a, b, c?" and ``Is the keyword "x"?``: the referee's
  guess rule (planner.matching.compare_words).

Recognised forms (case-insensitive, straight or curly quotes)::

    Does the keyword (in lowercase) precede "laptop" in alphabetical order?   (also: come
        before / after, follow, alphabetically before)
    Does the keyword start with the letter A? / begin with one of the letters a, b or c? /
        start with a letter between A and M? / in the range A-M? / a vowel?
    Is the first letter of the keyword a vowel / one of A, B / in the first half of the alphabet?
    Does the keyword end with the letter E? / contain the letter Z?
    Is the keyword one word? / two words? / more than one word? / three or more words?
    Does the keyword have more than 6 letters? / at most 10 characters? / Is it 5 letters long?

The parse is deliberately strict: trailing words it does not understand ("start with A and
end with B") give None rather than a guess.
"""
from __future__ import annotations

import re
import string

from planner.matching import compare_words

UNCLEAR = "unclear"      # a matcher saw its trigger phrase but could not parse the rest
_VOWELS = set("aeiou")
_ALPHABET = string.ascii_lowercase
_NUMBERS = {"one": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "`": "'"})
_END = re.compile(r"^\s*(\((?:inclusive|in lowercase)\)|in (?:the )?(?:english )?alphabet|inclusive)?\s*[?.!]*\s*$")


def clean_question(q: str) -> str:
    """Lowercase, straight quotes, single spaces: ``clean_question("Is  it “A”?") == 'is it "a"?'``."""
    return " ".join(q.translate(_QUOTES).lower().split())


def _letters(kw: str) -> str:
    """``_letters("t-shirt 2") == "tshirt2"``."""
    return "".join(c for c in kw if c.isalnum())


def _prefix(tail: str) -> str | None:
    """The quoted multi-letter string of a tail like '"ca"?' (None otherwise)."""
    m = re.match(r"""^(?:the (?:letters|prefix|suffix) )?["']([a-z0-9]{2,20})["']\s*[?.!]*\s*$""", tail)
    return m.group(1) if m else None


# --- letter specifications --------------------------------------------------------------

def _letter_set(tail: str) -> set[str] | None:
    """The set of letters a tail like "one of the letters a, b or c?" names; None if unclear.

    >>> sorted(_letter_set("a letter between a and c?"))
    ['a', 'b', 'c']
    """
    t = tail.replace("'", "").replace('"', "").strip()
    t = re.sub(r"^(?:an? |the |one of |any of |either )*(?:letters?|characters?)?\s*", "", t)
    t = re.sub(r"^(?:an? |the |one of |any of |either )+", "", t)
    m = re.match(r"^(?:an? )?(vowel|consonant)s?\b(.*)$", t)
    if m:
        return (_VOWELS if m.group(1) == "vowel" else set(_ALPHABET) - _VOWELS) if _END.match(m.group(2)) else None
    m = re.match(r"^in (?:the )?(first|second) half of the alphabet(.*)$", t)
    if m:
        return (set(_ALPHABET[:13]) if m.group(1) == "first" else set(_ALPHABET[13:])) if _END.match(m.group(2)) else None
    m = re.match(r"^(?:(?:in )?(?:the )?range |between |from )?([a-z])\s*(?:-|\u2013|to|through|and)\s*([a-z])\b(.*)$", t)
    if m and (re.match(r"^(?:(?:in )?(?:the )?range |between |from )", t) or "-" in t[:4] or "\u2013" in t[:4]):
        lo, hi = m.group(1), m.group(2)
        if lo <= hi and _END.match(m.group(3)):
            return set(_ALPHABET[_ALPHABET.index(lo):_ALPHABET.index(hi) + 1])
        return None
    m = re.match(r"^([a-z])((?:\s*(?:,|/|or|,\s*or|and|,\s*and)\s*[a-z]\b)*)(.*)$", t)
    if m and _END.match(m.group(3)) and (len(t) == 1 or not t[1].isalpha()):
        return {m.group(1), *re.findall(r"\b([a-z])\b", m.group(2))}
    return None


def _starts(kw: str, q: str) -> bool | None:
    m = re.search(r"\b(?:start|starts|begin|begins)\s+with\s+(.*)$", q) or \
        re.search(r"\bfirst letter(?: of (?:the |its |your )?(?:keyword|word|name|thing|it))?\s+(?:is\s+)?(.*)$", q)
    if not m:
        return None
    letters = _letters(kw)
    p = _prefix(m.group(1))
    if p is not None:
        return letters.startswith(p)
    s = _letter_set(m.group(1))
    return UNCLEAR if s is None or not letters else letters[0] in s


def _ends(kw: str, q: str) -> bool | None:
    m = re.search(r"\b(?:end|ends)\s+with\s+(.*)$", q) or \
        re.search(r"\blast letter(?: of (?:the |its )?(?:keyword|word|name|it))?\s+(?:is\s+)?(.*)$", q)
    if not m:
        return None
    letters = _letters(kw)
    p = _prefix(m.group(1))
    if p is not None:
        return letters.endswith(p)
    s = _letter_set(m.group(1))
    return UNCLEAR if s is None or not letters else letters[-1] in s


def _contains(kw: str, q: str) -> bool | None:
    m = re.search(r"\b(?:contain|contains|include|includes|have|has)\s+(?:the|a|an|any)\s+(letter|vowel)s?\s*(.*)$", q)
    if not m:
        return None
    if m.group(1) == "vowel":
        return bool(set(_letters(kw)) & _VOWELS) if _END.match(m.group(2)) else UNCLEAR
    s = _letter_set(m.group(2))
    return UNCLEAR if s is None else bool(set(_letters(kw)) & s)


# --- order, words, length ---------------------------------------------------------------

def _alphabetical(kw: str, q: str) -> bool | None:
    if "alphabetic" not in q and "lexicographic" not in q:
        return None
    m = re.search(r"\b(precedes?|before|follows?|after|smaller than|less than|greater than|larger than)\b"
                  r"\W*(?:(?:the )?word\s+)?([\"'])([^\"']{1,100})\2", q)
    if not m:
        return UNCLEAR
    w = m.group(3).strip()
    if m.group(1) in ("precede", "precedes", "before", "smaller than", "less than"):
        return kw < w
    return kw > w


def _count_phrase(q: str, unit: str) -> tuple[str, int] | None:
    """("gt"|"lt"|"ge"|"le"|"eq", n) from e.g. "more than 6 letters"; None if absent."""
    num = r"(\d{1,3}|" + "|".join(_NUMBERS) + r")"
    m = re.search(r"\b(more than|greater than|over|fewer than|less than|under|at least|at most|exactly|only)?\s*"
                  + num + r"(?:\s+or (more|fewer|less))?(?:\s*-\s*|\s+)" + unit + r"\b", q)
    if not m:
        return None
    n = int(m.group(2)) if m.group(2).isdigit() else _NUMBERS[m.group(2)]
    rel = {"more than": "gt", "greater than": "gt", "over": "gt", "fewer than": "lt", "less than": "lt",
           "under": "lt", "at least": "ge", "at most": "le"}.get(m.group(1) or "", "eq")
    if m.group(3):
        rel = "ge" if m.group(3) == "more" else "le"
    return rel, n


def _compare(value: int, rel: str, n: int) -> bool:
    return {"gt": value > n, "lt": value < n, "ge": value >= n, "le": value <= n, "eq": value == n}[rel]


def _words(kw: str, q: str) -> bool | None:
    if "word" not in q or re.search(r"\bcontain|\bthe word\b|\bcompound\b", q):
        return None
    n = len(re.findall(r"[^\W_]+", kw))
    if re.search(r"\b(?:multiple|several|many|multi)\s*-?\s*words?\b|\bmore than (?:a single|one) word\b", q):
        return n > 1
    if re.search(r"\b(?:a single|just one|only one) word\b", q):
        return n == 1
    c = _count_phrase(q, r"words?")
    return None if c is None else _compare(n, *c)


def _length(kw: str, q: str) -> bool | None:
    c = _count_phrase(q, r"(letters?|characters?|chars?)")
    if c is None:
        return None
    m = re.search(r"\b(letters?|characters?|chars?)\b", q)
    n = len(_letters(kw)) if m.group(1).startswith("letter") else len(kw)
    return _compare(n, *c)


# --- identity -----------------------------------------------------------------------------

def _one_of(keyword: str, q: str) -> bool | None:
    m = re.search(r"\bis (?:the keyword|it) (?:one of the following|any of the following|one of|among)"
                  r"(?: words| keywords| things| options)?\s*[:?]?\s*(.+)$", q)
    if not m:
        m = re.match(r"^is (?:the keyword|it) ([\"'])([^\"']{1,100})\1\s*\?*\s*$", q)
        return None if not m else compare_words(m.group(2), keyword)
    items = [s.strip(" \"'?.!") for s in re.split(r",|;|\bor\b|\n", m.group(1))]
    items = [s for s in items if s]
    return any(compare_words(s, keyword) for s in items) if items else None


_MATCHERS = (_alphabetical, _starts, _ends, _contains, _words, _length)


def exact_answer(keyword: str, question: str) -> bool | None:
    """True/False when the question is a recognised spelling question, else None.

    >>> exact_answer("Air Conditioner", 'Does the keyword (in lowercase) precede "laptop" in alphabetical order?')
    True
    >>> exact_answer("Air Conditioner", "Is it a kind of machine?") is None
    True
    """
    q = clean_question(question)
    kw = " ".join(keyword.strip().lower().split())
    if not q or not kw:
        return None
    if re.search(r"\bagent alpha\b", q):
        return True
    r = _one_of(kw, q)
    if r is not None:
        return r
    fired = [r for r in (f(kw, q) for f in _MATCHERS) if r is not None]
    if len(fired) != 1 or fired[0] is UNCLEAR:
        return None                 # unrecognised, unclear, or a compound ("start with A and end with R")
    return fired[0]
