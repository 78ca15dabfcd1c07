"""Ad hoc: are a thing's path cells the cells the agent asks it? (docs/default_table.md section 30)

Path cells were picked by whichever default was shipped when their block was scored (its table,
tree and self-play with the thing's *predicted* cells). The table that uses them refits its tree,
and the thing's measured cells move its own answers (14% of cells cross 0.5, section 26), so the
questions a game asks it can leave the measured ones. Counted here, no LLM call:

1. self-play (the table answering, seed 1: not the picking seed; 2 games of every EVERY-th path
   thing the table holds): the share of natural questions asked that are measured cells of the thing, by the table
   that picked its block;
2. the recorded live games of the table (live_eval.py games.csv, the `kaggle` answerer): the same
   share on the path-public things, by round.

    python docs/experiments/path_alignment.py TABLE_DIR GAMES_CSV [N_PATH [EVERY]]
"""
import collections
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, ".")
from planner.evaluation import TableAnswerer, parse_transcript, play_games  # noqa: E402
from planner.table import load_table  # noqa: E402
from planner.tree import load_tree  # noqa: E402
from planner.types import table_types  # noqa: E402
from tables import bank_sources as bs  # noqa: E402
from tables.answer_bank import read_bank_keywords, read_shard  # noqa: E402

table_dir = Path(sys.argv[1])
games_csv = sys.argv[2] if len(sys.argv) > 2 else None
n_path = int(sys.argv[3]) if len(sys.argv) > 3 else None

table = load_table(table_dir)
tree = load_tree(table_dir / "tree.npz", table)
types = table_types(table_dir, table)
qtext = dict(zip(table.questions["text"], table.questions["id"].astype(str)))
natural = set(table.questions.loc[table.questions["kind"] == "natural", "text"])

# measured path cells, by block, with the table that picked the block
src = bs.ROOT / bs.path_source()
listed = read_bank_keywords(src / "keywords.csv")["keyword"].tolist()
measured = collections.defaultdict(set)
picked_by = {}
for f in sorted((src / "shards").glob("*.npz")):
    z = read_shard(f)
    pb = json.loads(str(z["picked_by"]))["table"][:8]
    for k, q in zip(z["keywords"].tolist(), z["qids"].tolist()):
        measured[k].add(q)
        picked_by[k] = pb
in_table = set(table.names)
n_path = n_path or sum(1 for k in listed if k in measured)
path_kw = [k for k in listed[:n_path] if k in measured and k in in_table]
every = int(sys.argv[4]) if len(sys.argv) > 4 else 4
print(f"table {table.hash[:8]}: {len(path_kw)} path things of the first {n_path} listed; self-play on every {every}th", flush=True)

# 1. self-play coverage
answerer = TableAnswerer(np.asarray(table.P, dtype=np.float32), "self")
df = play_games(table, "q20", answerer, path_kw[::every], tree=tree, games_per_keyword=2, seed=1, types=types)
by_group = collections.defaultdict(lambda: [0, 0])
for k, tr in zip(df["keyword"], df["transcript"]):
    for text, _, _ in parse_transcript(tr):
        if text in natural:
            g = by_group[picked_by[k]]
            g[0] += qtext[text] in measured[k]
            g[1] += 1
order = []
for k in path_kw:
    if picked_by[k] not in order:
        order.append(picked_by[k])
for pb in order:
    m, n = by_group[pb]
    print(f"  self-play, picked by {pb}: {m}/{n} = {m / max(n, 1):.3f} of natural questions asked are measured")
m, n = np.sum(list(by_group.values()), axis=0)
print(f"  self-play, all: {m}/{n} = {m / max(n, 1):.3f}")

# 2. live games
if games_csv:
    g = pd.read_csv(games_csv)
    g = g[(g["table"].astype(str).str.contains(table.hash[:8])) | (g["table"] == str(table_dir))] if "table" in g else g
    in_tab = set(path_kw)
    pk = {k for k in measured if k in in_table}      # every scored path thing; the later ones the table only predicts
    by_round = collections.defaultdict(lambda: [0, 0])
    by_pick = collections.defaultdict(lambda: [0, 0])
    for row in g.itertuples(index=False):
        if row.keyword not in pk:
            continue
        for r, (text, _, _) in enumerate(parse_transcript(row.transcript), 1):
            if text in natural:
                hit = qtext[text] in measured[row.keyword]
                b = by_round[(row.keyword in in_tab, (r - 1) // 5)]
                b[0] += hit
                b[1] += 1
                p = by_pick[(picked_by[row.keyword], row.keyword in in_tab)]
                p[0] += hit
                p[1] += 1
    for used, b in sorted(by_round):
        m, n = by_round[(used, b)]
        print(f"  live, {'in the table' if used else 'predicted'}, rounds {5 * b + 1}-{5 * b + 5}: {m}/{n} = {m / max(n, 1):.3f}")
    for (pb, used), (m, n) in by_pick.items():
        print(f"  live, picked by {pb}, {'in the table' if used else 'not in the table (predicted)'}: {m}/{n} = {m / max(n, 1):.3f}")
    for used in (True, False):
        m = sum(v[0] for (u, _), v in by_round.items() if u == used)
        n = sum(v[1] for (u, _), v in by_round.items() if u == used)
        games = g["keyword"].isin(in_tab if used else pk - in_tab).sum()
        print(f"  live, {'in the table' if used else 'predicted'}, all: {m}/{n} = {m / max(n, 1):.3f} ({games} games)")
