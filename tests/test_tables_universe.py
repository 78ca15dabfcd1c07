"""Tests of the universe sources, merging and coverage on tiny inputs."""
import math

import numpy as np
import pytest

from tables import universe as uni
from tables.wordnet import load_wordnet
from tests.test_tables_wordnet import write_fake_wordnet

KEYWORDS_PY = '''"""List of keywords."""

KEYWORDS_JSON = """
[{"category": "things", "words": [
  {"keyword": "Box", "alts": []},
  {"keyword": "Cats", "alts": []},
  {"keyword": "Wooden Bag", "alts": []},
  {"keyword": "Mice", "alts": ["Mouse"]},
  {"keyword": "Teapot", "alts": []}]},
 {"category": "place", "words": [{"keyword": "france", "alts": []}]}]
"""
'''


@pytest.fixture
def wn(tmp_path):
    return load_wordnet(write_fake_wordnet(tmp_path / "wn"))


@pytest.fixture
def kaggle_py(tmp_path):
    p = tmp_path / "envs" / "llm_20_questions" / "keywords.py"
    p.parent.mkdir(parents=True)
    p.write_text(KEYWORDS_PY)
    return p


def test_read_kaggle_keywords(kaggle_py, tmp_path):
    rows = uni.read_kaggle_keywords(kaggle_py)
    assert rows[0] == ("things", "Box", []) and rows[3] == ("things", "Mice", ["Mouse"]) and len(rows) == 6
    assert uni.kaggle_file(tmp_path) == kaggle_py
    bad = tmp_path / "bad.py"
    bad.write_text("X = 1\n")
    with pytest.raises(ValueError, match="bad.py: no KEYWORDS_JSON"):
        uni.read_kaggle_keywords(bad)


def test_resolve(wn):
    s, head = uni.resolve(wn, "Boxes")
    assert s == ((4, 1.0),) and not head
    s, head = uni.resolve(wn, "Wooden Bag")
    assert s == ((5, 1.0),) and head
    assert uni.resolve(wn, "Box Spring") == (((16, 1.0),), False)
    assert uni.resolve(wn, "quasar") == ((), False)
    assert uni.top_category(wn, ((8, 1.0),)) == "animal"


def test_wordnet_things_skip_taxa(wn):
    names = {e["keyword"]: e["category"] for e in uni.wordnet_things(wn)}
    assert names["dog"] == "animal" and names["box"] == "artifact" and names["domestic dog"] == "animal"
    assert "Canis familiaris" not in names and "France" not in names and "entity" not in names


def test_wordnet_places(wn):
    places = {e["keyword"]: e for e in uni.wordnet_places(wn, {"france": "FR"})}
    assert places["Paris"]["category"] == "city" and places["Paris"]["country"] == "FR"
    assert places["France"]["category"] == "country" and places["France"]["country"] == "FR"


def test_merge_dedupes_by_referee_normalization():
    es = [uni.entry("Air Conditioner", "artifact", "kaggle", alts=["Air Conditioning"]),
          uni.entry("air-conditioner", "artifact", "wordnet", senses=((1, 1.0),)),
          uni.entry("mouse", "animal", "wordnet"),
          uni.entry("Paris", "city", "geonames", country="FR", population=2e6, capital=True)]
    df = uni.merge(es, plurals={"mouse": ["mice"]})
    assert len(df) == 3
    ac = df[df["keyword"] == "Air Conditioner"].iloc[0]
    assert ac["source"] == "kaggle|wordnet" and ac["senses"] == ((1, 1.0),) and ac["alts"] == ["Air Conditioning"]
    assert df[df["keyword"] == "mouse"].iloc[0]["alts"] == ["mice"]
    paris = df[df["keyword"] == "Paris"].iloc[0]
    assert paris["capital"] and paris["population"] == 2e6 and math.isnan(ac["population"])
    with pytest.raises(ValueError, match="unknown field"):
        uni.entry("x", "artifact", "wordnet", colour="red")


def test_coverage_counts_each_way():
    ref = [("Box", []), ("Cats", []), ("Mice", ["Mouse"]), ("Teapot", []), ("The Box", [])]
    c = uni.coverage(["box", "cat", "mouse"], ref)
    assert (c["exact"], c["plural"], c["alt"], c["missed"]) == (2, 1, 1, 1) and c["missed_keywords"] == ["Teapot"]


def test_concreteness_things(wn):
    got = {e["keyword"]: e for e in uni.concreteness_things(wn, {"dog": 4.9, "cats": 4.8, "wooden bag": 4.7,
                                                                  "bag": 3.0, "freedom": 1.5}, 3.5)}
    assert set(got) == {"dog", "wooden bag"} and got["wooden bag"]["head_derived"]


def test_build_universe_small(wn, kaggle_py):
    df = uni.build_universe(wn, kaggle_files=[kaggle_py], concreteness={"lid": 4.8}, use_geonames=False,
                            facts={"FR": {"subregion": "Western Europe", "alts": ["France"]}})
    assert df["keyword"].map(uni.normalize).is_unique
    assert {"Box", "Cats", "Mice", "Teapot", "france", "dog", "Paris"} <= set(df["keyword"])
    rows = uni.kaggle_thing_rows(df, uni.read_kaggle_keywords(kaggle_py))
    assert len(rows) == 5 and df["keyword"].iloc[rows].tolist() == sorted(["Box", "Cats", "Mice", "Teapot", "Wooden Bag"], key=str.lower)
    indep = uni.independent_mask(df)
    assert not indep[df["keyword"] == "Teapot"].any() and indep[df["keyword"] == "Box"].all()
    fr = df.set_index("keyword").loc["france"]
    assert fr["category"] == "country" and fr["country"] == "FR" and fr["subregion"] == "Western Europe"
    assert isinstance(np.asarray(indep), np.ndarray)


def test_merge_thing_and_place_with_one_name_keeps_the_first_kind():
    es = [uni.entry("Turkey", "animal", "kaggle", senses=((8, 1.0),)),
          uni.entry("Turkey", "country", "geonames", alts=["Turkiye"], country="TR", population=8e7),
          uni.entry("Lyon", "city", "kaggle_place"),
          uni.entry("Lyon", "city", "geonames", country="FR", population=5e5)]
    df = uni.merge(es).set_index("keyword")
    t = df.loc["Turkey"]
    assert t["category"] == "animal" and t["alts"] == [] and t["country"] == "" and t["source"] == "kaggle|geonames"
    assert df.loc["Lyon", "country"] == "FR" and df.loc["Lyon", "population"] == 5e5
