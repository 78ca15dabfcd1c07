"""Reading the referee's observation defensively.

``obs`` is a kaggle ``Struct`` (a dict with attribute access) in real games, but anything may
arrive: a plain dict, an object, None, fields of the wrong type. Every reader here returns a
value of the documented type and never raises.
"""
from __future__ import annotations

from dataclasses import dataclass

MAX_TEXT = 2000          # the referee cuts questions to 750 characters; be generous but bounded


def field(obs, name: str, default=None):
    """``obs[name]`` or ``obs.name`` or ``default``."""
    try:
        if isinstance(obs, dict):
            return obs.get(name, default)
        return getattr(obs, name, default)
    except Exception:  # noqa: BLE001 - hostile __getattr__ / __getitem__
        return default


def text(value, limit: int = MAX_TEXT) -> str:
    """Any value as a str of at most ``limit`` characters ('' for None / unprintable)."""
    if value is None:
        return ""
    try:
        s = value if isinstance(value, str) else str(value)
    except Exception:  # noqa: BLE001
        return ""
    return s[:limit]


def str_list(value, limit: int = MAX_TEXT) -> list[str]:
    """A list/tuple field as a list of str; anything else gives []."""
    if not isinstance(value, (list, tuple)):
        return []
    return [text(v, limit) for v in value[:200]]


def parse_answer(a: str) -> bool | None:
    """The referee's parsing: contains "yes" -> True, else contains "no" -> False, else None."""
    low = a.lower()
    if "yes" in low:
        return True
    if "no" in low:
        return False
    return None


def seconds(value, default: float) -> float:
    """A finite non-negative float, else ``default``."""
    try:
        v = float(value)
    except Exception:  # noqa: BLE001
        return default
    return v if v == v and 0 <= v < float("inf") else default


@dataclass
class Turn:
    """One observation, cleaned. answers are True/False/None (unparsed), one per answered round."""
    turn_type: str
    role: str
    questions: list[str]
    answers: list[bool | None]
    guesses: list[str]
    keyword: str
    category: str
    remaining_overage: float
    step: int


def read_turn(obs) -> Turn:
    """A :class:`Turn` from any observation (never raises)."""
    step = field(obs, "step", 0)
    return Turn(
        turn_type=text(field(obs, "turnType"), 20).strip().lower(),
        role=text(field(obs, "role"), 20).strip().lower(),
        questions=str_list(field(obs, "questions")),
        answers=[parse_answer(a) for a in str_list(field(obs, "answers"))],
        guesses=str_list(field(obs, "guesses"), 200),
        keyword=text(field(obs, "keyword"), 200).strip(),
        category=text(field(obs, "category"), 200).strip(),
        remaining_overage=seconds(field(obs, "remainingOverageTime"), 300.0),
        step=step if isinstance(step, int) else 0,
    )
