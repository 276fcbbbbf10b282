"""The regulated-verse check: what counts as a well-formed quatrain or octave, and what does not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from artifact.verse_form import CLAUSE_MARKS, Clause, clauses, is_regulated

QUATRAIN_5 = "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"
OCTAVE_7 = (
    "昔人已乘黄鹤去，此地空余黄鹤楼。黄鹤一去不复返，白云千载空悠悠。"
    "晴川历历汉阳树，芳草萋萋鹦鹉洲。日暮乡关何处是，烟波江上使人愁？"
)

ideographs = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


@st.composite
def regulated_poems(draw: st.DrawFn) -> str:
    width = draw(st.sampled_from([5, 7]))
    count = draw(st.sampled_from([4, 8]))
    parts = []
    for number in range(1, count + 1):
        body = draw(st.text(ideographs, min_size=width, max_size=width))
        parts.append(body + ("，" if number % 2 else draw(st.sampled_from("。？！"))))
    return "".join(parts)


def test_known_poems_are_regulated() -> None:
    assert is_regulated(QUATRAIN_5) and is_regulated(OCTAVE_7)
    assert is_regulated(f"  {QUATRAIN_5}\n")  # surrounding whitespace is not part of the poem


@pytest.mark.parametrize(
    "text",
    [
        "",
        "白日依山尽，黄河入海流。",  # two clauses
        "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。白日依山尽，黄河入海流。",  # six
        "白日依山尽，黄河入海流。欲穷千里目，更上一层楼",  # the last clause is not closed
        "白日依山尽。黄河入海流，欲穷千里目。更上一层楼，",  # marks in the wrong order
        "白日依山尽，黄河入海流；欲穷千里目，更上一层楼。",  # ； does not end a couplet
        "白日依山尽，黄河入海流。欲穷千里目，更上一层高楼。",  # 5 then 6 characters
        "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。。",  # an empty fifth clause
        "白日依山 尽，黄河入海流。欲穷千里目，更上一层楼。",  # a space inside a clause
        "白日依山\ufffd，黄河入海流。欲穷千里目，更上一层楼。",  # an unknown character shown as �
        "白日依，黄河入，欲穷千，更上一。",  # three-character clauses
        "白日依山尽？黄河入海流。欲穷千里目，更上一层楼。",  # ？ only ends an even clause
    ],
)
def test_broken_forms_are_not_regulated(text: str) -> None:
    assert not is_regulated(text)


def test_clauses_keep_their_marks_and_an_unfinished_tail() -> None:
    assert clauses("春眠不觉晓，处处闻啼鸟。夜来") == [
        Clause("春眠不觉晓", "，"),
        Clause("处处闻啼鸟", "。"),
        Clause("夜来", ""),
    ]
    assert clauses("") == [] and clauses("，。") == [Clause("", "，"), Clause("", "。")]


@given(regulated_poems())
def test_generated_regulated_poems_pass(poem: str) -> None:
    assert is_regulated(poem)
    widths = {len(body) for body, _ in clauses(poem)}
    assert len(widths) == 1 and widths <= {5, 7}


@given(regulated_poems(), st.data())
def test_dropping_a_character_breaks_the_form(poem: str, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(poem) - 1))
    assert not is_regulated(poem[:index] + poem[index + 1 :])


@given(regulated_poems(), st.data())
def test_changing_one_mark_breaks_the_form(poem: str, data: st.DataObject) -> None:
    marks = [i for i, c in enumerate(poem) if c in CLAUSE_MARKS]
    index = data.draw(st.sampled_from(marks))
    wrong = "。" if poem[index] == "，" else "，"
    assert not is_regulated(poem[:index] + wrong + poem[index + 1 :])


@given(st.text(st.one_of(ideographs, st.sampled_from(sorted(CLAUSE_MARKS)), st.just(" "))))
def test_clauses_split_without_losing_anything(text: str) -> None:
    parts = clauses(text)
    assert "".join(body + mark for body, mark in parts) == text
    assert all(mark in CLAUSE_MARKS for _, mark in parts[:-1])
    assert not any(c in CLAUSE_MARKS for body, _ in parts for c in body)
