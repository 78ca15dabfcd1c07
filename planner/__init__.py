"""q20 planner: soft-probability question tables, Bayesian beliefs and entropy trees.

Imports numpy, scipy, pandas and joblib only (never torch or transformers).
"""
from planner.table import Table, TableError, load_table, save_table
from planner.tree import QuestionTree, load_tree
from planner.walk import Walker

__all__ = ["Table", "TableError", "load_table", "save_table", "QuestionTree", "load_tree", "Walker"]
