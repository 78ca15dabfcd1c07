"""Prompt templates of the LLM answerers: a small registry, pure text (no torch).

Each template is ``f(keyword, question, category) -> chat messages (list of dicts) | plain text``.
Two layouts:

* keyword-first (``zs``, ``fs``, ``plain``, ``sys_sub``, ...): the keyword comes before the
  question, so the prompts of ONE keyword share a prefix and the scorer runs the questions as
  short suffixes after it (``YesNoScorer.score``);
* question-first (``QUESTION_FIRST``): instructions and the question come first, so the prompts
  of ONE question share a prefix and every keyword costs only the few tokens after it
  (``YesNoScorer.score_question``). On a compute-bound CPU a cell costs the tokens after the
  cached prefix, so this is the cheap layout. ``qf_plain`` / ``qf_chat`` put the keyword after
  the whole question ("Question: Is it an animal?\nKeyword: umbrella"); ``qf_sub`` substitutes
  the keyword for "it" ("Is umbrella an animal?"), so the prefix ends where the keyword starts
  and the suffix is the keyword, the rest of the question and the chat template's end. Measured
  on the check set (tables/LLM.md): qf_sub is nearly as accurate as keyword-first sys_sub; the
  keyword-last layouts are not (a small model reads the question before it knows the subject).
"""
from __future__ import annotations

import re

INSTRUCTION = "You are answering a game of 20 Questions."

FEW_SHOT = (  # (keyword, question, answer)
    ("banana", "Is it a fruit?", "yes"),
    ("hammer", "Is it alive?", "no"),
    ("paris", "Is it a city?", "yes"),
    ("whale", "Is it a fish?", "no"),
    ("guitar", "Is it a musical instrument?", "yes"),
    ("chair", "Can you eat it?", "no"),
)


def substitute(question: str, keyword: str) -> str:
    """Replace the pronoun "it"/"its" with the keyword.

    >>> substitute("Is it a fruit? Does its skin peel?", "banana")
    "Is banana a fruit? Does banana's skin peel?"
    """
    q = re.sub(r"\bits\b", f"{keyword}'s", question, flags=re.IGNORECASE)
    return re.sub(r"\bit\b", keyword, q, flags=re.IGNORECASE)


def _kw(keyword: str, category: str | None) -> str:
    return f"'{keyword}'" + (f" (a {category})" if category else "")


def _zs(keyword, question, category):
    return [{"role": "user", "content": f"{INSTRUCTION} The secret keyword is {_kw(keyword, category)}. "
                                         f"Answer the question with yes or no. Question: {question}"}]


def _zs_sub(keyword, question, category):
    return _zs(keyword, substitute(question, keyword), category)


def _fs(keyword, question, category):
    msgs = []
    for k, q, a in FEW_SHOT:
        msgs += _zs(k, q, None) + [{"role": "assistant", "content": a}]
    return msgs + _zs(keyword, question, category)


def _plain_lines(keyword, question, category):
    head = "Answer yes or no about the keyword.\n\n"
    shots = "".join(f"Keyword: {k}\nQuestion: {substitute(q, k)}\nAnswer: {a}\n\n" for k, q, a in FEW_SHOT)
    cat = f" ({category})" if category else ""
    return head + shots + f"Keyword: {keyword}{cat}\nQuestion: {question}\nAnswer:"


def _plain(keyword, question, category):
    return _plain_lines(keyword, question, category)


def _plain_sub(keyword, question, category):
    return _plain_lines(keyword, substitute(question, keyword), category)


def _sys_sub(keyword, question, category):
    return [{"role": "system", "content": f"The secret keyword is {_kw(keyword, category)}. "
                                           "Answer truthfully with exactly one word: Yes or No."},
            {"role": "user", "content": substitute(question, keyword)}]


# name -> f(keyword, question, category) -> chat messages (list of dicts) or plain text (str)
PROMPTS = {
    "zs": _zs,
    "zs_sub": _zs_sub,
    "fs": _fs,
    "plain": _plain,
    "plain_sub": _plain_sub,
    "sys_sub": _sys_sub,
}


