"""Person rosters of seven departments, each worded its own way.

Wordings vary on purpose — 身份证号码（18位）/公民身份号码/证件号码/身分证号 (a typo),
联系电话/手机号码/联系方式（手机）, 性别/男女, 出生年月/出生日期 — and so do layouts:
"附件2" above the title, headings starting on row 5 with a numbering row, line breaks and
spaces inside headings, a group heading typed without merging, household cells merged
down across members, other people's details (监护人, 紧急联系人) under group headings.
"""

from __future__ import annotations

from tests.forms.fake import Fake
from tests.forms.make_forms import FormDef

UNIT = "填报单位（盖章）：                      "
DATE = "填报日期：    年   月   日"


def dibao(f: Fake) -> FormDef:
    """民政: household columns merged down across the members of each household."""
    rows, sizes = [], []
    relations = ["本人", "配偶", "子", "女", "母亲"]
    for _ in range(6):
        town, village = "天荒坪镇", "余村"
        size = f.r.randint(1, 4)
        sizes.append(size)
        head_g = f.gender()
        head_b = f.birth(35, 80)
        head = (f.name(head_g), f.id_number(head_b, head_g))
        amount = f.choice([620, 785, 910, 1130])
        cert = f"AJ{f.digits(6)}"
        account = f"6228{f.digits(15)}"
        for i in range(size):
            g = head_g if i == 0 else f.gender()
            b = head_b if i == 0 else f.birth(3, 80)
            name = head[0] if i == 0 else f.name(g)
            idn = head[1] if i == 0 else f.id_number(b, g)
            first = i == 0
            rows.append([
                len(sizes) if first else None, head[0] if first else None,
                head[1] if first else None, size if first else None, amount if first else None,
                name, relations[i], g, idn, f.choice(["健康", "有慢性病", "残疾", "一般"]),
                cert if first else None, account if first else None,
                f.address(town, village) if first else None, None,
            ])  # fmt: skip
    return FormDef(
        file="minzheng_dibao.xlsx",
        department="civil_affairs",
        title="安吉县城乡居民最低生活保障对象花名册",
        columns=[
            "序号",
            ("户主信息", ["姓名", "身份证号码"]),
            "家庭人口（人）",
            "月保障金额（元）",
            ("家庭成员情况", ["成员姓名", "与户主关系", "性别", "公民身份号码", "健康状况"]),
            "低保证号",
            "惠民惠农一卡通账号",
            "家庭住址",
            "备注",
        ],
        rows=rows,
        truth=[
            "layout",
            "household.head_name",
            "household.head_id_number",
            "household.size",
            "household.dibao_amount",
            "person.name",
            "person.relationship_to_head",
            "person.gender",
            "person.id_number",
            "person.health_status",
            "household.dibao_cert_no",
            "person.bank_account",
            "person.current_address",
            "layout",
        ],
        entity="person",
        filter={"field": "person.is_dibao", "op": "eq", "value": "1"},
        unit_cells=[
            (0, "填报单位（盖章）：天荒坪镇余村村民委员会"),
            (9, "填报日期：2024年6月30日"),
        ],
        households=sizes,
        merge_cols=[0, 1, 2, 3, 4, 10, 11, 12],
        widths={0: 5, 1: 9, 2: 20, 8: 20, 11: 22, 12: 30},
    )


def disabled(f: Fake) -> FormDef:
    """残联: "附件2" preamble, 3 heading levels, 监护人 details under a group heading."""
    rows = []
    for i in range(12):
        g, b = f.gender(), f.birth(5, 85)
        rows.append([
            i + 1, " ".join(f.name(g)) if i % 5 == 0 else f.name(g), g, f.date_text(b, "dot"),
            f.id_number(b, g), f.choice(["肢体", "视力", "听力", "智力", "精神"]),
            f.choice(["一级", "二级", "三级", "四级"]), f"33052{f.digits(14)}",
            f.name(), f.mobile(), f.address(), f.choice(["是", "否"]), f.choice(["是", "否"]),
            None,
        ])  # fmt: skip
    return FormDef(
        file="canlian_disabled.xlsx",
        department="disabled_federation",
        title="残疾人基本情况统计表",
        preamble="附件2",
        columns=[
            "序号",
            "姓  名",
            "性别",
            "出生年月",
            "身份证号码（１８位）",
            ("残疾情况", ["残疾类别", "残疾等级", "残疾证编号"]),
            ("监护人", ["姓名", "电话"]),
            "户籍地址",
            ("享受补贴情况", [("两项补贴", ["困难残疾人生活补贴", "重度残疾人护理补贴"])]),
            "备注",
        ],
        rows=rows,
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.birth_date",
            "person.id_number",
            "person.disability_category",
            "person.disability_grade",
            "person.disability_cert_no",
            "new:guardian_name",
            "new:guardian_phone",
            "person.registered_address",
            "new:living_subsidy",
            "new:care_subsidy",
            "layout",
        ],
        entity="person",
        filter={"field": "person.is_disabled", "op": "eq", "value": "1"},
        unit_cells=[
            (0, "乡镇（街道）：梅溪镇"),
            (5, "村（社区）：荆湾村"),
            (9, "统计时间：2024年5月"),
        ],
        footer=["填表人：          审核人：          单位负责人：          联系电话："],
    )


