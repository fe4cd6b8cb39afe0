"""Development forms in further styles, written to widen what the importer is tuned on.

Issue 12's test set showed the importer had learnt the development forms' habits: merged
group headings, one county's wording, one sheet per workbook. These forms are development
forms (tuned on, like ``make_forms``' own) in the styles a county actually receives:

* two- and three-row headings typed **without merges** — the group written once in its
  first cell (``.ods``, ``.xlsx``, ``.xls``), ungrouped headings on the top *or* the bottom
  row, and the WPS "unmerge and fill" habit where the group is repeated in every cell;
* unit lines (``单位：元、㎡``), notes (``注：…``) and units in the headings;
* house and building lists with a head-of-household (户主) column, which are still house
  lists; enterprise lists with 法定代表人 and phone columns;
* other provinces' wording (乡（镇）, 行政村, 自然村（村民小组）, 镇（街）, 村（居）, 屯);
* exports: a questionnaire export (问卷星 / 金山表单 numbered questions), a WPS export
  with an unmerged A1 title, a hidden ``WpsReserved_CellImgList`` sheet and trailing
  formatted empty rows;
* an instruction sheet and a code-list sheet around the form's sheet.

Run through ``python -m tests.forms.make_forms``, which writes them beside the other
development forms and adds their truth to ``truth.json``. None of them copies a held-out
form: the held-out set is never opened while tuning.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

from tests.forms.fake import Fake, id_check
from tests.forms.grid import Grid, Node, depth, heading, leaves, write_ods, write_xls, write_xlsx


class Province(Fake):
    """People of another county: its GB/T 2260 code and its place names."""

    def __init__(self, seed: int, code: str, county: str, places: list[tuple[str, str]]):
        super().__init__(seed)
        self.code, self.county, self.places = code, county, places

    def id_number(self, birth: dt.date, gender: str) -> str:
        seq = self.r.randint(1, 499) * 2 - (1 if gender == "男" else 0)
        body = f"{self.code}{birth:%Y%m%d}{seq:03d}"
        return body + id_check(body)

    def place(self) -> tuple[str, str]:
        return self.r.choice(self.places)

    def address(self, town: str | None = None, village: str | None = None) -> str:
        if town is None or village is None:
            town, village = self.place()
        return f"{self.county}{town}{village}{self.r.randint(1, 9)}组{self.r.randint(1, 60)}号"


@dataclass
class StyleForm:
    """One form: its heading tree, how the heading is typed, the rows around it, the truth."""

    file: str
    department: str
    title: str | None
    columns: list[Node]
    truth: list[str]
    rows: list[list[object]]
    entity: str
    typed: str = "merged"  # merged / top / bottom / fill — how a multi-row heading is typed
    filter: dict | None = None
    frequency: str | None = None
    above: list[list[tuple[int, object]]] = field(default_factory=list)  # rows before title
    below_title: list[list[tuple[int, object]]] = field(default_factory=list)  # unit/notes
    numbering: bool = False
    units: list[str | None] | None = None  # a row of units under the headings (heading)
    footer: list[str] = field(default_factory=lambda: ["填表人：　　　　审核人：　　　　日期："])
    sheet: str = "Sheet1"
    before_sheets: dict[str, list[list[object]]] = field(default_factory=dict)
    after_sheets: dict[str, list[list[object]]] = field(default_factory=dict)
    title_merged: bool = True
    wps: bool = False  # WPS export habits (see ``write_wps``)


def layout(form: StyleForm) -> tuple[Grid, list[int]]:
    g = Grid()
    n = len(leaves(form.columns))
    r = 0
    for row in form.above:
        g.put_at(r, row)
        r += 1
    if form.title is not None:
        if form.title_merged:
            g.merge(r, 0, r, n - 1, form.title)
        else:
            g.put(r, 0, form.title)
        r += 1
    for row in form.below_title:
        g.put_at(r, row)
        r += 1
    d = depth(form.columns)
    h0 = r
    heading(g, form.columns, r, 0, r + d - 1, form.typed)
    r += d
    if form.units:
        r = g.put_rows(r, [form.units])
        d += 1
    if form.numbering:
        r = g.put_rows(r, [range(1, n + 1)])
    r = g.put_rows(r, form.rows)
    g.put_rows(r + 1, ([line] for line in form.footer))
    return g, list(range(h0 + 1, h0 + d + 1))


def write_wps(path: Path, sheets: dict[str, Grid], n_cols: int) -> None:
    """An XLSX as WPS 表格 saves it: formatted empty rows below the table, IDs as text,
    and the hidden ``WpsReserved_CellImgList`` sheet WPS adds for pictures in cells."""
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": dt.datetime(2024, 10, 8, 9, 0, 0), "author": "WPS"})
    cell = wb.add_format({"border": 1, "font_name": "宋体", "font_size": 11})
    date = wb.add_format({"border": 1, "num_format": "yyyy/m/d"})
    for name, g in sheets.items():
        ws = wb.add_worksheet(name)
        last = max(r for r, _ in g.cells)
        for (r, c), v in sorted(g.cells.items()):
            if isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), date)
            elif isinstance(v, str):
                ws.write_string(r, c, v, cell)
            else:
                ws.write(r, c, v, cell)
        for r in range(last + 1, last + 200):  # formatted but empty
            for c in range(n_cols):
                ws.write_blank(r, c, None, cell)
    hidden = wb.add_worksheet("WpsReserved_CellImgList")
    hidden.hide()
    wb.close()


def write(form: StyleForm, folder: Path) -> dict[str, object]:
    """Write one form into ``folder``; return its truth entry."""
    from onesheet.domain.template_spec import column_letter

    assert len(form.truth) == len(leaves(form.columns)), form.file
    assert all(len(row) == len(form.truth) for row in form.rows), form.file
    g, header_rows = layout(form)
    sheets: dict[str, Grid] = {}
    for name, rows in form.before_sheets.items():
        sheets[name] = Grid.from_rows(rows)
    sheets[form.sheet] = g
    for name, rows in form.after_sheets.items():
        sheets[name] = Grid.from_rows(rows)
    path = folder / form.file
    ext = form.file.rsplit(".", 1)[1]
    if form.wps:
        write_wps(path, sheets, len(form.truth))
    else:
        {"xlsx": write_xlsx, "xls": write_xls, "ods": write_ods}[ext](path, sheets)
    entry: dict[str, object] = {
        "department": form.department,
        "title": form.title,
        "entity": form.entity,
        "kind": "aggregate" if form.entity == "aggregate" else "roster",
        "header_rows": header_rows,
        "filter": form.filter,
        "columns": {column_letter(i): t for i, t in enumerate(form.truth)},
    }
    if form.before_sheets or form.after_sheets:
        entry["sheet"] = form.sheet
    if form.frequency is not None:
        entry["frequency"] = form.frequency
    return entry


# --------------------------------------------------------------------------- the forms

JX = Province(
    7301,
    "360733",
    "会昌县",
    [("文武坝镇", "城南村"), ("筠门岭镇", "羊角村"), ("西江镇", "石门村"), ("周田镇", "上营村")],
)
YN = Province(
    7302,
    "532328",
    "元谋县",
    [("元马镇", "能禹村"), ("黄瓜园镇", "苴林村"), ("羊街镇", "大村"), ("老城乡", "丙月村")],
)
HN = Province(
    7303,
    "431228",
    "芷江侗族自治县",
    [("芷江镇", "东门村"), ("罗旧镇", "马头村"), ("新店坪镇", "竹坪村")],
)
GD = Province(
    7304,
    "441481",
    "兴宁市",
    [("宁新街道", "大新村"), ("水口镇", "水口村"), ("罗岗镇", "罗岗村"), ("合水镇", "合水村")],
)
SC = Province(
    7305,
    "511129",
    "沐川县",
    [("沐溪镇", "先锋村"), ("舟坝镇", "舟坝村"), ("黄丹镇", "黄丹社区")],
)
SD = Province(
    7306,
    "371424",
    "临邑县",
    [("临邑镇", "南关社区"), ("临盘街道", "盘河村"), ("德平镇", "德平村")],
)
JL = Province(
    7307,
    "220724",
    "扶余市",
    [("三岔河镇", "前进屯"), ("长春岭镇", "东兴屯"), ("五家站镇", "太平屯")],
)
FJ = Province(
    7308,
    "350723",
    "光泽县",
    [("杭川镇", "北门村"), ("寨里镇", "寨里村"), ("止马镇", "止马村")],
)
GZ = Province(
    7309,
    "520425",
    "紫云苗族布依族自治县",
    [("松山街道", "新场村"), ("猫营镇", "猫营村"), ("板当镇", "板当村")],
)


def gaoling_ods() -> StyleForm:
    """江西: 80 岁以上高龄津贴, ``.ods``, two heading rows typed without merges; the
    ungrouped headings sit on the top row, the group 发放账户 once over its two columns."""
    p = JX
    rows = []
    for i in range(9):
        g, b = p.gender(), p.birth(80, 99)
        rows.append([
            i + 1, p.name(g), g, p.id_number(b, g), f"{b:%Y.%m}", p.address(),
            p.choice([100, 200, 300]), p.choice(["会昌农商银行", "邮储银行"]),
            f"6230{p.digits(15)}", p.mobile(), None,
        ])  # fmt: skip
    return StyleForm(
        file="jiangxi_gaoling.ods",
        department="民政",
        title="会昌县80周岁以上老年人高龄津贴发放花名册",
        columns=[
            "序号",
            "姓名",
            "性别",
            "身份证号码",
            "出生年月",
            "户籍地址",
            "津贴标准（元/月）",
            ("发放账户", ["开户银行", "银行账号"]),
            "联系电话",
            "备注",
        ],
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.id_number",
            "person.birth_date",
            "person.registered_address",
            "new:elderly_allowance",
            "person.bank_name",
            "person.bank_account",
            "person.phone",
            "layout",
        ],
        rows=rows,
        entity="person",
        typed="top",
        filter={"field": "person.birth_date", "op": "age_ge", "value": 80},
        below_title=[[(0, "乡镇（盖章）："), (5, "发放月份：2024年10月")]],
        frequency="monthly",
    )


def canji_xls() -> StyleForm:
    """云南: 困难残疾人生活补贴, ``.xls``; two heading rows without merges, ungrouped
    headings typed on the *bottom* row, a numbering row under the headings."""
    p = YN
    rows = []
    for i in range(8):
        g, b = p.gender(), p.birth(6, 80)
        idn = p.id_number(b, g)
        rows.append([
            i + 1, p.name(g), idn, idn + p.choice(["11", "21", "44"]),
            p.choice(["肢体", "视力", "听力", "精神"]), p.choice(["三级", "四级"]),
            p.name(), p.mobile(), p.choice([60, 80]), None,
        ])  # fmt: skip
    return StyleForm(
        file="yunnan_canji.xls",
        department="残联",
        title="困难残疾人生活补贴对象名册",
        columns=[
            "序号",
            "姓名",
            "身份证号",
            ("残疾人证", ["证号", "类别", "等级"]),
            ("监护人", ["姓名", "电话"]),
            "补贴标准（元/月）",
            "备注",
        ],
        truth=[
            "layout",
            "person.name",
            "person.id_number",
            "person.disability_cert_no",
            "person.disability_category",
            "person.disability_grade",
            "new:guardian_name",
            "new:guardian_phone",
            "new:disability_living_allowance",
            "layout",
        ],
        rows=rows,
        entity="person",
        typed="bottom",
        numbering=True,
        filter={"field": "person.is_disabled", "op": "eq", "value": "1"},
        below_title=[[(0, "填报单位：元谋县残疾人联合会"), (7, "单位：元")]],
    )


def tuiyi_three_rows() -> StyleForm:
    """湖南: 退役军人信息采集, three heading rows typed without merges (groups once)."""
    p = HN
    rows = []
    for i in range(7):
        b = p.birth(25, 70)
        rows.append([
            i + 1, p.name("男"), p.id_number(b, "男"), p.choice(["汉族", "侗族", "苗族"]),
            p.mobile(), f"{b.year + 18}.09", p.choice(["湖南", "广州", "昆明"]),
            f"{b.year + 22}.12", p.choice(["自主就业", "安排工作", "退休"]), p.address(), None,
        ])  # fmt: skip
    return StyleForm(
        file="hunan_tuiyi.xlsx",
        department="退役军人事务",
        title="退役军人信息采集表",
        columns=[
            "序号",
            ("基本信息", ["姓名", "身份证号", "民族", "联系电话"]),
            ("服役情况", [("入伍", ["时间", "地点"]), ("退役", ["时间", "安置方式"])]),
            "现居住地址",
            "备注",
        ],
        truth=[
            "layout",
            "person.name",
            "person.id_number",
            "person.ethnicity",
            "person.phone",
            "new:enlistment_date",
            "new:enlistment_place",
            "new:discharge_date",
            "new:placement_method",
            "person.current_address",
            "layout",
        ],
        rows=rows,
        entity="person",
        typed="top",
        filter={"field": "person.is_veteran", "op": "eq", "value": "1"},
        below_title=[[(0, "乡镇（街道）：　　　　"), (5, "村（社区）："), (8, "填报时间：")]],
    )


def weifang_house() -> StyleForm:
    """贵州: 农村危房改造对象台账 — a house list whose first columns are the household head;
    unit line 单位：元、㎡、人 and a note line above the headings."""
    p = GZ
    rows = []
    for i in range(10):
        g, b = p.gender(), p.birth(35, 85)
        town, village = p.place()
        rows.append([
            i + 1, town, village, p.name(g), p.id_number(b, g), p.r.randint(1, 7),
            p.choice(["土木", "砖木", "石木", "砖混"]), p.r.randint(1960, 2005),
            p.r.randint(1, 3), round(p.r.uniform(40, 180), 1), p.choice(["C级", "D级"]),
            p.choice(["加固", "拆除重建", "置换"]), p.choice([15000, 20000, 30000]), p.mobile(),
        ])  # fmt: skip
    return StyleForm(
        file="guizhou_weifang.xlsx",
        department="住房和城乡建设",
        title="2024年农村危房改造对象台账",
        columns=[
            "序号",
            "乡（镇）",
            "村",
            "户主姓名",
            "户主身份证号",
            "家庭人口（人）",
            "房屋结构",
            "建房年代",
            "层数",
            "建筑面积（㎡）",
            "危房等级",
            "改造方式",
            "补助资金（元）",
            "户主联系电话",
        ],
        truth=[
            "layout",
            "house.town",
            "house.village",
            "house.owner_name",
            "house.owner_id_number",
            "household.size",
            "house.structure",
            "house.year_built",
            "house.floors",
            "house.area",
            "house.safety_grade",
            "new:renovation_method",
            "new:renovation_subsidy",
            "house.owner_phone",
        ],
        rows=rows,
        entity="house",
        filter={"field": "house.is_dilapidated", "op": "eq", "value": "1"},
        below_title=[
            [(0, "注：本表由乡镇住建站填报，鉴定为C级、D级的危房均应列入。")],
            [(0, "填报单位（盖章）："), (12, "单位：元、㎡、人")],
        ],
    )


def anquan_house() -> StyleForm:
    """广东: 自建房安全排查 — 户主 details under a 户主信息 group (merged), then the house."""
    p = GD
    rows = []
    for i in range(9):
        g, b = p.gender(), p.birth(30, 80)
        rows.append([
            i + 1, p.place()[0], p.name(g), p.id_number(b, g), p.mobile(), p.address(),
            p.r.randint(1, 6), p.choice(["砖混", "框架", "砖木"]),
            p.choice(["自住", "出租", "经营"]), p.choice(["是", "否"]),
            p.choice(["A级", "B级", "C级"]), p.name(),
        ])  # fmt: skip
    return StyleForm(
        file="guangdong_zijianfang.xlsx",
        department="住建",
        title="兴宁市农村自建房安全排查登记表",
        columns=[
            "序号",
            "镇（街）",
            ("户主信息", ["姓名", "身份证号", "联系电话"]),
            ("房屋情况", ["房屋地址", "层数", "结构类型", "用途", "是否经营性自建房", "初判等级"]),
            "排查人",
        ],
        truth=[
            "layout",
            "house.town",
            "house.owner_name",
            "house.owner_id_number",
            "house.owner_phone",
            "house.address",
            "house.floors",
            "house.structure",
            "house.usage",
            "new:is_business_self_built",
            "house.safety_grade",
            "new:inspector_name",
        ],
        rows=rows,
        entity="house",
        below_title=[[(0, "镇（街）名称：　　　　"), (7, "排查日期：　　年　月　日")]],
    )


def qiye_safety() -> StyleForm:
    """四川: 工贸企业安全生产基本情况 — 法定代表人 and its phone, a 联系人 and its phone."""
    p = SC
    rows = []
    for i in range(8):
        g = p.gender()
        rows.append([
            i + 1, p.choice(["沐川县竹业有限公司", "沐川县茶叶加工厂", "沐川县建材有限公司",
                             "四川沐源食品有限公司"]) + str(i),
            p.uscc(), p.name(g), p.mobile(), p.name(), p.mobile(), p.address(),
            p.r.randint(5, 300), p.choice(["制造业", "批发和零售业", "建筑业"]),
            p.choice(["是", "否"]),
        ])  # fmt: skip
    return StyleForm(
        file="sichuan_qiye.xlsx",
        department="应急管理",
        title="工贸企业安全生产基本情况统计表",
        columns=[
            "序号",
            "企业名称",
            "统一社会信用代码",
            "法定代表人",
            "联系电话",
            "安全管理联系人",
            "联系人手机",
            "企业地址",
            "从业人员（人）",
            "行业类别",
            "是否规上企业",
        ],
        truth=[
            "layout",
            "enterprise.name",
            "enterprise.uscc",
            "enterprise.legal_rep",
            "enterprise.legal_rep_phone",
            "enterprise.contact_name",
            "enterprise.contact_phone",
            "enterprise.address",
            "enterprise.employees",
            "enterprise.industry",
            "enterprise.is_above_scale",
        ],
        rows=rows,
        entity="enterprise",
        below_title=[[(0, "填报单位（盖章）："), (8, "填报日期：")]],
        footer=["注：本表每季度末报送一次。", "填表人：　　　　联系电话："],
    )


def getihu_xls() -> StyleForm:
    """山东: 个体工商户, ``.xls``, 经营者 wording instead of 法定代表人."""
    p = SD
    rows = []
    for i in range(8):
        g, b = p.gender(), p.birth(25, 65)
        rows.append([
            i + 1, p.choice(["临邑县鑫源超市", "临邑县老张面馆", "临邑县兴旺五金店",
                             "临邑县惠民药房"]) + f"{i}号店",
            p.uscc(), p.name(g), p.id_number(b, g), p.mobile(), p.address(),
            p.choice(["日用百货零售", "餐饮服务", "五金销售"]), p.recent(10),
        ])  # fmt: skip
    return StyleForm(
        file="shandong_getihu.xls",
        department="市场监督管理",
        title="个体工商户基本信息登记表",
        columns=[
            "序号",
            "字号名称",
            "统一社会信用代码",
            "经营者姓名",
            "经营者身份证号",
            "经营者联系电话",
            "经营场所",
            "经营范围",
            "注册日期",
        ],
        truth=[
            "layout",
            "enterprise.name",
            "enterprise.uscc",
            "enterprise.legal_rep",
            "enterprise.legal_rep_id_number",
            "enterprise.legal_rep_phone",
            "enterprise.address",
            "enterprise.business_scope",
            "enterprise.established_date",
        ],
        rows=rows,
        entity="enterprise",
        below_title=[[(0, "所属市场监管所："), (6, "统计截至：2024年9月30日")]],
    )


def questionnaire() -> StyleForm:
    """An online questionnaire's export (问卷星 / 金山表单): numbered questions as headings,
    answer metadata first, no title."""
    p = FJ
    rows = []
    for i in range(12):
        g, b = p.gender(), p.birth(18, 80)
        rows.append([
            i + 1, f"2024/10/{p.r.randint(1, 28)} 10:{p.r.randint(10, 59)}:00",
            f"{p.r.randint(30, 400)}秒", p.choice(["微信", "手机提交"]),
            f"117.{p.r.randint(1, 254)}.{p.r.randint(1, 254)}.{p.r.randint(1, 254)}(福建-南平)",
            p.name(g), g, p.id_number(b, g), p.mobile(), p.place()[1],
            p.choice(["是", "否"]), p.choice(["健康", "一般", "较差"]),
        ])  # fmt: skip
    return StyleForm(
        file="问卷星_居民健康情况调查.xlsx",
        department="卫健",
        title=None,
        columns=[
            "序号",
            "提交答卷时间",
            "所用时间",
            "来源",
            "来源IP",
            "1、您的姓名：",
            "2、您的性别：",
            "3、您的身份证号码：",
            "4、您的手机号码：",
            "5、您所在的村（社区）：",
            "6、您是否签约了家庭医生？",
            "7、您目前的健康状况：",
        ],
        truth=[
            "layout",
            "new:submit_time",
            "new:time_used",
            "new:answer_channel",
            "new:ip_address",
            "person.name",
            "person.gender",
            "person.id_number",
            "person.phone",
            "person.village",
            "person.family_doctor_signed",
            "person.health_status",
        ],
        rows=rows,
        entity="person",
        footer=[],
    )


def wps_export() -> StyleForm:
    """A WPS 表格 export: the title typed in A1 without merging, headings on row 2."""
    p = JL
    rows = []
    for _ in range(11):
        g, b = p.gender(), p.birth(40, 90)
        rows.append([
            p.name(g), g, 2024 - b.year, p.id_number(b, g), p.mobile(), p.place()[1],
            p.name(), p.recent(2), p.choice(["高血压", "糖尿病", "高血压、糖尿病", "无"]),
            p.choice(["是", "否"]),
        ])  # fmt: skip
    return StyleForm(
        file="jilin_qianyue_wps.xlsx",
        department="卫生健康局",
        title="2024年家庭医生签约服务居民名单（扶余市）",
        title_merged=False,
        columns=[
            "姓名",
            "性别",
            "年龄",
            "身份证号",
            "手机号",
            "所属村",
            "签约医生",
            "签约日期",
            "慢病类型",
            "是否高血压",
        ],
        truth=[
            "person.name",
            "person.gender",
            "person.age",
            "person.id_number",
            "person.phone",
            "person.village",
            "new:contracted_doctor",
            "new:contract_date",
            "person.chronic_disease",
            "person.has_hypertension",
        ],
        rows=rows,
        entity="person",
        wps=True,
        footer=[],
    )


def with_instructions() -> StyleForm:
    """湖南: 就业援助对象 — sheet 填表说明 first, the form second, a code list last."""
    p = HN
    rows = []
    for i in range(9):
        g, b = p.gender(), p.birth(20, 58)
        rows.append([
            i + 1, p.name(g), g, p.id_number(b, g), p.choice(["初中", "高中", "大专"]),
            p.choice(["失业", "灵活就业", "未就业"]), p.recent(3), p.mobile(), p.address(),
            p.choice(["公益性岗位", "职业培训", "岗位推荐"]),
        ])  # fmt: skip
    instructions = [
        ["填表说明"],
        ["一、本表由村（社区）劳动保障协理员填写，每月5日前报乡镇（街道）人社服务站。"],
        ["二、身份证号码须为18位，末位为X的请用大写；出生年月由系统自动生成，无需填写。"],
        ["三、文化程度、就业状况请按“代码表”工作表中的选项填写，不得自行编写。"],
        ["四、援助措施可填写多项，用顿号隔开。"],
    ]
    codes = [
        ["文化程度", "就业状况", "援助措施"],
        ["小学", "失业", "岗位推荐"],
        ["初中", "灵活就业", "职业培训"],
        ["高中", "未就业", "公益性岗位"],
        ["大专", None, "创业扶持"],
        ["本科及以上", None, None],
    ]
    return StyleForm(
        file="hunan_jiuye_yuanzhu.xlsx",
        department="人社",
        title="就业援助对象实名登记表",
        columns=[
            "序号",
            "姓名",
            "性别",
            "身份证号码",
            "文化程度",
            "就业状况",
            "失业登记时间",
            "联系电话",
            "家庭住址",
            "援助措施",
        ],
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.id_number",
            "person.education",
            "person.employment_status",
            "new:unemployment_registration_date",
            "person.phone",
            "person.current_address",
            "new:employment_assistance",
        ],
        rows=rows,
        entity="person",
        sheet="登记表",
        before_sheets={"填表说明": instructions},
        after_sheets={"代码表": codes},
        below_title=[[(0, "村（社区）："), (6, "填报月份：")]],
        frequency="monthly",
    )


def jiance_household() -> StyleForm:
    """云南: 防止返贫监测户 — a household list worded the way south-western provinces
    word their places: 乡（镇）, 行政村, 自然村（村民小组）, 户编号."""
    p = YN
    rows = []
    for i in range(9):
        g, b = p.gender(), p.birth(30, 75)
        town, village = p.place()
        rows.append([
            i + 1, town, village, p.choice(["上村", "下村", "新村"]) + "组",
            f"5323281{p.digits(11)}", p.name(g), p.id_number(b, g), p.r.randint(1, 7),
            p.choice(["脱贫不稳定户", "边缘易致贫户", "突发严重困难户"]),
            p.choice(["因病", "因学", "因灾"]), p.recent(2), p.choice(["是", "否"]),
        ])  # fmt: skip
    return StyleForm(
        file="yunnan_jiance.xlsx",
        department="乡村振兴",
        title="防止返贫监测对象信息台账",
        columns=[
            "序号",
            "乡（镇）",
            "行政村",
            "自然村（村民小组）",
            "户编号",
            "户主姓名",
            "证件号码",
            "家庭人口数",
            "监测对象类别",
            "主要风险",
            "识别时间",
            "是否消除风险",
        ],
        truth=[
            "layout",
            "household.town",
            "household.village",
            "household.village_group",
            "household.household_no",
            "household.head_name",
            "household.head_id_number",
            "household.size",
            "household.monitoring_type",
            "new:risk_type",
            "new:monitoring_start_date",
            "new:risk_eliminated",
        ],
        rows=rows,
        entity="household",
        filter={"field": "household.is_monitored", "op": "eq", "value": "1"},
    )


def yibao_fill() -> StyleForm:
    """福建: 城乡居民医保参保 — an XLSX whose two heading rows were "unmerged and filled":
    the group repeated in every cell above its columns, single headings repeated below."""
    p = FJ
    rows = []
    for i in range(10):
        g, b = p.gender(), p.birth(1, 90)
        rows.append([
            i + 1, p.name(g), p.id_number(b, g), p.choice(["是", "否"]),
            p.choice(["一档", "二档"]), p.choice([380, 0]),
            p.choice([0, 190, 380]), p.mobile(),
        ])  # fmt: skip
    return StyleForm(
        file="fujian_yibao.xlsx",
        department="医疗保障",
        title="2025年度城乡居民基本医疗保险参保登记表",
        columns=[
            "序号",
            "姓名",
            "身份证号",
            ("参保情况", ["是否参保", "参保档次"]),
            ("缴费（元）", ["个人缴费", "政府资助"]),
            "联系电话",
        ],
        truth=[
            "layout",
            "person.name",
            "person.id_number",
            "new:is_insured",
            "new:contribution_tier",
            "new:contribution_amount",
            "new:government_subsidy",
            "person.phone",
        ],
        rows=rows,
        entity="person",
        typed="fill",
        below_title=[[(0, "村（居）：　　　　"), (5, "填报日期：")]],
        frequency="yearly",
    )


def liushou_lone_group() -> StyleForm:
    """内蒙古: 留守儿童 — a cover sheet first; headings on the bottom row without merges and
    one group label (监护人) typed once above its three columns."""
    p = Province(7310, "150221", "土默特右旗", [("萨拉齐镇", "东老藏营村"), ("双龙镇", "沟门村")])
    rows = []
    for i in range(8):
        g = p.gender()
        b = p.birth(6, 15)
        rows.append([
            i + 1, p.name(g), g, b, p.id_number(b, g), p.choice(["萨拉齐第一小学", "双龙中学"]),
            p.name(), p.choice(["祖父", "祖母", "外祖母"]), p.mobile(),
            p.choice(["包头市", "呼和浩特市", "鄂尔多斯市"]), None,
        ])  # fmt: skip
    cover = [["土默特右旗农村留守儿童信息台账"], [None], ["萨拉齐镇人民政府"], [None], ["2024年"]]
    return StyleForm(
        file="neimenggu_liushou.xlsx",
        department="民政",
        title="农村留守儿童信息登记表",
        columns=[
            "序号",
            "儿童姓名",
            "性别",
            "出生日期",
            "身份证号",
            "就读学校",
            ("监护人", ["姓名", "与儿童关系", "联系电话"]),
            "父母务工地",
            "备注",
        ],
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
        rows=rows,
        entity="person",
        typed="bottom",
        filter={"field": "person.is_left_behind", "op": "eq", "value": "1"},
        sheet="登记表",
        before_sheets={"封面": cover},
    )


def gengdi_units_row() -> StyleForm:
    """山西: 耕地地力保护补贴 — a household list with a row of units under the headings."""
    p = Province(7311, "140928", "五寨县", [("砚城镇", "城关村"), ("小河头镇", "小河头村")])
    rows = []
    for i in range(9):
        g = p.gender()
        b = p.birth(35, 80)
        area = round(p.r.uniform(3, 30), 1)
        rows.append([
            i + 1, p.name(g), p.id_number(b, g), area, 95.5, round(area * 95.5, 2),
            f"6230{p.digits(15)}",
        ])  # fmt: skip
    return StyleForm(
        file="shanxi_gengdi.xlsx",
        department="农业农村",
        title="2024年耕地地力保护补贴发放清册",
        columns=[
            "序号",
            "户主姓名",
            "身份证号码",
            "承包面积",
            "补贴标准",
            "补贴金额",
            "一卡通账号",
        ],
        units=[None, None, None, "亩", "元/亩", "元", None],
        truth=[
            "layout",
            "household.head_name",
            "household.head_id_number",
            "household.arable_land_area",
            "new:farmland_subsidy_rate",
            "new:farmland_subsidy_amount",
            "person.bank_account",
        ],
        rows=rows,
        entity="household",
        below_title=[[(0, "乡镇：　　　　村："), (5, "单位：亩、元")]],
    )


def style_forms() -> list[StyleForm]:
    random.seed(0)
    return [
        gaoling_ods(), canji_xls(), tuiyi_three_rows(), weifang_house(), anquan_house(),
        qiye_safety(), getihu_xls(), questionnaire(), wps_export(), with_instructions(),
        jiance_household(), yibao_fill(), liushou_lone_group(), gengdi_units_row(),
    ]  # fmt: skip
