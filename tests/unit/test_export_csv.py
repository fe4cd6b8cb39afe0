"""The CSV renderer writes the same form flattened; every cell is compared on read-back."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from onesheet.export import RenderRow, write_csv
from onesheet.export.common import as_text
from tests.unit.test_export_xlsx import (
    CTX,
    FOOTER,
    aggregate_rows,
    aggregate_spec,
    dibao_rows,
    dibao_spec,
    kept_spec,
)

UNIT = "填报单位（盖章）：城关镇人民政府　　　　填报日期：2026年11月30日"


def read(path: Path, encoding: str) -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.reader(fh))


def expected_dibao() -> list[list[str]]:
    head = [
        ["序号", "户主姓名", "保障人数", "基本信息", "", "", "联系电话", "备注"],
        ["", "", "", "姓名", "性别", "公民身份号码", "", ""],
    ]
    data = []
    for i, row in enumerate(dibao_rows()):
        cells = [as_text(v) for v in row.cells]
        cells[0] = str(i + 1)
        for c, _why in row.missing:
            cells[c] = ""
        data.append(cells)
    title = ["2026年城乡居民最低生活保障对象花名册"]
    return [title, [UNIT], *head, *data, [], [FOOTER]]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_roster_round_trip(tmp_path: Path, encoding: str) -> None:
    out = tmp_path / "form.csv"
    stats = write_csv(dibao_spec(), dibao_rows(), out, CTX, encoding=encoding)  # type: ignore[arg-type]
    assert stats.rows == 6 and stats.missing == 2
    got = read(out, encoding)
    assert got == expected_dibao()
    assert got[4][5] == "330523196501011234" and got[4][6] == "05721234567"
    assert out.read_bytes().startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_aggregate_round_trip(tmp_path: Path, encoding: str) -> None:
    out = tmp_path / "agg.csv"
    write_csv(aggregate_spec(), aggregate_rows(), out, CTX, encoding=encoding)  # type: ignore[arg-type]
    assert read(out, encoding) == [
        ["各村（社区）人口统计表"],
        [UNIT],
        ["序号", "村（社区）", "人口", "", "60岁以上", "低保人数"],
        ["", "", "男", "女", "", ""],
        ["1", "城东村", "512", "498", "230", "21"],
        ["2", "城西社区", "1204", "1187", "402", "35"],
        ["3", "高桥村", "87", "90", "61", "9"],
        ["", "合计", "1803", "1775", "693", "65"],
        [],
        [FOOTER],
    ]


def test_excel_safe_prefixes_long_digit_strings(tmp_path: Path) -> None:
    out = tmp_path / "safe.csv"
    write_csv(dibao_spec(), dibao_rows(), out, CTX, excel_safe=True)
    rows = read(out, "utf-8-sig")
    assert rows[4][5] == "\t330523196501011234"
    assert rows[6][5] == "\t33052320100303123X"
    assert rows[4][6] == "\t05721234567"  # leading zero
    assert rows[7][6] == "13812345678"  # 11 digits, no leading zero: Excel keeps it
    assert rows[4][2] == "3" and rows[4][0] == "1"


def test_binary_stream_is_left_open() -> None:
    buf = io.BytesIO()
    write_csv(aggregate_spec(), aggregate_rows(), buf, CTX, encoding="gb18030")
    assert not buf.closed
    text = buf.getvalue().decode("gb18030")
    assert text.startswith("各村（社区）人口统计表\r\n") and "合计" in text


def test_failure_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "form.csv"

    def broken() -> Iterator[RenderRow]:
        yield from dibao_rows()
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_csv(dibao_spec(), broken(), out, CTX)
    assert list(tmp_path.iterdir()) == []


def test_kept_rows_are_on_the_forms_rows(tmp_path: Path) -> None:
    """A template that kept its form's rows: the CSV's lines sit where the XLSX's do."""
    out = tmp_path / "kept.csv"
    write_csv(kept_spec(), dibao_rows(), out, CTX)
    got = read(out, "utf-8-sig")
    assert got[0] == ["城关镇人民政府低保花名册"] and got[1] == ["（2026年度）"]
    assert got[2] == [] and got[3] == ["单位：城关镇人民政府"]
    assert got[4:6] == expected_dibao()[2:4]  # heading on rows 5-6
    assert got[6] == []  # data_row 7 (0-based): one blank row, as the form
    assert got[7][0] == "1" and len(got) == 7 + len(dibao_rows()) + 1
    assert got[-1] == ["填表人："]  # footer_gap 0
