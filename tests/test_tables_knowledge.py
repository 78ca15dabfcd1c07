"""Tests of the knowledge questions, their features and the softened table."""
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tables import knowledge as kn
from tables import universe as uni
from tables.wordnet import DEFAULT_DIR, load_wordnet
from tests.test_tables_wordnet import write_fake_wordnet


def zipf(word):
    """A stub word frequency: every word is common except 'entity'."""
    return 1.0 if word == "entity" else 5.0


@pytest.fixture
def wn(tmp_path):
    return load_wordnet(write_fake_wordnet(tmp_path / "wn"))


@pytest.fixture
def U():
    es = [uni.entry("box", "artifact", "wordnet", senses=((4, 1.0),)),
          uni.entry("bag", "artifact", "wordnet", senses=((5, 1.0),)),
          uni.entry("dog", "animal", "wordnet", senses=((7, 1.0),)),
          uni.entry("cat", "animal", "wordnet", senses=((8, 0.75), (4, 0.25))),
          uni.entry("paper bag", "artifact", "concreteness", senses=((5, 1.0),), head_derived=True),
          uni.entry("Paris", "city", "geonames", country="FR", continent="Europe", population=2.1e6, capital=True),
          uni.entry("France", "country", "geonames", country="FR", continent="Europe", population=6.7e7),
          uni.entry("Lyon", "city", "geonames", country="FR", continent="Europe", population=5e5)]
    df = uni.merge(es)
    df["subregion"] = np.where(df["country"] == "FR", "Western Europe", "")
    return df


def test_category_text(wn):
    assert kn.category_text(wn, 3, zipf) == "Is it a container?"               # hand wording
    assert kn.category_text(wn, 4, zipf) == "Is it a kind of box?"
    assert kn.category_text(wn, 1, zipf) is None                               # jargon only
    assert kn.category_text(wn, 6, zipf) == "Is it an animal?"


def test_category_features(wn, U):
    prior = np.full(len(U), 1 / len(U))
    qs, F = kn.category_questions(wn, U, prior, min_count=1, zipf=zipf)
    col = dict(zip(qs["text"], range(len(qs))))
    row = dict(zip(U["keyword"], range(len(U))))
    c = col["Is it a container?"]
    assert F[row["box"], c] == 1 and F[row["dog"], c] == 0 and F[row["cat"], c] == pytest.approx(0.25)
    assert F[row["paper bag"], c] == pytest.approx(0.5 + kn.HEAD_SHRINK * 0.5)        # shrunk member
    assert F[row["paper bag"], col["Is it an animal?"]] == pytest.approx(0.5 - kn.HEAD_SHRINK / 2)
    assert F[row["Paris"]].max() == 0                                          # places get place questions
    assert qs["id"].str.startswith("cat:").all() and (qs["kind"] == "category").all()


def test_place_questions(U):
    qs, F = kn.place_questions(U, min_country_places=2)
    f = pd.DataFrame(F, index=U["keyword"], columns=qs["id"])
    assert f.loc["Paris", "place:capital"] == 1 and f.loc["Lyon", "place:capital"] == 0
    assert f.loc["Lyon", "place:continent:Europe"] == 1 and f.loc["box", "place:any"] == 0
    assert f.loc["Paris", "place:pop:1000000"] == 1 and f.loc["Lyon", "place:pop:1000000"] == 0
    assert f.loc["Lyon", "place:in:FR"] == 1 and f.loc["France", "place:in:FR"] == 0.5
    assert "Is it in Western Europe?" in qs["text"].tolist()


def test_spelling_and_alpha():
    names = ["Air compressor", "apple", "Zebra crossing pole"]
    qs, F = kn.spelling_questions(names)
    f = pd.DataFrame(F, index=names, columns=qs["id"])
    assert f["spell:first:a"].tolist() == [1, 1, 0] and f["spell:first2:ai"].tolist() == [1, 0, 0]
    assert f["spell:words:1"].tolist() == [0, 1, 0] and f["spell:words:3+"].tolist() == [0, 0, 1]
    assert f["spell:len:5"].tolist() == [1, 0, 1] and f["spell:last:e"].tolist() == [0, 1, 1]
    assert f["spell:range:a-m"].tolist() == [1, 1, 0] and f["spell:contains:z"].tolist() == [0, 0, 1]
    qa, Fa = kn.alpha_questions(names, ["laptop"])
    assert qa["text"][0] == 'Does the keyword (in lowercase) precede "laptop" in alphabetical order?'
    assert Fa[:, 0].tolist() == [1, 1, 0]


def test_alpha_cuts_split_mass():
    names = ["a", "b", "c", "d"]
    assert kn.alpha_cuts(names, np.array([0.25, 0.25, 0.25, 0.25]), 1) == ["c"]
    assert kn.alpha_cuts(names, np.array([0.7, 0.1, 0.1, 0.1]), 1) == ["b"]


