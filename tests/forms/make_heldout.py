"""Generate the HELD-OUT test forms in ``tests/forms/heldout/`` and their truth.

Run once from the repository root: ``.venv/bin/python -m tests.forms.make_heldout``.

These forms are the test set of issue 12's train/test discipline: they were written in one
go, before the importer was tuned for unseen forms, and are NEVER used while tuning — the
development set is ``tests/forms/files`` (and ``../shared/realforms``). Changing a form or
its truth here after seeing the importer's answer would make the figures meaningless.

They differ from the development set on purpose: other provinces (Sichuan, Henan, Gansu,
Heilongjiang, Guangxi, Guangdong, Hebei, Shaanxi — other county codes and place names),
``.xls`` written by xlwt and ``.ods`` written by odfpy as well as XLSX, department names as
printed on the forms (县人力资源和社会保障局, 公安（派出所）…), and layouts the development
forms lack: a table number stamp in A1, a title merged over part of the width, a subtitle
with the period, unit lines without colons, a fill-in instruction above the headings, a
marker in the 256th column, instruction and code-list sheets, full-width spaces inside
headings, a numbering row, and a 合计 row.

Truth per form: 1-based heading rows, the entity (person / household / enterprise / house /
aggregate), the filter and frequency a person would set, and per column letter the field,
``layout``, or ``new:<concept>`` (no dictionary field; one name per concept).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from tests.forms.fake import id_check
from tests.forms.grid import Grid, Node, depth, heading, leaves, write_ods, write_xls, write_xlsx

HERE = Path(__file__).parent
OUT = HERE / "heldout"
TRUTH = HERE / "heldout_truth.json"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋"
GIVEN = "伟强军勇杰涛明超刚平辉建国华斌鹏飞志东海波峰林芳娜敏静丽艳娟霞秀英梅兰玲红燕萍洁琴慧婷"


class People:
    """Seeded people of one county (its GB/T 2260 code) with valid ID numbers."""

    def __init__(self, seed: int, county_code: str, county: str, places: list[str]) -> None:
        self.r = random.Random(seed)
        self.code, self.county, self.places = county_code, county, places

    def name(self) -> str:
        return self.r.choice(SURNAMES) + "".join(
            self.r.choice(GIVEN) for _ in range(self.r.choice((1, 2, 2)))
        )

    def sex(self) -> str:
        return self.r.choice("男女")

    def born(self, lo: int, hi: int) -> dt.date:
        age = self.r.randint(lo, hi)
        return dt.date(2024, 9, 1) - dt.timedelta(days=age * 365 + self.r.randint(0, 360))

    def idn(self, born: dt.date, sex: str) -> str:
        seq = self.r.randint(1, 499) * 2 - (1 if sex == "男" else 0)
        body = f"{self.code}{born:%Y%m%d}{seq:03d}"
        return body + id_check(body)

    def mobile(self) -> str:
        return self.r.choice(["133", "137", "151", "159", "180", "186", "191"]) + "".join(
            str(self.r.randint(0, 9)) for _ in range(8)
        )

    def place(self) -> str:
        return self.r.choice(self.places)

    def address(self) -> str:
        return f"{self.county}{self.place()}{self.r.randint(1, 9)}组{self.r.randint(1, 60)}号"

    def digits(self, n: int) -> str:
        return "".join(str(self.r.randint(0, 9)) for _ in range(n))

    def pick(self, seq):
        return self.r.choice(seq)

    def uscc(self) -> str:
        chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
        body = (
            self.r.choice(["91", "92"])
            + self.code
            + "".join(self.r.choice(chars[:10] + "MA") for _ in range(9))
        )
        total = sum(chars.index(c) * w for c, w in zip(body, weights, strict=True))
        return body + chars[(31 - total % 31) % 31]


@dataclass
class Form:
    file: str
    department: str  # as printed on the form
    title: str
    columns: list[Node]
    truth: list[str]
    rows: list[list[object]]
    entity: str
    filter: dict | None = None
    frequency: str = "once"
    above: list[list[tuple[int, object]]] = field(default_factory=list)  # rows above the title
    title_span: tuple[int, int] | None = None  # columns the title is merged over
    subtitle: str | None = None
    unit: list[tuple[int, object]] = field(default_factory=list)
    instruction: str | None = None  # a merged line between the unit line and the headings
    numbering: bool = False
    total: list[object] | None = None
    footer: list[str] = field(
        default_factory=lambda: ["填表人：　　　　审核人：　　　　联系电话："]
    )
    far_marker: str | None = None  # a cell written in the 256th column of the heading row
    extra_sheets: dict[str, list[list[object]]] = field(default_factory=dict)
    sheet: str = "Sheet1"


def layout(form: Form) -> tuple[Grid, list[int]]:
    g = Grid()
    n = len(leaves(form.columns))
    r = 0
    for row in form.above:
        g.put_at(r, row)
        r += 1
    c0, c1 = form.title_span or (0, n - 1)
    g.merge(r, c0, r, c1, form.title)
    r += 1
    if form.subtitle:
        g.merge(r, 0, r, n - 1, form.subtitle)
        r += 1
    if form.unit:
        g.put_at(r, form.unit)
        r += 1
    if form.instruction:
        g.merge(r, 0, r, n - 1, form.instruction)
        r += 1
    d = depth(form.columns)
    h0 = r
    heading(g, form.columns, r, 0, r + d - 1)
    if form.far_marker:
        g.put(h0, 255, form.far_marker)
    r += d
    if form.numbering:
        r = g.put_rows(r, [range(1, n + 1)])
    r = g.put_rows(r, form.rows)
    if form.total:
        r = g.put_rows(r, [form.total])
    g.put_rows(r + 1, ([line] for line in form.footer))
    return g, list(range(h0 + 1, h0 + d + 1))


def write(form: Form) -> dict[str, object]:
    from onesheet.domain.template_spec import column_letter

    g, header_rows = layout(form)
    sheets = {form.sheet: g}
    for name, rows in form.extra_sheets.items():
        sheets[name] = Grid.from_rows(rows)
    path = OUT / form.file
    {"xlsx": write_xlsx, "xls": write_xls, "ods": write_ods}[form.file.rsplit(".", 1)[1]](
        path, sheets
    )
    assert len(form.truth) == len(leaves(form.columns)), form.file
    assert all(len(row) == len(form.truth) for row in form.rows), form.file
    return {
        "department": form.department,
        "title": form.title,
        "sheet": form.sheet,
        "entity": form.entity,
        "kind": "aggregate" if form.entity == "aggregate" else "roster",
        "header_rows": header_rows,
        "filter": form.filter,
        "frequency": form.frequency,
        "columns": {column_letter(i): t for i, t in enumerate(form.truth)},
    }


# --------------------------------------------------------------------------- the forms


def h01() -> Form:
    """Sichuan: 高龄津贴 roster, 附件 + part-width title, period subtitle, unit line w/o colon."""
    p = People(101, "510722", "三台县", ["芦溪镇白果村", "芦溪镇石垭村", "塔山镇龙泉村"])
    rows = []
    for i in range(8):
        s, b, place = p.sex(), p.born(80, 99), p.place()
        rows.append([
            i + 1, place[:3], place[3:], p.name(), s, f"{b:%Y.%m}", 2024 - b.year,
            p.idn(b, s), p.pick([100, 200, 300]), p.pick([300, 600, 900]),
            "6217" + p.digits(15), p.mobile(), None,
        ])  # fmt: skip
    return Form(
        file="h01_sichuan_gaoling.xlsx",
        department="三台县民政局",
        title="三台县80周岁以上老年人高龄津贴发放花名册",
        subtitle="（2024年第三季度）",
        above=[[(0, "附件1")]],
        title_span=(2, 9),
        unit=[(0, "填报单位"), (2, "（盖章）"), (8, "填报时间"), (10, "2024年9月")],
        columns=[
            "序号",
            "乡镇",
            "村（社区）",
            "姓名",
            "性别",
            "出生年月",
            "年龄",
            "身份证号码",
            "津贴标准（元/月）",
            "发放金额（元）",
            "代发银行账号",
            "联系电话",
            "备注",
        ],
        truth=[
            "layout",
            "person.town",
            "person.village",
            "person.name",
            "person.gender",
            "person.birth_date",
            "person.age",
            "person.id_number",
            "new:allowance_standard",
            "new:amount_paid",
            "person.bank_account",
            "person.phone",
            "layout",
        ],
        rows=rows,
        entity="person",
        filter={"field": "person.birth_date", "op": "age_ge", "value": 80},
        frequency="quarterly",
    )


def h02() -> Form:
    """Henan: a company's 困难职工 roster (the title names a company; the rows are people)."""
    p = People(102, "411523", "新县", ["新集镇", "沙窝镇", "周河乡"])
    rows = []
    for i in range(7):
        s, b = p.sex(), p.born(30, 58)
        rows.append([
            i + 1, p.name(), s, p.idn(b, s), p.pick(["生产车间", "后勤", "销售部"]),
            p.pick(["本人患病", "子女上学", "家属重病"]), p.pick([3, 4, 5]),
            p.pick([18000, 24000, 30000]), p.mobile(), p.address(),
        ])  # fmt: skip
    return Form(
        file="h02_henan_kunnan_zhigong.xlsx",
        department="县人力资源和社会保障局",
        title="河南某某机械制造有限公司困难职工帮扶名册",
        unit=[(0, "填报单位（盖章）："), (6, "填报日期：2024年10月15日")],
        columns=[
            "序号",
            "职工姓名",
            "性别",
            "身份证号",
            "所在部门",
            "致困原因",
            "家庭人口",
            "家庭年收入（元）",
            "手机号码",
            "家庭住址",
        ],
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.id_number",
            "new:department",
            "new:hardship_cause",
            "household.size",
            "household.annual_income",
            "person.phone",
            "person.current_address",
        ],
        rows=rows,
        entity="person",
    )


