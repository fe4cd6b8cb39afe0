"""Forms that are not plain person rosters: house, enterprise, household, aggregate, .xls,
a blank template, and a 党员 roster with a homophone typo (身分证号).
"""

from __future__ import annotations

from tests.forms.fake import TOWNS, Fake
from tests.forms.make_forms import FormDef

UNIT = "填报单位（盖章）：                      "
DATE = "填报日期：    年   月   日"


def houses(f: Fake) -> FormDef:
    """住建: a house register; 产权人 details under a group, 房屋基本情况 group."""
    rows = []
    for i in range(14):
        g, b = f.gender(), f.birth(30, 85)
        built = f.r.randint(1978, 2020)
        rows.append([
            i + 1, f.name(g), f.id_number(b, g), f.mobile(), f.address(),
            f.choice(["砖混", "砖木", "钢混", "土木"]), f.r.randint(1, 4), built,
            round(f.r.uniform(80, 320), 1), f.choice(["自住", "出租", "经营", "闲置"]),
            f.choice(["A级", "B级", "C级", "D级"]), f.choice(["是", "否"]),
            f.choice(["加固", "拆除重建", "无需整治", "停止使用"]), f.name(), f.recent(1), None,
        ])  # fmt: skip
    return FormDef(
        file="zhujian_houses.xlsx",
        department="housing",
        title="农村自建房安全隐患排查整治情况表",
        columns=[
            "序号",
            ("产权人信息", ["姓名", "身份证号", "联系电话"]),
            "房屋地址",
            ("房屋基本情况", ["结构类型", "层数", "建成年份", "建筑面积（㎡）", "用途"]),
            ("排查情况", ["安全等级", "是否危房", "整治措施", "排查人", "排查日期"]),
            "备注",
        ],
        rows=rows,
        truth=[
            "layout",
            "house.owner_name",
            "house.owner_id_number",
            "house.owner_phone",
            "house.address",
            "house.structure",
            "house.floors",
            "house.year_built",
            "house.area",
            "house.usage",
            "house.safety_grade",
            "house.is_dilapidated",
            "new:remediation_measure",
            "new:inspector_name",
            "new:inspection_date",
            "layout",
        ],
        entity="house",
        unit_cells=[(0, "乡镇（街道）：天荒坪镇"), (7, "填报日期：2024年6月")],
        footer=["排查人员签字：            村负责人签字：            联系电话："],
    )


def enterprises(f: Fake) -> FormDef:
    """市场监管: enterprises; 单位名称 is the enterprise's own name here."""
    rows = []
    kinds = ["个体工商户", "有限责任公司", "农民专业合作社", "个人独资企业"]
    for i in range(12):
        g, b = f.gender(), f.birth(25, 65)
        rows.append([
            i + 1, f"安吉{f.choice(['竹韵', '白茶', '溪山', '余村', '鲁家'])}"
            f"{f.choice(['农家乐', '茶叶专业合作社', '竹制品厂', '民宿', '超市'])}",
            f.uscc(), f.name(g), f.id_number(b, g), f.mobile(), f.address(),
            f.choice(kinds),
            f.choice(["住宿和餐饮业", "制造业", "批发和零售业", "农、林、牧、渔业"]),
            f.r.randint(1, 60), f.recent(15), f.choice([5, 10, 50, 100, 200]),
            f.choice(["存续", "在业", "歇业"]), None,
        ])  # fmt: skip
    return FormDef(
        file="shichang_enterprises.xlsx",
        department="market_regulation",
        title="个体工商户及企业基本情况表",
        columns=[
            "序号",
            "单位名称",
            "统一社会信用代码（注册号）",
            "法定代表人（负责人）",
            "身份证号码",
            "联系电话",
            "经营场所",
            "主体类型",
            "行业类别",
            "从业人员（人）",
            "成立日期",
            "注册资金（万元）",
            "经营状态",
            "备注",
        ],
        rows=rows,
        truth=[
            "layout",
            "enterprise.name",
            "enterprise.uscc",
            "enterprise.legal_rep",
            "enterprise.legal_rep_id_number",
            "enterprise.contact_phone",
            "enterprise.address",
            "enterprise.type",
            "enterprise.industry",
            "enterprise.employees",
            "enterprise.established_date",
            "enterprise.registered_capital",
            "enterprise.status",
            "layout",
        ],
        entity="enterprise",
        unit_cells=[(0, UNIT), (9, DATE)],
        numbering="tiangan",
    )


