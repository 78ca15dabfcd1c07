"""Logging to whatever ``sys.stderr`` is at the moment of the call.

The referee swaps ``sys.stderr`` for a fresh StringIO around every action and closes it
afterwards, so a plain ``StreamHandler(sys.stderr)`` would keep writing into a closed buffer.
"""
from __future__ import annotations

import logging
import sys

_NAME = "q20.agent"


class _CurrentStderr(logging.Handler):
    """Writes each record to the current ``sys.stderr``; never raises."""

    def emit(self, record):
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # noqa: BLE001 - logging must never break a move
            pass


def get_logger() -> logging.Logger:
    """The agent's logger (``q20.agent``), with its stderr handler attached once."""
    log = logging.getLogger(_NAME)
    if not any(isinstance(h, _CurrentStderr) for h in log.handlers):
        h = _CurrentStderr()
        h.setFormatter(logging.Formatter("[q20 %(levelname)s] %(message)s"))
        log.addHandler(h)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log
