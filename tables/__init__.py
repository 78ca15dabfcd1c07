"""q20 tables: the keyword universe, its prior, knowledge questions and the softened table P.

Modules: ``wordnet`` (WordNet 3.0 reader), ``universe`` (sources, merging, coverage),
``prior`` (log-linear prior, its measurement and tuning), ``knowledge`` (questions, features,
softening), ``universe_example`` (the small committed example table). Built by
``scripts/build_universe.py``; formulas in tables/README.md. Nothing runs at import.
"""