def monitored(f: Fake) -> FormDef:
    """乡村振兴: a household roster; 身份证号 is the head's; 帮扶责任人 group."""
    rows = []
    for i in range(10):
        g, b = f.gender(), f.birth(35, 80)
        town, village = f.place()
        rows.append([
            i + 1, town, village, f.name(g), f.id_number(b, g), f.r.randint(1, 6),
            f.choice(["脱贫不稳定户", "边缘易致贫户", "突发严重困难户"]), f.recent(3),
            f.choice(["因病", "因残", "因学", "因意外事故"]), f.r.randint(6000, 15000),
            f.choice(["产业帮扶", "就业帮扶", "医疗救助", "教育资助"]), f.name(), f.mobile(), None,
        ])  # fmt: skip
    return FormDef(
        file="xiangcun_monitored.xlsx",
        department="rural_revitalization",
        title="防返贫监测对象信息表",
        columns=[
            "序号",
            "乡镇",
            "村（社区）",
            "户主姓名",
            "身份证号",
            "家庭人口数",
            "监测对象类型",
            "纳入监测时间",
            "主要风险",
            "家庭年人均纯收入（元）",
            "帮扶措施",
            ("帮扶责任人", ["姓名", "联系电话"]),
            "户主签字",
        ],
        rows=rows,
        truth=[
            "layout",
            "household.town",
            "household.village",
            "household.head_name",
            "household.head_id_number",
            "household.size",
            "household.monitoring_type",
            "new:monitoring_start_date",
            "new:risk_type",
            "household.per_capita_income",
            "new:assistance_measures",
            "new:helper_name",
            "new:helper_phone",
            "layout",
        ],
        entity="household",
        filter={"field": "household.is_monitored", "op": "eq", "value": "1"},
        unit_cells=[(0, UNIT), (9, DATE)],
    )


def party(f: Fake) -> FormDef:
    """组织部: 党员; 身分证号 (homophone typo), 工作单位及职务, 转正时间."""
    rows = []
    for i in range(18):
        g, b = f.gender(), f.birth(22, 88)
        joined = b.replace(year=b.year + f.r.randint(19, 30))
        rows.append([
            i + 1, f.name(g), g, f.choice(["汉族", "汉族", "回族"]), f.date_text(b, "dot"),
            f.choice(["大学本科", "大学专科", "高中", "初中"]), f.date_text(joined, "dot"),
            f.date_text(joined.replace(year=joined.year + 1), "dot"),
            f.choice(["余村党支部", "大溪村党支部"]), f.choice(["村委会主任", "农民", "教师"]),
            f.id_number(b, g), f.mobile(), f.choice(["是", "否"]), None,
        ])  # fmt: skip
    return FormDef(
        file="zuzhi_party.xlsx",
        department="organization",
        title="党员信息统计表",
        columns=[
            "序号",
            "姓名",
            "性别",
            "民族",
            "出生年月",
            "学历",
            "入党时间",
            "转正时间",
            "所在党支部",
            "工作单位及职务",
            "身分证号",
            "联系电话",
            "是否流动党员",
            "备注",
        ],
        rows=rows,
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.ethnicity",
            "person.birth_date",
            "person.education",
            "person.party_join_date",
            "new:full_membership_date",
            "new:party_branch",
            "person.employer",
            "person.id_number",
            "person.phone",
            "new:is_mobile_party_member",
            "layout",
        ],
        entity="person",
        filter={"field": "person.political_status", "op": "in", "value": ["01", "02"]},
        unit_cells=[(0, "党组织名称（盖章）："), (9, "统计日期：")],
    )


