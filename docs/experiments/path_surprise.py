"""Ad hoc: where do live games on measured things lose their bits, at measured or predicted cells?
(docs/default_table.md section 31)

For every recorded live game (live_eval.py games.csv) of TABLE on a thing whose path cells TABLE
holds, each natural question answered is split by whether the thing's cell was measured (a path
cell) or predicted (the completion), and scored against the table's cell p = P[thing, question]:
a hard disagreement (the answer against p's side of 0.5) and its surprise, -log2 of the probability
the table gave the answer. The surprise a game pays at the true thing is what pushes it down the
posterior; if measured cells pay most of it, measuring more of each thing cannot win those games back
(the prompt gap is the floor), and if predicted cells do, a deeper path (a larger cap) would.
No LLM call.

With BASE_DIR (the same table built with no path cells, `--path-keywords 0`), the measured cells
asked are also scored against BASE's predicted cell for the same thing and question: the same
answers, the same cells, measured against predicted; and every recorded `kaggle` reply of
docs/live_answers.csv on those things (not only the questions TABLE's games asked) the same way
(planner.evaluation.cell_calibration: AUC, log-loss, share on the other side of 0.5), beside the
same replies on the bank's things TABLE holds (its first `bank_keywords` of the bank's list: cells
averaged over the bank's two prompts, against the path cells' one).

    python docs/experiments/path_surprise.py TABLE_DIR GAMES_CSV [N_PATH [BASE_DIR]]
"""
import collections
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, ".")
from planner.evaluation import cell_calibration, parse_transcript, reply_cells  # noqa: E402
from planner.table import load_table  # noqa: E402
from tables import bank_sources as bs  # noqa: E402
from tables.answer_bank import load_bank, read_bank_keywords  # noqa: E402


def scored(p: float, ans: bool) -> tuple:
    """(1, hard disagreement, surprise in bits) of answer ``ans`` at a cell ``p`` (clipped to 1e-6)."""
    p = min(max(p, 1e-6), 1 - 1e-6)
    return 1, (p > 0.5) != ans, -np.log2(p if ans else 1 - p)


table_dir = Path(sys.argv[1])
games = pd.read_csv(sys.argv[2])
table = load_table(table_dir)
games = games[games["table"] == str(table_dir)] if "table" in games else games
P = np.asarray(table.P, dtype=np.float64)
row = {k: i for i, k in enumerate(table.names)}
col = {t: j for j, t in enumerate(table.questions["text"])}
natural = set(table.questions.loc[table.questions["kind"] == "natural", "text"])

src = bs.ROOT / bs.path_source()
listed = read_bank_keywords(src / "keywords.csv")["keyword"].tolist()
measured = ~np.isnan(load_bank(src).grid(table.names, table.questions["id"].astype(str).tolist()))   # (K, Q) path cells
n_path = int(sys.argv[3]) if len(sys.argv) > 3 else len(listed)
in_table = {k for k in listed[:n_path] if k in row and measured[row[k]].any()}
base = load_table(sys.argv[4]) if len(sys.argv) > 4 else None
if base is not None:
    assert list(base.questions["text"]) == list(table.questions["text"]), "BASE asks other questions"
    brow = {k: i for i, k in enumerate(base.names)}
    PB = np.asarray(base.P, dtype=np.float64)
paired = collections.defaultdict(lambda: np.zeros(3))    # solved? -> [answers, disagreements, bits] at BASE's cell

stats = collections.defaultdict(lambda: np.zeros(3))      # (solved, measured?) -> [answers, hard disagreements, surprise bits]
per_game = []
for g in games.itertuples(index=False):
    if g.keyword not in in_table:
        continue
    i = row[g.keyword]
    bits = {True: 0.0, False: 0.0}
    for text, ans, _ in parse_transcript(g.transcript):
        if text not in natural or ans is None:
            continue
        m = bool(measured[i, col[text]])
        s = scored(P[i, col[text]], ans)
        stats[(bool(g.solved), m)] += s
        bits[m] += s[2]
        if base is not None and m and g.keyword in brow:
            paired[bool(g.solved)] += scored(PB[brow[g.keyword], col[text]], ans)
    per_game.append((bool(g.solved), bits[True], bits[False]))

print(f"table {table.hash[:8]}: {len(per_game)} live games on {len(in_table)} path things it holds measured")
for solved in (True, False):
    for m in (True, False):
        n, d, b = stats[(solved, m)]
        print(f"  {'solved' if solved else 'lost  '} games, {'measured ' if m else 'predicted'} cells: "
              f"{int(n)} answers, hard disagreement {d / max(n, 1):.3f}, surprise {b / max(n, 1):.3f} bits an answer")
pg = np.array(per_game, dtype=float)
for solved in (1.0, 0.0):
    sel = pg[pg[:, 0] == solved]
    if len(sel):
        print(f"  {'solved' if solved else 'lost  '} ({len(sel)} games): surprise a game at measured {sel[:, 1].mean():.2f} bits, "
              f"at predicted {sel[:, 2].mean():.2f} bits")
if base is not None:
    for solved in (True, False):
        n, d, b = paired[solved]
        print(f"  {'solved' if solved else 'lost  '} games, the same measured cells as BASE {base.hash[:8]} predicts them: "
              f"{int(n)} answers, hard disagreement {d / max(n, 1):.3f}, surprise {b / max(n, 1):.3f} bits an answer")
    replies = pd.read_csv("docs/live_answers.csv")
    replies = replies[replies["prompt"] == "kaggle"]
    rep = replies[replies["keyword"].isin(in_table)]
    both = reply_cells(table, rep).merge(reply_cells(base, rep), on=["keyword", "q"], suffixes=("", "_base"))
    is_measured = measured[[row[k] for k in both["keyword"]], both["q"].to_numpy()]
    both = both[(both["kind"] == "natural").to_numpy() & is_measured]
    for name, col_p in (("measured (TABLE)", "p"), ("predicted (BASE)", "p_base")):
        c = cell_calibration(both[col_p], both["answer"])
        print(f"  every recorded kaggle reply at a measured cell, {name}: n {c['n']}, AUC {c['auc']:.3f}, "
              f"log-loss {c['log_loss']:.3f}, other side {c['other_side']:.3f}, yes {c['yes_rate']:.3f} mean p {c['mean_p']:.3f}")
    n_bank = json.loads((table_dir / "meta.json").read_text())["report"]["bank_keywords"]
    bank = read_bank_keywords(bs.ROOT / "keywords.csv")["keyword"].tolist()[:n_bank]
    c = reply_cells(table, replies[replies["keyword"].isin(bank)])
    c = c[c["kind"] == "natural"]
    c = cell_calibration(c["p"], c["answer"])
    print(f"  every recorded kaggle reply on the {n_bank} bank things, TABLE's bank cells: n {c['n']}, AUC {c['auc']:.3f}, "
          f"log-loss {c['log_loss']:.3f}, other side {c['other_side']:.3f}, yes {c['yes_rate']:.3f} mean p {c['mean_p']:.3f}")
    print("    by cell bin [lo, hi, n, mean p, yes rate]:", c["bins"])