def h03() -> Form:
    """Gansu: dilapidated-house renovation list, two heading rows, .xlsx."""
    p = People(103, "620421", "靖远县", ["东湾镇", "北湾镇", "五合镇"])
    rows = []
    for i in range(6):
        s, b = "男", p.born(40, 80)
        rows.append([
            i + 1, p.place(), p.name(), p.idn(b, s), p.pick([2, 3, 4, 5]),
            p.pick(["土木结构", "砖木结构", "砖混结构"]), p.pick([1978, 1985, 1992]),
            p.pick(["C级", "D级"]), p.pick([68.5, 82.0, 96.4]), p.pick(["加固", "拆除重建"]),
            p.pick([15000, 28000, 35000]), p.mobile(),
        ])  # fmt: skip
    return Form(
        file="h03_gansu_weifang.xlsx",
        department="住房城乡建设局",
        title="靖远县2024年度农村危房改造对象信息表",
        unit=[(0, "乡（镇）：　　　　　　　　　　　填表日期：　　年　　月　　日")],
        columns=[
            "序号",
            "乡镇",
            ("户主信息", ["户主姓名", "身份证号码", "家庭人口"]),
            ("房屋现状", ["房屋结构", "建造年代", "危险等级", "建筑面积（㎡）"]),
            ("改造情况", ["改造方式", "补助资金（元）"]),
            "联系电话",
        ],
        truth=[
            "layout",
            "house.town",
            "household.head_name",
            "household.head_id_number",
            "household.size",
            "house.structure",
            "house.year_built",
            "house.safety_grade",
            "house.area",
            "new:renovation_method",
            "new:subsidy_amount",
            "house.owner_phone",
        ],
        rows=rows,
        entity="house",
        filter={"field": "house.is_dilapidated", "op": "eq", "value": "1"},
        frequency="yearly",
    )


