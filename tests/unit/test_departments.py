"""Departments by any common wording: the resolver every caller (CLI, pages, API, imports) uses."""

from __future__ import annotations

import pytest

from onesheet.domain.departments import DepartmentAmbiguous, DepartmentUnknown
from onesheet.domain.dictionary import load_builtin

D = load_builtin()


@pytest.mark.parametrize(
    ("wording", "key"),
    [
        ("卫生健康", "health"),
        ("退役军人事务", "veterans"),
        ("人力资源和社会保障", "human_resources"),
        ("公安（派出所）", "public_security"),
        ("组织（党委组织部门）", "organization"),
        ("乡村振兴（农业农村）", "agriculture"),
        # the same with administrative endings, place prefixes and half-width brackets
        ("县卫生健康局", "health"),
        ("安吉县卫生健康委员会", "health"),
        ("人力资源社会保障局", "human_resources"),
        ("XX县退役军人事务局", "veterans"),
        ("公安(派出所)", "public_security"),
        ("中共安吉县委组织部", "organization"),
        ("安吉市市场监督管理局", "market_regulation"),
        ("公安派出所", "public_security"),
        ("卫生建康局", "health"),  # a homophone typo
        ("civil_affairs", "civil_affairs"),
        ("Health Commission", "health"),
        (" 民政 ", "civil_affairs"),
    ],
)
def test_common_wordings_resolve(wording: str, key: str) -> None:
    assert D.department_key(wording) == key
    assert D.require_department(wording) == key


@pytest.mark.parametrize(
    ("wording", "options"),
    [
        ("住房城乡建设/应急管理", {"housing", "emergency"}),
        ("住建/应急", {"housing", "emergency"}),
        ("住房城乡建设局／应急管理局", {"housing", "emergency"}),
        ("民政局、残联", {"civil_affairs", "disabled_federation"}),
        ("住房城乡建设与应急管理", {"housing", "emergency"}),
    ],
)
def test_a_joint_form_offers_each_department_and_asks(wording: str, options: set[str]) -> None:
    m = D.resolve_department(wording)
    assert m.key is None and set(m.options) == options and m.how == "joint"
    assert D.department_key(wording) is None
    with pytest.raises(DepartmentAmbiguous) as err:
        D.require_department(wording)
    assert set(err.value.options) == options
    assert err.value.findings[0].code == "department.joint"
    zh = err.value.message("zh")
    assert "住房和城乡建设局" in zh or "民政局" in zh
    assert "--department" in err.value.message("en")


def test_an_unknown_wording_gets_did_you_mean_with_the_closest_departments() -> None:
    with pytest.raises(DepartmentUnknown) as err:
        D.require_department("退役军人事物所")
    assert err.value.suggestions[0] == "veterans"
    with pytest.raises(DepartmentUnknown) as err:
        D.require_department("财政局")
    assert err.value.findings[0].code == "department.unknown"
    assert len(err.value.suggestions) == 3
    assert "您是不是要找" in err.value.message("zh")
    assert "did you mean" in err.value.message("en")
    assert D.resolve_department("医疗保险局").key == "medical_security"
    assert D.resolve_department("医疗保障服务站点").suggestions[0] == "medical_security"


@pytest.mark.parametrize(
    ("wording", "key"),
    [
        ("veterans_affairs", "veterans"),
        ("medical_insurance", "medical_security"),
        ("rural_revitalization", "agriculture"),
        ("civil affairs", "civil_affairs"),
    ],
)
def test_english_wordings_and_keys_spelt_another_way(wording: str, key: str) -> None:
    assert D.department_key(wording) == key


def test_nothing_is_guessed_from_a_word_that_only_shares_a_part() -> None:
    assert D.department_key("社区矫正") is None  # 社区 is the village source's alias
    assert D.department_key("不存在的局") is None
    assert D.department_key("") is None
