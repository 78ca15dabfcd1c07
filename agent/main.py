"""q20's Kaggle entry point. The referee execs this file and calls its LAST callable.

It only puts the project code on ``sys.path`` and forwards each move to agent.core; all the
logic lives in lib/agent (submission) or agent/ (this checkout). The referee execs the file
without ``__file__``, so the directory comes from the code object's file name, with the
Kaggle location as the last resort. Whatever fails, a valid move is returned.
"""
import os
import sys

_KAGGLE_DIR = "/kaggle_simulations/agent"


def _here():
    """Directory of this file, with or without ``__file__``."""
    path = globals().get("__file__") or sys._getframe(1).f_code.co_filename
    d = os.path.dirname(os.path.abspath(path)) if path and os.path.exists(path) else _KAGGLE_DIR
    return d


def _setup_path(here):
    """Put lib/ (submission layout) or the checkout root (agent/main.py) first on sys.path."""
    lib = os.path.join(here, "lib")
    roots = [lib, here] if os.path.isdir(lib) else [os.path.dirname(here)]
    for p in reversed(roots):
        if p not in sys.path:
            sys.path.insert(0, p)


def _emergency(obs):
    """A valid move with nothing but the standard library."""
    try:
        turn = obs.get("turnType") if isinstance(obs, dict) else getattr(obs, "turnType", None)
    except Exception:  # noqa: BLE001
        turn = None
    return {"ask": "Is it a man-made object?", "guess": "phone"}.get(turn, "no")


HERE = _here()
_setup_path(HERE)
_STATE = {}


def agent(obs, cfg=None):
    """The agent for all three roles (ask, guess, answer)."""
    try:
        if "agent" not in _STATE:
            from agent.core import default_agent
            _STATE["agent"] = default_agent(HERE)
        return _STATE["agent"](obs, cfg)
    except Exception as e:  # noqa: BLE001 - e.g. lib/ missing: still a valid move
        sys.stderr.write(f"[q20 ERROR] agent unavailable: {type(e).__name__}: {e}\n")
        return _emergency(obs)