def h04() -> Form:
    """Guangdong: 孕产妇 register with a table-number stamp in A1 and a numbering row."""
    p = People(104, "441481", "兴宁市", ["宁新街道", "刁坊镇", "黄陂镇"])
    rows = []
    for i in range(6):
        b = p.born(22, 38)
        rows.append([
            i + 1, p.name(), p.idn(b, "女"), b, p.pick(["2024-03-02", "2024-05-19"]),
            p.pick(["2024-12-01", "2025-01-20"]), p.pick([1, 2]), p.name(), p.mobile(),
            p.address(), p.pick(["是", "否"]),
        ])  # fmt: skip
    return Form(
        file="h04_guangdong_yunchanfu.xlsx",
        department="卫生健康局",
        title="孕产妇健康管理登记表",
        above=[[(0, "表号：卫健妇幼-03"), (10, "2023版")]],
        unit=[(0, "镇（街道）：　　　　村（居）：　　　　　　登记日期：")],
        numbering=True,
        columns=[
            "编号",
            "孕妇姓名",
            "身份证号",
            "出生日期",
            "末次月经",
            "预产期",
            "孕次",
            "丈夫姓名",
            "联系电话",
            "现住址",
            "是否高危",
        ],
        truth=[
            "layout",
            "person.name",
            "person.id_number",
            "person.birth_date",
            "new:last_menstrual_period",
            "new:due_date",
            "new:gravidity",
            "new:husband_name",
            "person.phone",
            "person.current_address",
            "new:high_risk_pregnancy",
        ],
        rows=rows,
        entity="person",
        filter={"field": "person.gender", "op": "eq", "value": "2"},
    )


