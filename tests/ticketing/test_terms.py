"""Chinese search terms as pure functions: documents, phrase queries, FTS5 text, query kinds."""

from __future__ import annotations

import pytest

from ticketing.case import terms
from ticketing.case.search import kind_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("路灯", [("路灯", 1), ("灯", 2)]),
        ("福华路12号", [("福华", 1), ("华路", 2), ("路", 3), ("12", 4), ("号", 5)]),
        ("ＦＴ２０２６ OK", [("ft2026", 1), ("ok", 2)]),
        ("噪音！扰民", [("噪音", 1), ("音", 2), ("扰民", 3), ("民", 4)]),
        ("，。！", []),
        ("", []),
    ],
)
def test_document_tokens(text, expected):
    assert [(t.text, t.position) for t in terms.tokens(text)] == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("挖掘机", "('挖掘' <1> '掘机')"),
        ("噪音 扰民", "('噪音') & ('扰民')"),
        ("号", "('号':*)"),
        ("华路12", "('华路' <2> '12')"),
        ("路12号", "('路':* <1> '12' <1> '号':*)"),
        ("FT20261126", "('ft20261126')"),
        ("？！", None),
    ],
)
def test_tsquery(q, expected):
    assert terms.tsquery_text(q) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("莲花路145号", "('莲花' <1> '花路' <2> '145')"),  # the phrase is checked on the rows found
        ("福华路3栋5号", "('福华' <1> '华路' <2> '3' <2> '5')"),
        ("3号", "('3' <1> '号':*)"),  # no bigram to find it by: the prefix stays
        ("号", "('号':*)"),
        ("145号 莲花", "('145' <1> '号':*) & ('莲花')"),
        ("挖掘机", "('挖掘' <1> '掘机')"),
    ],
)
def test_the_index_query_leaves_out_lone_characters_of_words_with_a_bigram(q, expected):
    assert terms.tsquery_text(q, index=True) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("挖掘机", '"挖掘 掘机"'),
        ("华路12 号", '"华路" AND "12" AND "号"*'),
        ("，", None),
    ],
)
def test_fts5_query(q, expected):
    assert terms.fts5_query(q) == expected


def test_a_query_finds_its_text_inside_longer_text():
    """Every query position matches the document's token at the same distance (what <N> checks)."""
    doc = {(t.text, t.position) for t in terms.tokens("请到福华路12号楼门口看看")}
    for q in ("福华路", "华路12", "12号楼", "号楼门口", "路12号"):
        found = terms.tokens(q, query=True)
        ok = any(all(any(text == t.text or (t.prefix and text.startswith(t.text)) for text, pos in doc
                         if pos == start + t.position - 1) for t in found) for _, start in doc)
        assert ok, q


def test_fields_stay_apart_and_carry_weights():
    literal = terms.tsvector_literal("路灯", "已修复", weights="AB")
    assert literal == "'路灯':1A '灯':2A '已修':12B '修复':13B '复':14B"


@pytest.mark.parametrize(
    ("q", "kind"),
    [("FT20261126-0042", "number"), ("ft20261126", "number"), ("0755-83212345", "phone"),
     ("+86 138 0013 8000", "phone"), ("13800138000", "phone"), ("路灯", "words"), ("12号", "words"),
     ("2026", "words")],
)
def test_kind_of(q, kind):
    assert kind_of(q) == kind
