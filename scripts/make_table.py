"""Write a synthetic table (or a perfectly halving one) in the tables/ format.

    python scripts/make_table.py --synthetic 10000 2000 --noise 0.05 --seed 0 --out /tmp/syn
    python scripts/make_table.py --halving 10 --out /tmp/halving
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--synthetic", nargs=2, type=int, metavar=("K", "Q"), help="random binary features, softened")
    g.add_argument("--halving", type=int, metavar="BITS", help="2**BITS keywords, BITS bit questions")
    p.add_argument("--noise", type=float, default=0.05, help="softening e: cells are e or 1-e")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--prior-skew", type=float, default=0.0, help="Zipf exponent of the prior (0 = uniform)")
    p.add_argument("--out", required=True, help="output table directory")
    return p


def main(args) -> dict:
    from planner.synthetic import make_halving, make_synthetic
    from planner.table import save_table

    if args.synthetic:
        table = make_synthetic(*args.synthetic, noise=args.noise, seed=args.seed, prior_skew=args.prior_skew)
    else:
        table = make_halving(args.halving, noise=args.noise if args.noise != 0.05 else 0.0)
    save_table(table, args.out)
    info = {"out": str(args.out), "K": table.K, "Q": table.Q, "hash": table.hash}
    print(json.dumps(info))
    return info


if __name__ == "__main__":
    main(make_parser().parse_args())
