"""scripts/live_eval.py: the seeded keyword samples are stable across bank sizes."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from live_eval import stable_sample  # noqa: E402

ITEMS = [f"thing {i}" for i in range(100)]


def test_sample_size_sorted_and_seeded():
    a = stable_sample(ITEMS, 40, seed=0, stream=1)
    assert len(a) == 40 == len(set(a))
    assert a == sorted(a, key=str.lower)
    assert a == stable_sample(ITEMS, 40, seed=0, stream=1)
    assert a != stable_sample(ITEMS, 40, seed=1, stream=1)
    assert a != stable_sample(ITEMS, 40, seed=0, stream=0)


def test_smaller_n_is_nested():
    assert set(stable_sample(ITEMS, 10, 0, 1)) <= set(stable_sample(ITEMS, 40, 0, 1))


@pytest.mark.parametrize("n", [10, 40])
def test_keep_grows_consistently(n):
    """The bank gains keywords: what the new sample takes from the old bank was in the old sample,
    and a bank with fewer than n public things has all of them played."""
    small, big = set(ITEMS[:30]), set(ITEMS[:60])
    a = stable_sample(ITEMS, n, 0, 0, keep=small)
    b = stable_sample(ITEMS, n, 0, 0, keep=big)
    assert set(a) <= small and set(b) <= big
    assert set(b) & small <= set(a)
    assert len(a) == min(n, 30) and len(b) == min(n, 60)


def test_keep_filters_only():
    assert stable_sample(ITEMS, 5, 0, 0, keep=set()) == []
    assert stable_sample(ITEMS, 500, 0, 0) == sorted(ITEMS, key=str.lower)