def render_prompt(tokenizer, prompt: str, keyword: str, question: str, category: str | None = None) -> str:
    """The full prompt text for one (keyword, question); chat templates end with the assistant turn."""
    if prompt not in PROMPTS:
        raise ValueError(f"unknown prompt {prompt!r}; known: {sorted(PROMPTS)}")
    out = PROMPTS[prompt](keyword, question, category)
    if isinstance(out, str):
        return out
    return tokenizer.apply_chat_template(out, tokenize=False, add_generation_prompt=True)


# --- question-first layouts: the keyword is the last thing before the answer ----------------

QF_INSTRUCTION = ("We are playing 20 Questions. For each question about a secret keyword, "
                  "answer yes or no truthfully, as most people would.")


def _qf_plain(keyword, question, category):
    shots = "".join(f"Question: {q}\nKeyword: {k}\nAnswer: {a}\n\n" for k, q, a in FEW_SHOT)
    cat = f" ({category})" if category else ""
    return f"{QF_INSTRUCTION}\n\n{shots}Question: {question}\nKeyword: {keyword}{cat}\nAnswer:"


def _qf_chat(keyword, question, category):
    cat = f" ({category})" if category else ""
    return [{"role": "system", "content": QF_INSTRUCTION + " Reply with exactly one word: Yes or No."},
            {"role": "user", "content": f"Question: {question}\nKeyword: {keyword}{cat}"}]


QF_SUB_SYSTEM = "We are playing 20 Questions. Answer truthfully with exactly one word: Yes or No."


def _qf_sub(keyword, question, category):
    """The question with "it" replaced by the keyword, as the user turn; no keyword in the system
    turn. Cached prefix: the system turn + the question's words before the keyword."""
    kw = f"{keyword} (a {category})" if category else keyword
    return [{"role": "system", "content": QF_SUB_SYSTEM}, {"role": "user", "content": substitute(question, kw)}]


def _qf_sub_plain(keyword, question, category):
    """Plain-text few-shot form of qf_sub (no chat template: two fewer suffix tokens per cell)."""
    shots = "".join(f"Question: {substitute(q, k)}\nAnswer: {a}\n\n" for k, q, a in FEW_SHOT)
    kw = f"{keyword} (a {category})" if category else keyword
    return f"{QF_SUB_SYSTEM}\n\n{shots}Question: {substitute(question, kw)}\nAnswer:"


def _kaggle(keyword, question, category):
    """An answerer written the way the competition's starter notebooks did (keyword and question in
    the user turn, no substitution, its own wording). Never used to build the answer bank: it
    stands in for another team's answerer in live evaluation."""
    return [{"role": "system", "content": "You are an AI assistant designed to play the 20 Questions game. "
                                          "In this game, the Answerer thinks of a keyword and responds to "
                                          "yes-or-no questions by the Questioner. The keyword is a specific "
                                          f"{category or 'thing'}."},
            {"role": "user", "content": f'The keyword is "{keyword}". The question is: {question} '
                                        "Answer with yes or no only."}]


def _host(keyword, question, category):
    """A second answerer for live evaluation, written after the tables were built and never used to
    build the answer bank or to choose between tables: a quiz host who holds the thing in the system
    turn (no quotes, no category) and reads the player's question as asked ("it" not substituted)."""
    return [{"role": "system", "content": "You are the host of a guessing game. The thing you are thinking of "
                                          f"is: {keyword}. The player asks yes-or-no questions about it to "
                                          "work out what it is. Answer each question honestly with Yes or No."},
            {"role": "user", "content": question}]


PROMPTS["qf_plain"] = _qf_plain
PROMPTS["qf_chat"] = _qf_chat
PROMPTS["qf_sub"] = _qf_sub
PROMPTS["qf_sub_plain"] = _qf_sub_plain
PROMPTS["kaggle"] = _kaggle
PROMPTS["host"] = _host

# prompts whose cells share the question, not the keyword, as their prefix
QUESTION_FIRST = frozenset({"qf_plain", "qf_chat", "qf_sub", "qf_sub_plain"})