def h05() -> Form:
    """Heilongjiang: left-behind children, .xls, guardian group, father/mother groups."""
    p = People(105, "230231", "拜泉县", ["拜泉镇", "三道镇", "兴农镇"])
    rows = []
    for i in range(7):
        s, b = p.sex(), p.born(6, 15)
        rows.append([
            i + 1, p.name(), s, p.idn(b, s), p.pick(["拜泉县第一小学", "三道镇中学"]),
            p.pick(["三年级", "五年级", "初一"]), p.name(), p.pick(["祖父", "祖母", "外祖母"]),
            p.mobile(), p.pick(["哈尔滨", "北京", "大连"]), p.pick(["哈尔滨", "天津", "在家"]),
            p.address(),
        ])  # fmt: skip
    return Form(
        file="h05_heilongjiang_liushou.xls",
        department="教育局",
        title="拜泉县农村留守儿童基本情况登记表",
        unit=[(0, "学校（盖章）："), (8, "统计时间：2024年9月")],
        columns=[
            "序号",
            "儿童姓名",
            "性别",
            "身份证号",
            "就读学校",
            "年级",
            ("监护人", ["姓名", "与儿童关系", "联系电话"]),
            ("父母外出务工地点", ["父亲", "母亲"]),
            "家庭住址",
        ],
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.id_number",
            "person.school",
            "new:grade",
            "new:guardian_name",
            "new:guardian_relationship",
            "new:guardian_phone",
            "new:father_work_place",
            "new:mother_work_place",
            "person.current_address",
        ],
        rows=rows,
        entity="person",
        filter={"field": "person.is_left_behind", "op": "eq", "value": "1"},
    )


def h06() -> Form:
    """Hebei: village population counts, .ods, 2-row heading, 合计 row, yearly."""
    p = People(106, "130727", "阳原县", ["西城镇", "东城镇", "化稍营镇"])
    villages = ["西关村", "东关村", "南关村", "北关村", "井儿沟村"]
    rows = []
    for v in villages:
        m, f = p.r.randint(300, 700), p.r.randint(300, 700)
        rows.append([v, p.r.randint(200, 500), m + f, m, f, p.r.randint(100, 300),
                     p.r.randint(300, 600), p.r.randint(150, 400), p.r.randint(5, 30)])  # fmt: skip
    total = ["合计", *[sum(r[c] for r in rows) for c in range(1, 9)]]
    return Form(
        file="h06_hebei_renkou.ods",
        department="统计局",
        title="阳原县2024年度各村人口及户数统计表",
        unit=[(0, "填报单位：　　　　镇人民政府")],
        columns=[
            "村名",
            "户数",
            ("人口数", ["合计", "男", "女"]),
            ("分年龄段", ["0-17岁", "18-59岁", "60岁以上"]),
            "低保户数",
        ],
        truth=["aggregate"] * 9,
        rows=rows,
        total=total,
        entity="aggregate",
        frequency="yearly",
    )


def h07() -> Form:
    """Shaanxi: 个体工商户 register (enterprise), 经营者 instead of 法定代表人."""
    p = People(107, "610528", "富平县", ["城关街道", "庄里镇", "张桥镇"])
    rows = []
    for i in range(6):
        s, b = p.sex(), p.born(25, 60)
        rows.append([
            i + 1, p.uscc(), p.pick(["富平县老张面馆", "庄里镇好运超市", "张桥五金店"]),
            p.name(), p.idn(b, s), p.mobile(), f"{p.place()}{p.r.randint(1, 99)}号",
            p.pick(["餐饮服务", "日用百货零售", "五金销售"]), p.pick([1, 2, 3, 5]),
            dt.date(2015 + i, 3, 1 + i),
        ])  # fmt: skip
    return Form(
        file="h07_shaanxi_getihu.xlsx",
        department="市场监督管理局",
        title="富平县个体工商户基本信息登记表",
        columns=[
            "序号",
            "统一社会信用代码",
            "字号名称",
            "经营者姓名",
            "经营者身份证号",
            "联系电话",
            "经营场所",
            "经营范围",
            "从业人数",
            "成立日期",
        ],
        truth=[
            "layout",
            "enterprise.uscc",
            "enterprise.name",
            "enterprise.legal_rep",
            "enterprise.legal_rep_id_number",
            "enterprise.contact_phone",
            "enterprise.address",
            "enterprise.business_scope",
            "enterprise.employees",
            "enterprise.established_date",
        ],
        rows=rows,
        entity="enterprise",
    )


