"""Tests of the gloss-compound source (two-word nouns from WordNet glosses) and its prior penalty."""
import numpy as np
import pandas as pd
import pytest

from tables import prior as pr
from tables import universe as uni
from tables.wordnet import load_wordnet, read_glosses
from tests.test_tables_wordnet import write_fake_wordnet

RATINGS = {"dog": 4.9, "bag": 4.8, "cat": 4.9, "box": 4.9, "lid": 4.5, "mouse": 2.0}


def zipf(word):
    """A stub word frequency: every word is common."""
    return 5.0


@pytest.fixture
def wn(tmp_path):
    return load_wordnet(write_fake_wordnet(tmp_path / "wn"))


def test_read_glosses(tmp_path):
    d = write_fake_wordnet(tmp_path / "wn")
    glosses = list(read_glosses(d))                      # data.verb/adj/adv absent: skipped
    assert len(glosses) == 16 and glosses[3] == "a container with flat sides"
    (d / "data.noun").unlink()
    with pytest.raises(ValueError, match="data.noun: file not found"):
        list(read_glosses(d))


def test_gloss_compounds(wn):
    glosses = ["a dog bag for walks", "the cat boxes", "a box box", "dogs bags", "a mouse lid", "a box spring"]
    got = {e["keyword"]: e for e in uni.gloss_compounds(wn, glosses, RATINGS, zipf=zipf)}
    # "cat boxes" -> singular head; "box box" repeats; "dogs" is no lemma; "mouse" is not concrete
    # enough to modify; "spring" is no WordNet noun here
    assert set(got) == {"dog bag", "cat box"}
    assert got["dog bag"]["senses"] == ((5, 1.0),) and got["dog bag"]["head_derived"]
    assert got["cat box"]["category"] == "artifact" and got["cat box"]["source"] == "gloss"
    assert uni.gloss_compounds(wn, glosses, RATINGS, zipf=lambda w: 1.0) == []      # rare words: none


def test_generated_mask_and_prior_penalty():
    es = [uni.entry("dog bag", "artifact", "gloss", senses=((5, 1.0),), head_derived=True),
          uni.entry("cat box", "artifact", "kaggle"), uni.entry("cat box", "artifact", "gloss"),
          uni.entry("box spring", "artifact", "wordnet"), uni.entry("box spring", "artifact", "gloss"),
          uni.entry("lid", "artifact", "kaggle")]
    df = uni.merge(es)
    gen = dict(zip(df["keyword"], uni.generated_mask(df)))
    assert gen == {"box spring": False, "cat box": True, "dog bag": True, "lid": False}
    feat = pd.DataFrame({"zipf": 3.0, "conc": 4.0, "part": 0.0, "n_words": 2, "tag": 0.0, "head": 0.0,
                         "gen": uni.generated_mask(df).astype(float), "place": 0.0, "logpop": 0.0,
                         "category": "artifact"}, index=range(len(df)))
    s = pr.log_score(feat)
    g = feat["gen"].to_numpy()
    assert pr.PRIOR_PARAMS["a_gen"] < 0
    assert np.allclose(s, pr.log_score(feat.drop(columns="gen")) + pr.PRIOR_PARAMS["a_gen"] * g)