def test_soften_formula_and_noise_hook():
    qs = pd.DataFrame({"id": ["a", "b", "c"], "text": ["A?", "B?", "C?"], "kind": ["spelling", "category", "category"]})
    e = kn.noise_vector(qs, measured={"c": 0.3})
    assert e.tolist() == pytest.approx([0.02, 0.10, 0.3])
    F = np.array([[1, 0, 0.5], [0, 1, 1]], dtype=np.float32)
    with np.errstate(all="raise"):
        P = kn.soften(F.copy(), e)
    naive = F * (1 - e) + (1 - F) * e
    assert P == pytest.approx(naive) and P[0, 0] == pytest.approx(0.98) and P[0, 2] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="question 'c': noise 0.7"):
        kn.noise_vector(qs, measured={"c": 0.7})
    with pytest.raises(ValueError, match="no noise for kind 'odd'"):
        kn.noise_vector(pd.DataFrame({"id": ["x"], "text": ["X?"], "kind": ["odd"]}))


def test_split_mask_and_dedupe():
    F = np.array([[1, 1, 1, 0], [0, 0, 1, 1], [1, 1, 1, 0], [0, 0, 1, 0]], dtype=np.float32)
    prior = np.full(4, 0.25)
    assert kn.split_mask(F, prior, min_count=1, min_mass=0.1).tolist() == [True, True, False, True]
    assert kn.dedupe_columns(F).tolist() == [True, False, True, True]


def test_build_questions_end_to_end(wn, U):
    prior = np.full(len(U), 1 / len(U))
    qs, F = kn.build_questions(wn, U, prior, n_alpha=3, min_category_count=1, min_count=1, min_mass=0.01)
    assert F.shape == (len(U), len(qs)) and F.dtype == np.float32 and qs["id"].is_unique
    assert {"category", "place", "spelling"} <= set(qs["kind"])    # alpha cuts here duplicate letter ranges
    assert (F.min(axis=0) < 0.5).all() and (F.max(axis=0) >= 0.5).all()     # every kept question splits


# --- category wording on the real WordNet 3.0 (skipped where it is not installed) ----------------

@pytest.fixture(scope="module")
def real_wn():
    d = Path(os.environ.get("WORDNET_DIR") or DEFAULT_DIR)
    if not (d / "data.noun").exists():
        pytest.skip(f"WordNet 3.0 not installed at {d} (Debian package wordnet-base)")
    return load_wordnet(d)


@pytest.fixture(scope="module")
def real_zipf():
    wordfreq = pytest.importorskip("wordfreq")
    return lambda w: wordfreq.zipf_frequency(w, "en")


def _sense(wn, lemma, lexname):
    """The first sense of ``lemma`` in lexicographer file ``lexname``."""
    return next(o for o in wn.senses(lemma) if wn.synsets[o].lexname == lexname)


def test_category_text_real_wordnet(real_wn, real_zipf):
    wn, z = real_wn, real_zipf
    text = lambda lemma, lexname: kn.category_text(wn, _sense(wn, lemma, lexname), z)   # noqa: E731
    assert text("crane", "noun.animal") == "Is it a kind of crane (bird)?"          # plain ancestor word
    assert text("table", "noun.artifact") == "Is it a kind of table (furniture)?"
    assert text("contractor", "noun.body") == "Is it a kind of contractile organ?"  # not the builder's word
    assert text("fixing", "noun.artifact") == "Is it a kind of fastening?"          # unambiguous lemma wins
    assert text("space", "noun.shape") == "Is it a kind of space (location)?"       # not "amorphous shape"
    assert kn.category_text(wn, 3641706, z) == "Is it a kind of overlap (flap)?"      # lap (a flap)
    assert kn.category_text(wn, 6359877, z) is None                                  # writing: only "black and white"
    assert text("rule", "noun.artifact") == "Is it a kind of ruler (instrument)?"


def test_disambiguator_real_wordnet(real_wn, real_zipf):
    wn, z = real_wn, real_zipf
    fixing = _sense(wn, "fixing", "noun.artifact")
    assert kn.disambiguator(wn, fixing, "fixing", z) != "restraint"          # "restraint" is first an act
    water_pipe = 3944672             # "tube", "conduit" are ancestors of the first sense (a tobacco pipe) too
    assert wn.senses("pipe")[0] != water_pipe and kn.disambiguator(wn, water_pipe, "pipe", z) is None
    for lemma, lexname in (("seal", "noun.animal"), ("canine", "noun.animal"), ("cake", "noun.food")):
        d = kn.disambiguator(wn, _sense(wn, lemma, lexname), lemma, z)
        assert d is not None and d.isalpha() and z(d) >= kn.MIN_DISAMBIG_ZIPF, (lemma, d)
