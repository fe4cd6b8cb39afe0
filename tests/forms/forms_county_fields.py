"""Legacy forms with department-specific columns, for the "sheet learns" acceptance test.

Each form is a roster a county department really sends villages: a merged title, a unit line,
one heading row — who the person is (姓名, 公民身份号码 …) and then the department's own
columns (供养方式, 体检日期, 血压（mmHg）, 慰问金额（元） …) that the built-in dictionary does
not hold — and a few sample rows written the way clerks write them. Some concepts come back
on a second department's form (入伍时间, 供养方式), so a field learnt once must be reused.

``FORMS`` lists them; ``xlsx(form)`` writes one with XlsxWriter (in memory). ``TRUTH``
gives, per department-specific heading, the type the evidence should suggest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tests.forms.fake import id_check
from tests.forms.grid import clerk_xlsx


def id_number(area: str, birth: str, seq: int) -> str:
    """A valid 18-digit ID number (GB 11643 check digit)."""
    body = f"{area}{birth}{seq:03d}"
    return body + id_check(body)


PEOPLE = [
    ("张桂英", id_number("330523", "19480312", 124)),
    ("李建国", id_number("330523", "19520708", 351)),
    ("王秀兰", id_number("330523", "19451120", 262)),
    ("陈志强", id_number("330523", "19780905", 173)),
]


@dataclass(frozen=True)
class LegacyForm:
    """One department's form: who sends it, its title, headings and sample rows."""

    name: str
    department: str
    title: str
    headings: list[str]  # after 序号, 姓名, 公民身份号码
    rows: list[list[object]]  # one per person of PEOPLE (department columns only)


FORMS: list[LegacyForm] = [
    LegacyForm(
        "tekun_gongyang",
        "civil_affairs",
        "特困人员供养情况登记表",
        ["供养方式", "照料护理标准", "供养金额（元）"],
        [
            ["集中", "全护理", 1250],
            ["分散", "半护理", 980],
            ["集中", "自理", 860],
            ["分散", "全护理", 1250],
        ],
    ),
    LegacyForm(
        "gaoling_jintie",
        "civil_affairs",
        "高龄津贴发放花名册",
        ["联系电话", "高龄津贴金额（元）", "是否本人领取"],
        [
            ["13957212345", 100, "是"],
            ["13857254321", 200, "否"],
            ["0572-5021234", 100, "是"],
            ["15967231234", 300, "是"],
        ],
    ),
    LegacyForm(
        "manbing_suifang",
        "health",
        "慢性病患者随访登记表",
        ["性别", "体检日期", "血压（mmHg）", "随访次数（次）"],
        [
            ["女", dt.date(2026, 3, 12), "164/88", 4],
            ["男", dt.date(2026, 4, 2), "138/82", 3],
            ["女", dt.date(2026, 5, 20), "150/90", 4],
            ["男", dt.date(2026, 6, 9), "126/78", 2],
        ],
    ),
    LegacyForm(
        "tuiyi_xinxi",
        "veterans",
        "退役军人信息采集表",
        ["入伍时间", "退役时间", "服役部队", "安置方式"],
        [
            [dt.date(1966, 3, 1), dt.date(1970, 12, 1), "某部步兵团", "自主就业"],
            [dt.date(1970, 12, 1), dt.date(1975, 3, 1), "某部炮兵营", "安排工作"],
            [dt.date(1963, 9, 1), dt.date(1968, 3, 1), "某部工兵连", "退休"],
            [dt.date(1996, 12, 1), dt.date(2000, 12, 1), "某部通信营", "自主就业"],
        ],
    ),
    LegacyForm(
        "chunjie_weiwen",
        "veterans",
        "春节走访慰问登记表",
        ["慰问金额（元）", "慰问方式"],
        [[500, "上门"], [800, "集中"], [500, "上门"], [300, "上门"]],
    ),
    LegacyForm(
        "tuixiu_renyuan",
        "human_resources",
        "退休人员基本信息表",
        ["退休类别", "月养老金（元）"],
        [["企业", 3260.5], ["机关事业", 5120], ["企业", 2980], ["灵活就业", 1860]],
    ),
    LegacyForm(
        "canji_butie",
        "disabled_federation",
        "残疾人两项补贴发放表",
        ["生活补贴金额（元）", "护理补贴金额（元）"],
        [[120, 80], [120, 0], [90, 80], [120, 80]],
    ),
    LegacyForm(
        "canbao_jiaofei",
        "medical_security",
        "城乡居民医保参保缴费登记表",
        ["参保缴费档次", "缴费金额（元）"],
        [["一档", 380], ["二档", 680], ["一档", 380], ["三档", 1080]],
    ),
    LegacyForm(
        "zhongliang_butie",
        "agriculture",
        "种粮大户补贴申报表",
        ["种植面积（亩）", "种植品种"],
        [[12.5, "水稻"], [30, "小麦"], [8, "水稻"], [15.5, "玉米"]],
    ),
    LegacyForm(
        "youdaizheng",
        "veterans",
        "退役军人优待证发放登记表",
        ["入伍时间", "服役部队", "优待证号"],
        [
            [dt.date(1966, 3, 1), "某部步兵团", "YDZ3305230001"],
            [dt.date(1970, 12, 1), "某部炮兵营", "YDZ3305230002"],
            [dt.date(1963, 9, 1), "某部工兵连", "YDZ3305230003"],
            [dt.date(1996, 12, 1), "某部通信营", "YDZ3305230004"],
        ],
    ),
    LegacyForm(
        "tekun_zoufang",
        "civil_affairs",
        "特困供养人员走访记录表",
        ["供养方式", "走访次数（次）"],
        [["集中", 4], ["分散", 6], ["集中", 3], ["分散", 5]],
    ),
]

# heading → the type its evidence should suggest (and, for codes, the values seen)
TRUTH: dict[str, object] = {
    "供养方式": ("code", ["集中", "分散"]),
    "照料护理标准": ("code", ["全护理", "半护理", "自理"]),
    "供养金额（元）": "decimal",
    "高龄津贴金额（元）": "decimal",
    "是否本人领取": "boolean",
    "体检日期": "date",
    "血压（mmHg）": "text",
    "随访次数（次）": "integer",
    "入伍时间": "date",
    "退役时间": "date",
    "慰问金额（元）": "decimal",
    "退休类别": ("code", ["企业", "机关事业", "灵活就业"]),
    "参保缴费档次": ("code", ["一档", "二档", "三档"]),
    "种植面积（亩）": "decimal",
    "种植品种": ("code", ["水稻", "小麦", "玉米"]),
}


def xlsx(form: LegacyForm) -> bytes:
    """The form as a clerk's XLSX: title, unit line, headings, the sample rows, signatures."""
    headings = ["序号", "姓名", "公民身份号码", *form.headings, "备注"]
    rows = [[name, idno, *extra] for (name, idno), extra in zip(PEOPLE, form.rows, strict=True)]
    return clerk_xlsx(form.title, headings, rows)
