"""tables/cross_prompt.py on a small fake bank (tests.test_scoring.FakeScorer, two prompt styles) and
random embeddings: which keywords make the main grid, and that every cell is the bank's own."""
import numpy as np
import pandas as pd
import pytest

from tables.answer_bank import BankJob, load_bank
from tables.cross_prompt import main_prompt_cells, other_prompt_cells
from tables.question_bank import question_bank
from tables.scoring import ScorerSpec, run_job

KWS = [f"thing {i}" for i in range(14)]


def _job(root, name, kws, qs):
    spec = ScorerSpec(factory="tests.test_scoring:FakeScorer", name=name)
    frame = pd.DataFrame({"keyword": kws, "category": "", "prior": "", "origin": "prior"})
    run_job(BankJob(spec, frame, qs, root=root, block_size=30), progress=False)


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    d = tmp_path_factory.mktemp("cross")
    nat = question_bank(kinds=("natural",))
    bank = d / "bank"
    bank.mkdir()
    pd.DataFrame({"keyword": KWS, "category": "", "prior": "", "origin": "prior"}).to_csv(bank / "keywords.csv", index=False)
    _job(bank, "qwen1.5b-qf_sub", KWS[:12], nat)                 # fully scored
    _job(bank, "qwen1.5b-qf_sub", KWS[12:14], nat.head(5))      # partly scored: left out
    _job(bank, "qwen1.5b-sys_sub", KWS[2:8], nat)               # the second prompt on 6 of them
    emb = d / "emb"
    (emb / "shards").mkdir(parents=True)
    np.savez(emb / "basis.npz", id="fake")
    embedded = [k for k in KWS if k != "thing 5"]              # no embedding: left out
    Z = np.random.default_rng(0).normal(size=(len(embedded), 8)).astype(np.float16)
    np.savez(emb / "shards" / "00000-fake.npz", keywords=np.array(embedded), Z=Z, version=1)
    return bank, emb, nat, embedded, Z


def test_main_cells_keep_the_fully_scored_embedded_keywords_with_their_own_cells(fake):
    bank, emb, nat, embedded, Z = fake
    cells = main_prompt_cells(bank, emb)
    assert cells.source == "qwen1.5b-qf_sub" and cells.others == ["qwen1.5b-sys_sub"]
    expect = [k for k in KWS[:12] if k != "thing 5"]
    assert cells.keywords == expect
    assert cells.qids == nat["id"].tolist()
    K, Q = len(expect), len(nat)
    assert cells.S.shape == (K, Q) and cells.X.shape == (K, 8) and not np.isnan(cells.S).any()
    for i, k in enumerate(expect):                               # features follow the keyword, not the row
        np.testing.assert_array_equal(cells.X[i], Z[embedded.index(k)])
    main = load_bank(bank / "qwen1.5b-qf_sub")
    assert cells.cals["qwen1.5b-qf_sub"] is None                 # no check-set scores in a fake bank
    naive = np.array([[main.P[main.keywords.index(k), main.qids.index(q)] for q in cells.qids] for k in expect])
    np.testing.assert_allclose(cells.S, naive, rtol=1e-6)


def test_other_cells_are_the_second_prompt_on_the_same_grid(fake):
    bank, emb, _, _, _ = fake
    cells = main_prompt_cells(bank, emb)
    So, scored = other_prompt_cells(cells)
    assert So.shape == scored.shape == cells.S.shape
    rows = [k in KWS[2:8] for k in cells.keywords]
    np.testing.assert_array_equal(scored.all(axis=1), rows)
    np.testing.assert_array_equal(scored.any(axis=1), rows)
    assert np.isnan(So[~scored]).all() and not np.isnan(So[scored]).any()
    with pytest.raises(ValueError, match="not among the table sources"):
        other_prompt_cells(cells, "qwen1.5b-nope")
