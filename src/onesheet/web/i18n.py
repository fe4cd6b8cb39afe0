"""UI wording in Simplified Chinese (default) and English.

One table of labels keyed by a short English id; templates call ``t("key")``. The language
comes from the ``lang`` cookie (set by ``?lang=en`` / ``?lang=zh``).
"""

from __future__ import annotations

LANGS = ("zh", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    "app": ("一表通", "OneSheet"),
    "tagline": ("一张表，一次采集，多表复用", "One sheet, collected once, reused by every form"),
    "login": ("登录", "Sign in"),
    "logout": ("退出", "Sign out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "home": ("首页", "Home"),
    "sheet": ("一张表", "The sheet"),
    "search": ("查询", "Search"),
    "search_hint": ("姓名或身份证号", "Name or ID number"),
    "no_results": ("没有找到", "Nothing found"),
    "name": ("姓名", "Name"),
    "id_number": ("身份证号", "ID number"),
    "gender": ("性别", "Sex"),
    "birth_date": ("出生日期", "Birth date"),
    "org": ("所属", "Org unit"),
    "field": ("项目", "Field"),
    "value": ("值", "Value"),
    "source": ("来源", "Source"),
    "since": ("时间", "Since"),
    "history": ("历史", "History"),
    "conflict": ("有冲突", "In conflict"),
    "conflicts": ("待核实冲突", "Conflicts to settle"),
    "role": ("角色", "Role"),
    "scope": ("管辖范围", "Scope"),
    "forbidden": ("无权访问", "Forbidden"),
    "not_found": ("未找到", "Not found"),
    "bad_request": ("输入有误", "Bad input"),
    "back": ("返回", "Back"),
    "people": ("人口", "People"),
    "households": ("户", "Households"),
    "enterprises": ("企业", "Enterprises"),
    "houses": ("房屋", "Houses"),
    "places": ("场所设施", "Places"),
    "towns": ("乡镇（街道）", "Towns / streets"),
    "villages": ("村（社区）", "Villages / communities"),
    "grids": ("网格", "Grids"),
    "fields": ("数据元（字段）", "Fields"),
    "language": ("English", "中文"),
    "nav_tasks": ("我的任务", "My tasks"),
    "nav_forms": ("报表", "Forms"),
    "nav_gate": ("准入审核", "Gate"),
    "nav_progress": ("任务进度", "Progress"),
    "nav_ledger": ("减负看板", "Burden ledger"),
    "nav_feedback": ("反馈", "Feedback"),
    "nav_tokens": ("接口令牌", "API tokens"),
    "nav_calendar": ("本周事项", "This week"),
    "nav_demands": ("涉村事项", "Demands on villages"),
}


def register(messages: dict[str, tuple[str, str]]) -> None:
    """Add a page module's own labels (each router keeps its wording next to its code)."""
    clash = {k for k, v in messages.items() if k in MESSAGES and MESSAGES[k] != v}
    if clash:
        raise ValueError(f"labels defined twice with different wording: {sorted(clash)}")
    MESSAGES.update(messages)


def translate(key: str, lang: str) -> str:
    """The label in ``lang``; an unknown key is shown as itself (visible, not fatal)."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]
