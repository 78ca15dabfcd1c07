"""Tests of the WordNet reader on a tiny fake database in tmp_path."""
import pytest

from tables.wordnet import LEXNAMES, WordNetError, load_wordnet, parse_data_line, parse_index_line

DATA = """\
  1 This software and database is being provided to you, the LICENSEE, by
00000001 03 n 01 entity 0 000 | that which is perceived
00000002 06 n 01 artifact 0 001 @ 00000001 n 0000 | a man-made object
00000003 06 n 01 container 0 002 @ 00000002 n 0000 ~ 00000004 n 0000 | holds things
00000004 06 n 01 box 0 002 @ 00000003 n 0000 %p 00000009 n 0000 | a container with flat sides
00000005 06 n 01 bag 0 001 @ 00000003 n 0000 | a flexible container
00000006 05 n 01 animal 0 001 @ 00000001 n 0000 | a living organism
00000007 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 001 @ 00000006 n 0000 | a domesticated canid
00000008 05 n 01 cat 0 001 @ 00000006 n 0000 | a feline
00000009 06 n 01 lid 0 002 @ 00000002 n 0000 #p 00000004 n 0000 | a top of a box
00000010 05 n 01 mouse 0 001 @ 00000006 n 0000 | a small rodent
00000011 15 n 01 country 0 001 @ 00000001 n 0000 | a nation
00000012 15 n 01 France 0 002 @i 00000011 n 0000 #p 00000014 n 0000 | a republic in western Europe
00000013 15 n 01 city 0 001 @ 00000001 n 0000 | a large town
00000014 15 n 01 Europe 0 001 @ 00000001 n 0000 | a continent
00000015 15 n 01 Paris 0 002 @i 00000013 n 0000 #p 00000012 n 0000 | the capital of France
00000016 06 n 01 box_spring 0 001 @ 00000002 n 0000 | bed springs
"""
INDEX = """\
  1 This software and database is being provided to you, the LICENSEE, by
animal n 1 1 @ 1 0 00000006
artifact n 1 1 @ 1 0 00000002
bag n 1 1 @ 1 0 00000005
box n 1 2 @ %p 1 3 00000004
box_spring n 1 1 @ 1 0 00000016
canis_familiaris n 1 1 @ 1 0 00000007
cat n 1 1 @ 1 2 00000008
city n 1 1 @ 1 0 00000013
container n 1 1 @ 1 0 00000003
country n 1 1 @ 1 0 00000011
dog n 1 1 @ 1 5 00000007
domestic_dog n 1 1 @ 1 0 00000007
entity n 1 0 1 0 00000001
europe n 1 1 @ 1 0 00000014
france n 1 2 @i #p 1 0 00000012
lid n 1 2 @ #p 1 0 00000009
mouse n 1 1 @ 1 1 00000010
paris n 1 2 @i #p 1 0 00000015
"""


def write_fake_wordnet(d):
    """Write the fake data.noun / index.noun / noun.exc into directory d; returns d."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "data.noun").write_text(DATA)
    (d / "index.noun").write_text(INDEX)
    (d / "noun.exc").write_text("mice mouse\nboxen box\n")
    return d


@pytest.fixture
def wn(tmp_path):
    return load_wordnet(write_fake_wordnet(tmp_path / "wn"))


def test_lexnames_has_45():
    assert len(LEXNAMES) == 45 and LEXNAMES[6] == "noun.artifact" and LEXNAMES[44] == "adj.ppl"


def test_parse_data_line():
    s = parse_data_line("00000007 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 001 @ 00000006 n 0000 | a canid")
    assert s.offset == 7 and s.lexname == "noun.animal" and s.hypernyms == (6,)
    assert s.lemmas == ("dog", "domestic_dog", "Canis_familiaris") and s.gloss == "a canid"
    p = parse_data_line("00000009 06 n 01 lid 0 002 @ 00000002 n 0000 #p 00000004 n 0000 | top")
    assert p.part_of == (4,) and p.name == "lid"


def test_parse_index_line():
    assert parse_index_line("box n 1 2 @ %p 1 3 00000004") == ("box", (4,), 3)


def test_malformed_line_names_file_and_line(tmp_path):
    d = write_fake_wordnet(tmp_path / "bad")
    (d / "data.noun").write_text(DATA + "00000099 xx n 01 broken\n")
    with pytest.raises(WordNetError, match=r"data.noun:\d+"):
        load_wordnet(d)


def test_missing_file_is_clear(tmp_path):
    with pytest.raises(WordNetError, match="file not found"):
        load_wordnet(tmp_path)


def test_closures_and_lookups(wn):
    assert wn.ancestors(4) == {4, 3, 2, 1}
    assert wn.ancestors(15) == {15, 13, 1}           # instance-of is followed
    assert wn.holonyms(15) == {12, 14}               # Paris -> France -> Europe
    assert wn.senses("Box") == (4,) and wn.tagcount("dog") == 5 and wn.senses("nothing") == ()
    assert wn.base_form("mice") == "mouse" and wn.base_form("boxes") == "box" and wn.base_form("cats") == "cat"
    assert wn.base_form("zebras") is None
