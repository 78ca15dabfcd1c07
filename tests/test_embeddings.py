"""tables/embeddings.py: PCA basis maths, and keyword embeddings with SmolLM2 (marked llm)."""
from pathlib import Path

import numpy as np
import pytest

from tables.answer_bank import BankError
from tables.embeddings import EmbedJob, fit_basis, load_embeddings, project

ROOT = Path(__file__).resolve().parents[1]
SMOL = ROOT / "models" / "smollm2"
needs_smol = pytest.mark.skipif(not (SMOL / "config.json").exists(), reason="models/smollm2 absent")


def test_fit_basis_is_pca_of_standardized_rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 12)) @ rng.normal(size=(12, 12)) + 5.0
    X[:, 3] *= 1000.0  # an outlier dimension: standardizing keeps it from owning the first component
    b = fit_basis(X, 4)
    C = b["components"]
    np.testing.assert_allclose(C.T @ C, np.eye(4), atol=1e-5)
    Z = project(X, b)
    assert Z.shape == (200, 4)
    np.testing.assert_allclose(Z.mean(0), 0, atol=1e-3)
    var = Z.var(0)
    assert np.all(np.diff(var) <= 1e-6)  # components ordered by variance
    S = (X - X.mean(0)) / (X.std(0) + 1e-6)
    top = np.linalg.eigvalsh(np.cov(S.T, bias=True))[::-1][:4]
    np.testing.assert_allclose(var, top, rtol=1e-3)
    with pytest.raises(ValueError, match="dim 13 exceeds"):
        fit_basis(X, 13)


def test_load_embeddings_errors(tmp_path):
    with pytest.raises(BankError, match="not an embeddings dir"):
        load_embeddings(tmp_path)


@pytest.mark.llm
@needs_smol
def test_embed_job_resumes_and_matches_uncached(tmp_path):
    from tables.scoring import ScorerSpec, _scorer, run_job

    spec = ScorerSpec(model_dir=str(SMOL), batch_size=8, num_threads=2, name="smol")
    kws = ["banana", "paper clip", "whale", "hammer", "violin", "teapot", "gorilla", "umbrella", "surfboard",
           "chimney", "doughnut", "boomerang"]
    job = EmbedJob(spec, kws, root=tmp_path, block_size=5, dim=6, basis_n=10)
    s = run_job(job, progress=False, max_shards=2)
    assert s["computed"] == 2 and (tmp_path / "smol" / "basis.npz").exists()
    names, Z = load_embeddings(tmp_path / "smol")
    assert names == kws[:10] and Z.shape == (10, 6)
    s = run_job(EmbedJob(spec, kws, root=tmp_path, block_size=5, dim=6, basis_n=10), progress=False)
    assert s["skipped"] == 2 and s["computed"] == 1
    names, Z = load_embeddings(tmp_path / "smol")
    assert names == kws and np.isfinite(Z).all()
    # cached-prefix hidden states equal one full forward per text
    import torch

    from tables.embeddings import embed_texts

    sc = _scorer(spec)
    seqs = [sc.tokenizer.encode(t, add_special_tokens=False) for t in embed_texts(kws[:4])]
    H = sc.last_hidden(seqs, (3, -1))
    for i, s_ in enumerate(seqs):
        with torch.inference_mode():
            hs = sc.model(input_ids=torch.tensor([s_]), output_hidden_states=True).hidden_states
        np.testing.assert_allclose(H[i, 0], hs[3][0, -1].numpy(), atol=1e-3, rtol=1e-3)
        np.testing.assert_allclose(H[i, 1], hs[-1][0, -1].numpy(), atol=1e-3, rtol=1e-3)