def h08() -> Form:
    """Sichuan: veterans' information, .xls, stamp row above the title, service group."""
    p = People(108, "511321", "南部县", ["南隆街道", "河东镇", "升钟镇"])
    rows = []
    for i in range(6):
        b = p.born(25, 75)
        rows.append([
            i + 1, p.name(), "男", "汉族", p.idn(b, "男"), b, p.pick(["中共党员", "群众"]),
            f"{b.year + 19}.09", f"{b.year + 23}.12", p.pick(["退役士兵", "退休军人"]),
            p.mobile(), p.address(),
        ])  # fmt: skip
    return Form(
        file="h08_sichuan_tuiyi.xls",
        department="退役军人事务局",
        title="退役军人和其他优抚对象信息采集表",
        above=[[(0, "表号：TY-01")]],
        columns=[
            "序号",
            "姓名",
            "性别",
            "民族",
            "身份证号码",
            "出生年月",
            "政治面貌",
            ("服役情况", ["入伍时间", "退役时间", "退役类别"]),
            "联系电话",
            "现居住地址",
        ],
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.ethnicity",
            "person.id_number",
            "person.birth_date",
            "person.political_status",
            "new:enlistment_date",
            "new:discharge_date",
            "person.military_service",
            "person.phone",
            "person.current_address",
        ],
        rows=rows,
        entity="person",
        filter={"field": "person.is_veteran", "op": "eq", "value": "1"},
    )


def h09() -> Form:
    """Guangxi: medical insurance enrolment, instruction line above the headings, plus an
    instructions sheet and a code-list sheet."""
    p = People(109, "450330", "平乐县", ["平乐镇", "二塘镇", "沙子镇"])
    rows = []
    for i in range(8):
        s, b = p.sex(), p.born(1, 85)
        rows.append([
            i + 1, p.digits(8), p.name(), p.pick(["户主", "配偶", "子", "女"]), s,
            p.idn(b, s), p.pick(["壮族", "汉族", "瑶族"]),
            p.pick(["普通居民", "低保对象", "特困人员"]), p.pick([380, 400]), p.mobile(), None,
        ])  # fmt: skip
    return Form(
        file="h09_guangxi_yibao.xlsx",
        department="医疗保障局",
        title="平乐县2025年度城乡居民基本医疗保险参保登记花名册",
        instruction="填表说明：1.身份证号码须18位；2.参保身份按代码表填写；3.每户成员连续填写。",
        columns=[
            "序号",
            "户编号",
            "姓名",
            "与户主关系",
            "性别",
            "公民身份号码",
            "民族",
            "参保身份",
            "缴费金额（元）",
            "联系电话",
            "备注",
        ],
        truth=[
            "layout",
            "household.household_no",
            "person.name",
            "person.relationship_to_head",
            "person.gender",
            "person.id_number",
            "person.ethnicity",
            "new:insured_category",
            "new:contribution_amount",
            "person.phone",
            "layout",
        ],
        rows=rows,
        entity="person",
        frequency="yearly",
        sheet="参保登记",
        extra_sheets={
            "填表说明": [
                ["一、本表由村（社区）经办人员逐户填写，每户成员连续排列。"],
                ["二、身份证号码必须为18位，末位X大写。"],
            ],
            "代码表": [
                ["参保身份：", None, "民族："],
                ["普通居民", None, "汉族"],
                ["低保对象", None, "壮族"],
                ["特困人员", None, "瑶族"],
            ],
        },
    )


