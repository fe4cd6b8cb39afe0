"""The catalogue's ``finding``/``refuse``: the words come from ``data/findings.yaml``."""

from __future__ import annotations

import pytest

from onesheet.domain.findings import InvalidInput, catalogue, finding, refuse, status_of


def test_refuse_raises_the_catalogued_words_with_the_place():
    with pytest.raises(InvalidInput) as caught:
        refuse("map.column", col="H", column="H", file="a.csv")
    (f,) = caught.value.findings
    assert f.code == "map.column"
    assert f.message("zh") == "文件 a.csv H 列：没有 H 列"
    assert f.message("en") == "file a.csv column H: no column H"
    assert caught.value.status == 400


def test_finding_fills_every_template_and_keeps_place_apart():
    f = finding("text.too_long", length=600, limit=500, row=7)
    assert f.row == 7
    assert f.message_zh == "内容过长（600 字，最多 500 字）"
    assert f.message_en == "too long (600 characters, at most 500)"


def test_a_missing_parameter_or_an_unknown_code_is_a_programming_error():
    with pytest.raises(TypeError, match="length"):
        finding("text.too_long", limit=500)
    with pytest.raises(LookupError, match=r"not in data/findings\.yaml"):
        finding("no.such_code")


def test_status_comes_from_the_catalogue():
    assert status_of("system.busy") == 503
    assert status_of("request.not_found") == 404
    assert status_of("not.catalogued") == 400
    busy = InvalidInput([finding("password.old"), finding("system.busy")])
    assert busy.status == 503  # the most serious finding decides


def test_catalogue_codes_are_dotted_lowercase_or_documented_bare_words():
    bare = {c for c in catalogue() if "." not in c}
    # demand registration names the missing column itself (domain/demands.py)
    assert bare == {"title", "department", "villages", "frequency", "basis"}