def villages(f: Fake) -> FormDef:
    """统计: an aggregate form — one row per village, counts per column, a 合计 row."""
    rows = []
    names = [
        v + ("村" if not v.endswith(("村", "社区")) else "") for t in TOWNS.values() for v in t
    ]
    for i, village in enumerate(names):
        households = f.r.randint(200, 900)
        male, female = f.r.randint(400, 1500), f.r.randint(400, 1500)
        young, old = f.r.randint(100, 400), f.r.randint(200, 600)
        rows.append([
            i + 1, village, households, male + female, male, female, young,
            male + female - young - old, old, f.r.randint(3, 20), f.r.randint(5, 40),
            f.r.randint(10, 60), None,
        ])  # fmt: skip
    total = ["合计", None, *[sum(r[c] for r in rows) for c in range(2, 12)], None]

    def count(condition: dict | None) -> dict:
        return {"kind": "count", "condition": condition}

    male = {"field": "person.gender", "op": "eq", "value": "1"}
    female = {"field": "person.gender", "op": "eq", "value": "2"}

    def ages(low: int, high: int | None) -> dict:
        cond = [{"field": "person.birth_date", "op": "age_ge", "value": low}]
        if high is not None:
            cond.append({"field": "person.birth_date", "op": "age_lt", "value": high})
            return {"and": cond}
        return cond[0]

    return FormDef(
        file="tongji_villages.xlsx",
        department="statistics",
        title="各村（社区）人口情况统计表",
        columns=[
            "序号",
            "村（社区）",
            "户数（户）",
            ("人口数（人）", ["合计", "男", "女"]),
            ("年龄结构", ["0-17岁", "18-59岁", "60岁以上"]),
            ("低保", ["户数", "人数"]),
            "残疾人数",
            "备注",
        ],
        rows=rows,
        truth=[
            "layout",
            {"kind": "field", "field": "org.name"},
            count({"field": "household.household_no", "op": "not_null", "value": None}),
            count(None),
            count(male),
            count(female),
            count(ages(0, 18)),
            count(ages(18, 60)),
            count(ages(60, None)),
            count({"field": "household.is_dibao", "op": "eq", "value": "1"}),
            count({"field": "person.is_dibao", "op": "eq", "value": "1"}),
            count({"field": "person.is_disabled", "op": "eq", "value": "1"}),
            "layout",
        ],
        entity="aggregate",
        total_row=total,
        unit_cells=[(0, "填报单位：安吉县统计局"), (8, "截至：2024年6月30日")],
    )


def tekun(f: Fake) -> FormDef:
    """民政 (.xls, Excel 97–2003): 特困; 联系人 followed by a bare 联系电话."""
    rows = []
    for i in range(9):
        g, b = f.gender(), f.birth(40, 92)
        rows.append([
            i + 1, f.name(g), g, f.id_number(b, g), 2024 - b.year,
            f.choice(["集中供养", "分散供养"]), f.choice(["完全自理", "半失能", "全失能"]),
            f.address(), f.name(), f.mobile(), None,
        ])  # fmt: skip
    return FormDef(
        file="minzheng_tekun.xls",
        department="civil_affairs",
        title="特困人员供养情况花名册",
        columns=[
            "序号",
            "姓名",
            "性别",
            "身份证号码",
            "年龄",
            "供养方式",
            "自理能力",
            "家庭住址",
            "联系人",
            "联系电话",
            "备注",
        ],
        rows=rows,
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.id_number",
            "person.age",
            "new:support_method",
            "new:self_care_ability",
            "person.current_address",
            "new:contact_name",
            "new:contact_phone",
            "layout",
        ],
        entity="person",
        filter={"field": "person.is_tekun", "op": "eq", "value": "1"},
        unit_cells=[(0, "填报单位：递铺街道"), (7, "填报日期：2024年6月")],
    )


def left_behind(f: Fake) -> FormDef:
    """教育/民政: a blank template — headings and numbered empty rows, no data."""
    return FormDef(
        file="jiaoyu_left_behind.xlsx",
        department="education",
        title="农村留守儿童基本情况登记表",
        columns=[
            "序号",
            "儿童姓名",
            "性别",
            "出生日期",
            "身份证号",
            "就读学校",
            "监护人姓名",
            "与儿童关系",
            "监护人联系电话",
            "父母务工地点",
            "备注",
        ],
        rows=[],
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.birth_date",
            "person.id_number",
            "person.school",
            "new:guardian_name",
            "new:guardian_relationship",
            "new:guardian_phone",
            "new:parents_work_location",
            "layout",
        ],
        entity="person",
        filter={"field": "person.is_left_behind", "op": "eq", "value": "1"},
        unit_cells=[(0, UNIT), (7, DATE)],
        blank_rows=10,
        footer=["填表人：            联系电话：            村（社区）负责人签字："],
    )


def other_forms() -> list[FormDef]:
    f = Fake(20240701)
    return [houses(f), enterprises(f), monitored(f), party(f), villages(f), tekun(f),
            left_behind(f)]  # fmt: skip