def h10() -> Form:
    """Shaanxi: disabled persons' needs survey, .ods, one heading row."""
    p = People(110, "610528", "富平县", ["城关街道", "庄里镇", "张桥镇"])
    rows = []
    for i in range(7):
        s, b = p.sex(), p.born(10, 80)
        idn = p.idn(b, s)
        rows.append([
            i + 1, p.name(), s, idn, idn + p.pick(["11", "42", "63"]),
            p.pick(["视力", "肢体", "智力", "精神"]), p.pick(["一级", "二级", "三级", "四级"]),
            p.pick(["康复服务", "辅助器具", "无"]), p.mobile(), p.address(),
        ])  # fmt: skip
    return Form(
        file="h10_shaanxi_canji.ods",
        department="县残联",
        title="持证残疾人基本服务状况和需求信息数据动态更新调查表",
        unit=[(0, "调查员："), (6, "调查时间：")],
        columns=[
            "序号",
            "姓名",
            "性别",
            "身份证号",
            "残疾人证号",
            "残疾类别",
            "残疾等级",
            "主要需求",
            "联系电话",
            "居住地址",
        ],
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.id_number",
            "person.disability_cert_no",
            "person.disability_category",
            "person.disability_grade",
            "new:main_need",
            "person.phone",
            "person.current_address",
        ],
        rows=rows,
        entity="person",
        filter={"field": "person.is_disabled", "op": "eq", "value": "1"},
    )


def h11() -> Form:
    """Gansu: 防返贫监测 households, a marker in the 256th column of the heading row."""
    p = People(111, "620421", "靖远县", ["东湾镇", "北湾镇", "五合镇"])
    rows = []
    for i in range(6):
        b = p.born(35, 75)
        rows.append([
            i + 1, p.place(), p.pick(["1组", "2组", "3组"]), p.name(), p.idn(b, "男"),
            p.pick([2, 3, 4, 5, 6]), p.pick(["脱贫不稳定户", "边缘易致贫户", "突发严重困难户"]),
            p.pick(["因病", "因学", "因残", "因灾"]), p.pick([5200, 6100, 7400]), p.mobile(),
        ])  # fmt: skip
    return Form(
        file="h11_gansu_jiance.xlsx",
        department="乡村振兴局",
        title="靖远县防止返贫监测对象信息采集表",
        columns=[
            "序号",
            "乡镇",
            "村民小组",
            "户主姓名",
            "户主身份证号",
            "家庭人口数",
            "监测对象类型",
            "主要风险",
            "家庭年人均纯收入（元）",
            "联系电话",
        ],
        truth=[
            "layout",
            "household.town",
            "household.village_group",
            "household.head_name",
            "household.head_id_number",
            "household.size",
            "household.monitoring_type",
            "new:main_risk",
            "household.per_capita_income",
            "household.phone",
        ],
        rows=rows,
        entity="household",
        filter={"field": "household.is_monitored", "op": "eq", "value": "1"},
        far_marker="V1",
    )


def h12() -> Form:
    """Henan: migrant register (公安), full-width spaces inside headings, landlord columns."""
    p = People(112, "411523", "新县", ["新集镇", "沙窝镇", "周河乡"])
    rows = []
    for i in range(7):
        s, b = p.sex(), p.born(18, 60)
        rows.append([
            i + 1, p.name(), s, p.pick(["汉族", "回族"]), b, p.idn(b, s),
            p.pick(["湖北省麻城市", "安徽省金寨县"]), p.address(), p.pick(["务工", "经商", "投亲"]),
            p.name(), p.mobile(), dt.date(2024, 5, 1 + i),
        ])  # fmt: skip
    return Form(
        file="h12_henan_liudong.xlsx",
        department="公安（派出所）",
        title="新县流动人口登记表",
        title_span=(0, 5),
        columns=[
            "序号",
            "姓　　名",
            "性　别",
            "民　族",
            "出生日期",
            "公民身份号码",
            "户籍地详址",
            "现住地址",
            "暂住事由",
            "房东姓名",
            "房东联系电话",
            "登记日期",
        ],
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.ethnicity",
            "person.birth_date",
            "person.id_number",
            "person.registered_address",
            "person.current_address",
            "new:stay_reason",
            "new:landlord_name",
            "new:landlord_phone",
            "new:registration_date",
        ],
        rows=rows,
        entity="person",
        filter={"field": "person.resident_type", "op": "eq", "value": "2"},
    )