def veterans(f: Fake) -> FormDef:
    """退役军人: subtitle, spacer row, headings on row 5, numbering row, full-width text."""
    rows = []
    for i in range(10):
        g = "男" if i % 6 else "女"
        b = f.birth(24, 80)
        enlist = b.replace(year=b.year + 18)
        rows.append([
            i + 1, f.name(g), g, f.choice(["汉族", "汉", "畲族"]), b, f.id_number(b, g),
            f.choice(["中共党员", "群众", "共青团员"]), f.date_text(enlist, "cn"),
            f.date_text(enlist.replace(year=enlist.year + f.r.randint(2, 16)), "cn"),
            f.choice(["退役士兵", "转业军官", "复员干部"]),
            f.choice(["自主就业", "安排工作", "退休"]),
            f.mobile(), f.mobile(), f.address(), None,
        ])  # fmt: skip
    return FormDef(
        file="tuiyi_veterans.xlsx",
        department="veterans_affairs",
        title="退役军人信息采集表",
        subtitle="（2024年度）",
        columns=[
            "序号",
            "姓名",
            "性别",
            "民族",
            "出生日期",
            "公民身份号码",
            "政治面貌",
            "入伍时间",
            "退役时间",
            "退役类别",
            "安置方式",
            "联系方式（手机）",
            "紧急联系人电话",
            "现居住地址",
            "备注",
        ],
        rows=rows,
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.ethnicity",
            "person.birth_date",
            "person.id_number",
            "person.political_status",
            "new:enlistment_date",
            "new:discharge_date",
            "person.military_service",
            "new:placement_method",
            "person.phone",
            "new:emergency_contact_phone",
            "person.current_address",
            "layout",
        ],
        entity="person",
        filter={"field": "person.is_veteran", "op": "eq", "value": "1"},
        unit_cells=[(0, "填报单位：递铺街道鲁家村"), (10, "填报时间：2024年6月")],
        spacer=1,
        numbering="arabic",
        footer=["制表人：            审核人：            联系电话："],
    )


def elderly(f: Fake) -> FormDef:
    """卫健: a group heading typed in one cell without merging; 紧急联系人 group."""
    rows = []
    for i in range(15):
        g, b = f.gender(), f.birth(65, 95)
        age = 2024 - b.year
        rows.append([
            i + 1, f.name(g), g, age, f.id_number(b, g), f.address(), f.choice(["是", "否"]),
            f.choice(["是", "否"]), f.choice(["无", "冠心病", "慢阻肺", ""]) or None,
            f.choice(["是", "否"]), f.recent(1), f.name(), f.mobile(), None,
        ])  # fmt: skip
    return FormDef(
        file="weijian_elderly.xlsx",
        department="health",
        title="65岁以上老年人健康管理登记表",
        columns=[
            "序号",
            ("基本信息", ["姓名", "男女", "年龄（岁）", "身份证号"]),
            "家庭住址",
            ("慢性病情况", ["高血压", "糖尿病", "其他慢性病"]),
            "是否签约\n家庭医生",
            "体检日期",
            ("紧急联系人", ["姓名", "手机号码"]),
            "本人签字",
        ],
        rows=rows,
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.age",
            "person.id_number",
            "person.current_address",
            "person.has_hypertension",
            "person.has_diabetes",
            "person.chronic_disease",
            "person.family_doctor_signed",
            "new:checkup_date",
            "new:emergency_contact_name",
            "new:emergency_contact_phone",
            "layout",
        ],
        entity="person",
        filter={"field": "person.birth_date", "op": "age_ge", "value": 65},
        unit_cells=[(0, UNIT), (9, DATE)],
        unmerged_groups=True,
    )


