"""Games through the real referee (kaggle-environments 1.14.17, llm_20_questions).

The referee picks its keyword once, at import; :func:`set_keyword` overwrites the module
globals (``keyword``, ``alts``, ``category``) before each game. :func:`play_game` runs one
episode with four agents (team 1 = agents 0, 1; team 2 = agents 2, 3) and summarizes it for
team 1. Also here: the stand-in opponents used by tests, self-play and the submission check.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

REFEREE_MODULE = "kaggle_environments.envs.llm_20_questions.llm_20_questions"


def referee():
    """The referee module (imports kaggle_environments: ~5 s the first time)."""
    import importlib
    return importlib.import_module(REFEREE_MODULE)


def set_keyword(entry: dict) -> None:
    """Make the referee play ``entry`` = {"keyword", "alts", "category"} in the next game."""
    mod = referee()
    mod.keyword = entry["keyword"]
    mod.alts = list(entry.get("alts", []))
    mod.category = entry.get("category", "things")


@dataclass
class GameResult:
    """Team 1's view of one episode.

    solved: team 1's guesser named the keyword; round: the round it did (else None);
    rewards/statuses: the referee's, for the four agents; errors: indices of agents that
    ended in ERROR/TIMEOUT; move_s: {agent index: [durations of its moves in seconds]};
    stderr: {agent index: [non-empty stderr of its moves]} (the referee captures agent logs).
    """
    keyword: str
    solved: bool
    round: int | None
    rewards: list
    statuses: list
    errors: list
    questions: list = field(default_factory=list)
    answers: list = field(default_factory=list)
    guesses: list = field(default_factory=list)
    move_s: dict = field(default_factory=dict)
    stderr: dict = field(default_factory=dict)


def play_game(entry: dict, agents: list) -> GameResult:
    """One episode of ``entry`` with four agents (callables or main.py paths)."""
    from kaggle_environments import make

    set_keyword(entry)
    env = make("llm_20_questions", debug=False)
    env.run(agents)
    final = env.steps[-1]
    obs = final[0]["observation"]
    rewards = [s["reward"] for s in final]
    statuses = [s["status"] for s in final]
    guesses = list(obs.get("guesses", []))
    solved = bool(rewards[0] and rewards[0] > 0 and statuses[0] == "DONE" and guesses
                  and referee().keyword_guessed(guesses[-1]))
    move_s: dict[int, list] = {i: [] for i in range(4)}
    stderr: dict[int, list] = {i: [] for i in range(4)}
    for step in env.logs:
        for i, lg in enumerate(step or []):
            if isinstance(lg, dict) and "duration" in lg:
                move_s[i].append(lg["duration"])
                if lg.get("stderr", "").strip():
                    stderr[i].append(lg["stderr"])
    return GameResult(
        keyword=entry["keyword"], solved=solved, round=len(guesses) if solved else None,
        rewards=rewards, statuses=statuses,
        errors=[i for i, s in enumerate(statuses) if s in ("ERROR", "TIMEOUT")],
        questions=list(obs.get("questions", [])), answers=list(obs.get("answers", [])),
        guesses=guesses, move_s=move_s, stderr=stderr,
    )


# --- stand-in agents ------------------------------------------------------------------------

def passive_guesser(obs, cfg=None) -> str:
    """Asks a fixed question and guesses a non-word: never wins, never errors."""
    return "zzzqx" if obs.get("turnType") == "guess" else "Is it a thing?"


def passive_answerer(obs, cfg=None) -> str:
    return "no"


def bad_answerer(obs, cfg=None) -> str:
    """The referee's own test stub: an unparsable answer (the answerer loses by error)."""
    return "maybe?"


def error_agent(obs, cfg=None):
    raise ValueError("stub agent error")


class FlipAnswerer:
    """Wraps an answerer and flips each of its answers with probability ``p`` (seeded)."""

    def __init__(self, inner, p: float, seed: int = 0):
        self.inner, self.p = inner, p
        self.rng = random.Random(seed)
        self.flips = 0

    def __call__(self, obs, cfg=None) -> str:
        a = self.inner(obs, cfg)
        if self.rng.random() < self.p:
            self.flips += 1
            return "no" if a == "yes" else "yes"
        return a