def h13() -> Form:
    """Heilongjiang: school drop-out monitoring ledger, monthly (月报)."""
    p = People(113, "230231", "拜泉县", ["拜泉镇", "三道镇", "兴农镇"])
    rows = []
    for i in range(6):
        s, b = p.sex(), p.born(7, 15)
        rows.append([
            i + 1, p.name(), s, p.idn(b, s), p.pick(["拜泉县第二中学", "兴农镇小学"]),
            p.pick(["六年级", "初二"]), p.pick(["厌学", "外出务工", "身体原因"]), p.name(),
            p.mobile(), p.address(),
        ])  # fmt: skip
    return Form(
        file="h13_heilongjiang_kongchuo.xlsx",
        department="教育体育局",
        title="义务教育阶段控辍保学工作台账（月报）",
        unit=[(0, "学校名称：　　　　　　　　　　　　报送时间：2024年10月")],
        columns=[
            "序号",
            "学生姓名",
            "性别",
            "身份证号码",
            "学籍所在学校",
            "年级",
            "辍学原因",
            "监护人姓名",
            "监护人电话",
            "家庭住址",
        ],
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.id_number",
            "person.school",
            "new:grade",
            "new:dropout_reason",
            "new:guardian_name",
            "new:guardian_phone",
            "person.current_address",
        ],
        rows=rows,
        entity="person",
        frequency="monthly",
    )


def h14() -> Form:
    """Hebei: rural party members, .xls, unit line without colons, 截止 date."""
    p = People(114, "130727", "阳原县", ["西城镇", "东城镇", "化稍营镇"])
    rows = []
    for i in range(7):
        s, b = p.sex(), p.born(25, 85)
        rows.append([
            i + 1, p.pick(["西关村党支部", "东关村党支部"]), p.name(), s, f"{b:%Y.%m}",
            "汉族", p.pick(["初中", "高中", "大专"]), f"{b.year + 25}.07", p.idn(b, s),
            p.mobile(), p.pick(["是", "否"]),
        ])  # fmt: skip
    return Form(
        file="h14_hebei_dangyuan.xls",
        department="组织部",
        title="农村党员花名册",
        unit=[(0, "填报单位"), (2, "　　镇党委"), (7, "截止时间"), (9, "2024年12月31日")],
        columns=[
            "序号",
            "所在党支部",
            "姓名",
            "性别",
            "出生年月",
            "民族",
            "学历",
            "入党时间",
            "身份证号码",
            "联系电话",
            "是否流动党员",
        ],
        truth=[
            "layout",
            "new:party_branch",
            "person.name",
            "person.gender",
            "person.birth_date",
            "person.ethnicity",
            "person.education",
            "person.party_join_date",
            "person.id_number",
            "person.phone",
            "new:is_mobile_party_member",
        ],
        rows=rows,
        entity="person",
        filter={"field": "person.political_status", "op": "in", "value": ["01", "02"]},
    )


def h15() -> Form:
    """Guangdong: 0–6-year-old children's health management, parents' groups."""
    p = People(115, "441481", "兴宁市", ["宁新街道", "刁坊镇", "黄陂镇"])
    rows = []
    for i in range(7):
        s, b = p.sex(), p.born(0, 6)
        rows.append([
            i + 1, p.name(), s, b, p.idn(b, s), p.name(), p.mobile(), p.name(), p.mobile(),
            p.address(), p.pick(["是", "否"]),
        ])  # fmt: skip
    return Form(
        file="h15_guangdong_ertong.xlsx",
        department="县卫健委",
        title="0-6岁儿童健康管理花名册",
        columns=[
            "序号",
            "儿童姓名",
            "性别",
            "出生日期",
            "身份证号",
            ("父亲", ["姓名", "电话"]),
            ("母亲", ["姓名", "电话"]),
            "家庭住址",
            "是否建档",
        ],
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.birth_date",
            "person.id_number",
            "new:father_name",
            "new:father_phone",
            "new:mother_name",
            "new:mother_phone",
            "person.current_address",
            "new:health_record_created",
        ],
        rows=rows,
        entity="person",
        filter={"field": "person.birth_date", "op": "age_lt", "value": 7},
    )


