"""Development forms for issue 12: the cases a new user met on forms never seen before.

A roster of retired enterprise staff whose title says 企业; a school-entry survey (适龄儿童
入学摸底) that must select the right birth years; 育龄妇女 (women 15–49) as a monthly
report; a 重度残疾人 subsidy list where 与残疾人关系 and 重度残疾人 are not the household
relationship or the plain disability flag; and an export with no title at all whose file
name says 企业 while its columns list people. Frequencies come from 第四季度 / 月报 / 年度.
"""

from __future__ import annotations

import datetime as dt

from tests.forms.fake import Fake
from tests.forms.make_forms import FormDef

UNIT = "填报单位（盖章）："
DATE = "填报日期：    年   月   日"


def retirees(f: Fake) -> FormDef:
    rows = []
    for i in range(9):
        g, b = f.gender(), f.birth(55, 85)
        rows.append([
            i + 1, f.name(g), g, f.id_number(b, g),
            f.choice(["安吉县化肥厂", "安吉县竹制品厂", "县供销社"]),
            f"{b.year + 58}.{f.r.randint(1, 12):02d}", f.choice([2680, 3150, 3890]),
            f.address(), f.mobile(), f"6217{f.digits(15)}", None,
        ])  # fmt: skip
    return FormDef(
        file="renshe_retirees.xlsx",
        department="人力资源和社会保障",
        title="安吉县企业退休人员社会化管理服务花名册",
        subtitle="（2024年第四季度）",
        columns=[
            "序号",
            "姓  名",
            "性别",
            "身份证号码",
            "原工作单位",
            "退休时间",
            "养老金（元/月）",
            "现住地详址",
            "联系电话",
            "社保卡（一卡通）账号",
            "备注",
        ],
        rows=rows,
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.id_number",
            "person.employer",
            "person.retirement_date",
            "new:pension_amount",
            "person.current_address",
            "person.phone",
            "person.bank_account",
            "layout",
        ],
        entity="person",
        filter={"field": "person.employment_status", "op": "eq", "value": "60"},
        frequency="quarterly",
        unit_cells=[(0, UNIT), (7, DATE)],
    )


def school_entry(f: Fake) -> FormDef:
    rows = []
    for i in range(8):
        g = f.gender()
        b = dt.date(2018, 9, 1) + dt.timedelta(days=f.r.randint(0, 364))
        rows.append([
            i + 1, f.name(g), g, b, f.id_number(b, g), f.address(), f.name("男"), f.name("女"),
            f.mobile(), f.choice(["递铺小学", "天荒坪小学"]),
        ])  # fmt: skip
    return FormDef(
        file="jiaoyu_school_entry.xlsx",
        department="教育",
        title="2025年秋季适龄儿童入学摸底登记表",
        columns=[
            "序号",
            "儿童姓名",
            "性别",
            "出生日期",
            "身份证号",
            "户籍地址",
            "父亲姓名",
            "母亲姓名",
            "联系电话",
            "拟入学校",
        ],
        rows=rows,
        truth=[
            "layout",
            "person.name",
            "person.gender",
            "person.birth_date",
            "person.id_number",
            "person.registered_address",
            "new:father_name",
            "new:mother_name",
            "person.phone",
            "new:intended_school",
        ],
        entity="person",
        filter={
            "and": [
                {"field": "person.birth_date", "op": "ge", "value": "2018-09-01"},
                {"field": "person.birth_date", "op": "le", "value": "2019-08-31"},
            ]
        },
        unit_cells=[(0, "学区："), (6, "摸底时间：")],
    )


def women(f: Fake) -> FormDef:
    rows = []
    for i in range(8):
        b = f.birth(20, 48)
        rows.append([
            i + 1, f.name("女"), f.id_number(b, "女"), f.date_text(b, "dot"),
            f.choice(["已婚", "未婚"]), f.name("男"), f.choice([0, 1, 2]), f.mobile(), f.address(),
        ])  # fmt: skip
    return FormDef(
        file="weijian_women.xls",
        department="卫生健康",
        title="育龄妇女信息月报表",
        columns=[
            "序号",
            "姓名",
            "身份证号",
            "出生年月",
            "婚姻状况",
            "配偶姓名",
            "现有子女数",
            "联系电话",
            "现居住地址",
        ],
        rows=rows,
        truth=[
            "layout",
            "person.name",
            "person.id_number",
            "person.birth_date",
            "person.marital_status",
            "new:spouse_name",
            "new:children_count",
            "person.phone",
            "person.current_address",
        ],
        entity="person",
        filter={
            "and": [
                {"field": "person.gender", "op": "eq", "value": "2"},
                {"field": "person.birth_date", "op": "age_ge", "value": 15},
                {"field": "person.birth_date", "op": "age_lt", "value": 50},
            ]
        },
        frequency="monthly",
        unit_cells=[(0, "村（社区）："), (6, "报告月份：")],
    )


def severe(f: Fake) -> FormDef:
    rows = []
    for i in range(8):
        g, b = f.gender(), f.birth(5, 85)
        idn = f.id_number(b, g)
        rows.append([
            i + 1, f.name(g), idn, idn + f.choice(["11", "21", "42"]),
            f.choice(["肢体", "视力", "智力"]), f.choice(["一级", "二级"]), "是", f.name(),
            f.choice(["父亲", "母亲", "子女", "配偶"]), f.mobile(), f.choice([80, 100]),
        ])  # fmt: skip
    return FormDef(
        file="canlian_severe.xlsx",
        department="残联",
        title="重度残疾人护理补贴发放表（2025年度）",
        columns=[
            "序号",
            "姓名",
            "身份证号码",
            "残疾人证号",
            "残疾类别",
            "残疾等级",
            "重度残疾人",
            "监护人姓名",
            "与残疾人关系",
            "监护人电话",
            "补贴金额（元/月）",
        ],
        rows=rows,
        truth=[
            "layout",
            "person.name",
            "person.id_number",
            "person.disability_cert_no",
            "person.disability_category",
            "person.disability_grade",
            "new:is_severely_disabled",
            "new:guardian_name",
            "new:guardian_relationship",
            "new:guardian_phone",
            "new:subsidy_amount",
        ],
        entity="person",
        filter={"field": "person.is_disabled", "op": "eq", "value": "1"},
        frequency="yearly",
        unit_cells=[(0, UNIT), (7, DATE)],
    )


def export_without_title(f: Fake) -> FormDef:
    rows = []
    for _ in range(10):
        g, b = f.gender(), f.birth(20, 55)
        rows.append([
            f.name(g), g, f.id_number(b, g), f.mobile(), f.choice(["操作工", "质检员", "仓管"]),
            f.recent(8),
        ])  # fmt: skip
    return FormDef(
        file="企业员工信息导出.xlsx",
        department="人社局",
        title=None,
        columns=["姓名", "性别", "身份证号", "手机号码", "岗位", "入职日期"],
        rows=rows,
        truth=[
            "person.name",
            "person.gender",
            "person.id_number",
            "person.phone",
            "new:job_post",
            "new:hire_date",
        ],
        entity="person",
        footer=[],
    )


def issue12_forms() -> list[FormDef]:
    f = Fake(20241231)
    return [retirees(f), school_entry(f), women(f), severe(f), export_without_title(f)]
