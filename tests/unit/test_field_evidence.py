"""Type from evidence, definitions checked against the form's own values, and periods."""

from __future__ import annotations

import pytest

from onesheet.domain.county_fields import FieldDefinition, check_definition, contradicting
from onesheet.domain.dictionary import load_builtin
from onesheet.domain.field_evidence import propose, split_heading
from onesheet.domain.findings import InvalidInput
from onesheet.domain.tasks import frequency_from_title, may_go_stale
from tests.forms.forms_county_fields import FORMS, TRUTH


@pytest.mark.parametrize(
    ("heading", "samples", "kind", "unit", "codes"),
    [
        ("是否本人领取", ["是", "否", "是"], "boolean", None, ()),
        ("供养方式", ["集中", "分散", "集中", "分散"], "code", None, ("集中", "分散")),
        ("慰问金额（元）", [500, 800.5], "decimal", "元", ()),
        ("体检日期", ["2026-03-01", "2026.04.02"], "date", None, ()),
        ("随访次数（次）", [3, 4], "integer", "次", ()),
        ("帮扶人数", [], "integer", "人", ()),
        ("血压（mmHg）", ["164/88", "120/80"], "text", "mmHg", ()),
        ("低保证号", ["DB330523001", "DB330523002", "DB3305230003"], "text", None, ()),
        ("种植面积（亩）", [12.5, 30], "decimal", "亩", ()),
    ],
)
def test_heading_and_samples_propose_a_type(heading, samples, kind, unit, codes):
    got = propose(heading, samples)
    assert (got.type, got.unit, got.codes) == (kind, unit, codes), got


def test_the_acceptance_forms_truth_is_what_the_evidence_says():
    for form in FORMS:
        for j, heading in enumerate(form.headings):
            want = TRUTH.get(heading)
            if want is None:
                continue
            samples = [row[j] for row in form.rows]
            samples = [s.isoformat() if hasattr(s, "isoformat") else s for s in samples]
            got = propose(heading, samples)
            kind = want if isinstance(want, str) else want[0]
            assert got.type == kind, (heading, got)


def test_split_heading_keeps_the_bracketed_unit():
    assert split_heading("基本信息/慰问金额（元）") == ("慰问金额", ["元"])


def _definition(**kw) -> FieldDefinition:
    base = dict(county_code="330523", key="person.x_gyje", entity="person", label_zh="供养金额",
                type="decimal", owner="civil_affairs")  # fmt: skip
    return FieldDefinition(**(base | kw))  # type: ignore[arg-type]


def test_a_type_the_samples_contradict_is_refused_with_the_values():
    d = load_builtin()
    check_definition(_definition(), d, samples=[1250, "980.5", None, "/"])
    with pytest.raises(InvalidInput) as refused:
        check_definition(_definition(type="date"), d, samples=[1250, 980, "2026-01-01"])
    assert "1250、980" in refused.value.findings[0].message_zh
    with pytest.raises(InvalidInput) as refused:
        check_definition(_definition(type="integer"), d, samples=[1250, 12.5])
    assert "12.5" in refused.value.findings[0].message_zh
    with pytest.raises(InvalidInput):
        check_definition(_definition(owner="nobody", mask="phone"), d)
    assert contradicting(_definition(type="boolean").to_field(), ["是", "可能"], {}) == ["可能"]


def test_periods_are_inferred_from_the_title_and_identity_is_never_re_asked():
    assert frequency_from_title("育龄妇女信息月报表") == "monthly"
    assert frequency_from_title("2026年第四季度走访情况") == "quarterly"
    assert frequency_from_title("重度残疾人护理补贴发放表（2025年度）") == "yearly"
    assert frequency_from_title("退役军人信息采集表") == "once"
    assert frequency_from_title("某某月报", "yearly") == "yearly"
    changing = _definition().to_field()
    assert may_go_stale(changing)
    assert not may_go_stale(
        _definition(key="person.x_ydzh", label_zh="优待证号", type="text").to_field()
    )
    assert not may_go_stale(
        _definition(key="person.x_rwsj", label_zh="入伍时间", type="date").to_field()
    )
    assert not may_go_stale(load_builtin().fields["person.birth_date"])
