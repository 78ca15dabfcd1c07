"""q20's Kaggle agent: the guesser (tree walk + Bayesian posterior), the answerer (exact
answers by code, table lookup, LLM) and the referee boundary that never raises.

``agent/main.py`` is the Kaggle entry point; it is a thin shell over :mod:`agent.core`.
Nothing here imports numpy, pandas or torch at import time except what a role needs.
"""