def employment(f: Fake) -> FormDef:
    """人社: one heading row with line breaks inside words and bracketed notes."""
    rows = []
    for i in range(14):
        g, b = f.gender(), f.birth(18, 59)
        status = f.choice(["外出务工", "本地务工", "失业", "务农"])
        rows.append([
            i + 1, f.name(g), g, f.id_number(b, g), f.choice(["初中", "高中", "大学专科", "小学"]),
            f.choice(["农业", "非农业"]), status,
            f.choice(["安吉县竹木制品厂", "浙江某某纺织有限公司", None]),
            f.choice(["杭州", "湖州", "本县", "上海"]),
            f.recent(3) if status == "失业" else None,
            f"3305232024{f.digits(6)}" if status == "失业" else None, f.mobile(), None,
        ])  # fmt: skip
    return FormDef(
        file="renshe_employment.xlsx",
        department="human_resources",
        title="就业失业登记花名册",
        columns=[
            "序号",
            "姓名",
            "性别",
            "身份证号\n码",
            "文化\n程度",
            "户口性质\n（农业/非农业）",
            "就业\n状态",
            "就业单位",
            "务工地点",
            "失业登记\n日期",
            "就业失业登记证号",
            "手机号码",
            "备注",
        ],
        rows=rows,
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.id_number",
            "person.education",
            "person.hukou_nature",
            "person.employment_status",
            "person.employer",
            "person.work_location",
            "new:unemployment_registration_date",
            "new:employment_registration_no",
            "person.phone",
            "layout",
        ],
        entity="person",
        unit_cells=[(0, "单位（盖章）：梅溪镇人力社保服务站"), (8, "日期：2024年6月")],
    )


def insurance(f: Fake) -> FormDef:
    """医保: 参保人姓名 / 证件号码 wording, a 参保信息 group of new concepts."""
    rows = []
    for i in range(16):
        g, b = f.gender(), f.birth(1, 90)
        rows.append([
            i + 1, f.name(g), f.id_number(b, g), g, f.date_text(b, "dash"),
            f.choice(["城乡居民医保", "职工医保"]), f.choice(["一档", "二档"]),
            f.choice([380, 400, 1200]), f.recent(1), f.mobile(), f.address(), None,
        ])  # fmt: skip
    return FormDef(
        file="yibao_insurance.xlsx",
        department="medical_insurance",
        title="城乡居民医疗保险参保缴费台账",
        columns=[
            "序号",
            "参保人姓名",
            "证件号码",
            "性别",
            "出生年月日",
            ("参保信息", ["医保类型", "缴费档次", "缴费金额（元）", "缴费日期"]),
            "联系电话",
            "户籍所在地",
            "备注",
        ],
        rows=rows,
        truth=[
            "layout",
            "person.name",
            "person.id_number",
            "person.gender",
            "person.birth_date",
            "person.medical_insurance_type",
            "new:contribution_tier",
            "new:contribution_amount",
            "new:payment_date",
            "person.phone",
            "person.registered_address",
            "layout",
        ],
        entity="person",
        unit_cells=[(0, "填表单位：天荒坪镇社会事务办"), (7, "填表日期：")],
        footer=["经办人：            审核人：            负责人："],
    )


def migrants(f: Fake) -> FormDef:
    """综治: 流动人口 with the landlord's details (not the person's own)."""
    rows = []
    for i in range(12):
        g, b = f.gender(), f.birth(18, 60)
        rows.append([
            i + 1, f.name(g), g,
            f.id_number(b, g).replace("330523", f.choice(["420683", "510321"])),
            f"湖北省枣阳市琚湾镇{f.r.randint(1, 30)}号", f.address(), f.recent(5),
            f.choice(["务工", "经商", "投靠亲友", "就学"]), f"R{f.digits(10)}",
            f.choice(["安吉县竹木制品厂", "个体", "浙江某某纺织有限公司"]), f.mobile(), f.name(),
            f.mobile(), None,
        ])  # fmt: skip
    return FormDef(
        file="zongzhi_migrants.xlsx",
        department="public_security",
        title="流动人口登记表",
        columns=[
            "序号",
            "姓名",
            "性别",
            "身份证号",
            "户籍地详址",
            "现住址",
            "来本地日期",
            "居住事由",
            "居住证号码",
            "工作单位",
            "联系电话",
            "房东姓名",
            "房东电话",
            "备注",
        ],
        rows=rows,
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.id_number",
            "person.registered_address",
            "person.current_address",
            "new:arrival_date",
            "new:residence_reason",
            "new:residence_permit_no",
            "person.employer",
            "person.phone",
            "new:landlord_name",
            "new:landlord_phone",
            "layout",
        ],
        entity="person",
        filter={"field": "person.resident_type", "op": "eq", "value": "2"},
        unit_cells=[(0, "网格：递铺街道阳光社区第3网格"), (9, "登记日期：2024年6月")],
    )


def people_forms() -> list[FormDef]:
    f = Fake(20240630)
    return [dibao(f), disabled(f), veterans(f), elderly(f), employment(f), insurance(f),
            migrants(f)]  # fmt: skip
