"""Oversized input is refused with a catalogued reason, never a traceback.

A text value longer than ``MAX_TEXT_CHARS`` is a ``text.too_long`` ValueProblem (Chinese and
English, naming the limit); a value of any other type that long cannot be valid and is
refused before its reader sees it. A CSV cell past Python's csv field limit (128 KiB) is a
Finding naming the file, row and column.
"""

from __future__ import annotations

import pytest

from onesheet.domain.dictionary import load_builtin
from onesheet.domain.findings import InvalidInput
from onesheet.domain.values import MAX_TEXT_CHARS, ValueProblem
from onesheet.domain.values.parse import parse_for_field
from onesheet.linkage.reading import read_export

D = load_builtin()


def _parse(key: str, raw: object) -> str | None:
    return parse_for_field(D.fields[key], raw, D.code_tables)


def test_text_up_to_the_limit_is_kept() -> None:
    assert MAX_TEXT_CHARS == 500
    assert _parse("person.name", "张" * 500) == "张" * 500
    # the limit counts the normalised value: collapsed spaces do not count against it
    assert _parse("person.name", "张 " * 250 + "    ") == " ".join(["张"] * 250)


def test_text_over_the_limit_is_a_catalogued_problem() -> None:
    with pytest.raises(ValueProblem) as refused:
        _parse("person.name", "张" * 501)
    p = refused.value
    assert p.code == "text.too_long"
    assert "500" in p.message_zh and "过长" in p.message_zh
    assert "500" in p.message_en and "too long" in p.message_en
    assert p.message_zh.startswith("姓名") and p.params["field"] == "person.name"
    assert p.params["length"] == 501 and p.params["max"] == 500


@pytest.mark.parametrize("raw", ["张\x00三", "a\x1bb", "x\x7f"])
def test_control_characters_in_text_are_refused(raw: str) -> None:
    with pytest.raises(ValueProblem) as refused:
        _parse("person.name", raw)
    assert refused.value.code == "text.control_char"
    assert _parse("person.name", "张\t三\r\n") == "张 三"  # whitespace still collapses


@pytest.mark.parametrize("key", ["person.id_number", "person.phone", "person.gender"])
def test_huge_values_of_other_types_are_refused_without_echoing_them(key: str) -> None:
    raw = "1" * 100_000
    with pytest.raises(ValueProblem) as refused:
        _parse(key, raw)
    assert refused.value.code == "value.too_long"
    assert len(refused.value.message_zh) < 200 and len(refused.value.message_en) < 200


def test_a_csv_cell_past_the_csv_field_limit_is_a_finding() -> None:
    big = "x" * (200 * 1024)
    data = f'姓名,备注\n张三,ok\n李四,"{big}"\n'.encode()
    with pytest.raises(InvalidInput) as refused:
        read_export(data, "big.csv")
    (f,) = refused.value.findings
    assert f.code == "file.cell_too_big"
    assert (f.file, f.row, f.column) == ("big.csv", 3, "B")
    assert "过大" in f.message_zh and "too big" in f.message_en
    assert "Traceback" not in str(refused.value)


def test_a_big_but_allowed_csv_file_still_reads() -> None:
    data = ("姓名,备注\n" + "".join(f"人{i},{'y' * 1000}\n" for i in range(50))).encode()
    table = read_export(data, "ok.csv")
    assert len(table.rows) == 50 and table.rows[0][1] == "y" * 1000