def h16() -> Form:
    """Sichuan: disaster relief roster (应急), .ods."""
    p = People(116, "511321", "南部县", ["南隆街道", "河东镇", "升钟镇"])
    rows = []
    for i in range(6):
        s, b = p.sex(), p.born(20, 80)
        rows.append([
            i + 1, p.name(), p.idn(b, s), p.pick([2, 3, 4]), p.pick(["洪涝", "地质灾害"]),
            p.pick(["房屋倒塌", "房屋严重损坏", "一般损坏"]), p.pick([2000, 5000, 10000]),
            "6228" + p.digits(15), p.pick(["农业银行", "农村信用社"]), p.mobile(),
        ])  # fmt: skip
    return Form(
        file="h16_sichuan_shouzai.ods",
        department="应急管理局",
        title="南部县2024年自然灾害受灾人员救助资金发放花名册",
        unit=[(0, "乡镇："), (5, "填报日期：")],
        columns=[
            "序号",
            "户主姓名",
            "身份证号码",
            "受灾人口",
            "灾害种类",
            "受灾程度",
            "救助金额（元）",
            "银行卡号",
            "开户银行",
            "联系电话",
        ],
        truth=[
            "layout",
            "household.head_name",
            "household.head_id_number",
            "new:affected_people",
            "new:disaster_type",
            "new:damage_level",
            "new:relief_amount",
            "person.bank_account",
            "person.bank_name",
            "household.phone",
        ],
        rows=rows,
        entity="household",
    )


def h17() -> Form:
    """Henan: above-scale industrial enterprises (统计), numbering row."""
    p = People(117, "411523", "新县", ["新集镇", "沙窝镇", "周河乡"])
    rows = []
    for i in range(6):
        rows.append([
            i + 1, p.pick(["新县金源纺织有限公司", "河南信阳茶业集团", "新县鑫达建材厂"]),
            p.uscc(), p.name(), p.pick(["1711", "1520", "3021"]), p.pick([56, 120, 340]),
            p.pick([23000.5, 45000.0, 120000.8]), p.mobile(), f"新县{p.place()}工业园{i + 1}号",
        ])  # fmt: skip
    return Form(
        file="h17_henan_guishang.xlsx",
        department="统计",
        title="新县规模以上工业企业名录（2024年第四季度）",
        numbering=True,
        columns=[
            "序号",
            "单位详细名称",
            "统一社会信用代码",
            "单位负责人",
            "行业代码",
            "从业人员期末人数",
            "营业收入（千元）",
            "联系电话",
            "详细地址",
        ],
        truth=[
            "layout",
            "enterprise.name",
            "enterprise.uscc",
            "enterprise.legal_rep",
            "enterprise.industry",
            "enterprise.employees",
            "enterprise.annual_revenue",
            "enterprise.contact_phone",
            "enterprise.address",
        ],
        rows=rows,
        entity="enterprise",
        frequency="quarterly",
    )


def h18() -> Form:
    """Guangxi: lifted-from-poverty households, .xls, 证件号码 under 户主."""
    p = People(118, "450330", "平乐县", ["平乐镇", "二塘镇", "沙子镇"])
    rows = []
    for i in range(7):
        b = p.born(35, 80)
        rows.append([
            i + 1, f"4503300{p.digits(8)}", p.name(), p.idn(b, "男"), p.pick([2, 3, 4, 5]),
            p.pick([2016, 2018, 2019, 2020]), p.pick([9800, 11200, 13500]),
            p.pick(["是", "否"]), p.place(),
        ])  # fmt: skip
    return Form(
        file="h18_guangxi_tuopin.xls",
        department="农业农村局",
        title="平乐县脱贫户家庭信息登记表",
        columns=[
            "序号",
            "户编号",
            ("户主", ["姓名", "证件号码"]),
            "家庭人口",
            "脱贫年度",
            "人均纯收入（元）",
            "是否监测户",
            "所在村",
        ],
        truth=[
            "layout",
            "household.household_no",
            "household.head_name",
            "household.head_id_number",
            "household.size",
            "new:year_lifted",
            "household.per_capita_income",
            "household.is_monitored",
            "household.village",
        ],
        rows=rows,
        entity="household",
        filter={"field": "household.is_lifted_from_poverty", "op": "eq", "value": "1"},
    )


FORMS = [h01, h02, h03, h04, h05, h06, h07, h08, h09, h10, h11, h12, h13, h14, h15, h16,
         h17, h18]  # fmt: skip


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    truth = {}
    for make in FORMS:
        form = make()
        truth[form.file] = write(form)
    TRUTH.write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(truth)} held-out forms")


if __name__ == "__main__":
    main()
