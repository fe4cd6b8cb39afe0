"""The packaged data dictionary: fields, code tables, departments and the loader's checks.

Other modules hard-code field keys and code values, and imported forms are matched through
the synonyms, so these tests pin the contract: the keys exist, every code field has a table,
every wording names one field per entity, and broken data files are refused loudly.
"""

from __future__ import annotations

import copy
import csv
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from onesheet.domain.codes import fold
from onesheet.domain.dictionary import ENTITY_TYPES, Dictionary, load_builtin
from onesheet.domain.dictionary_loading import (
    FIELD_TYPES,
    MASK_TYPES,
    data_dir,
    field_wordings,
    parse_code_table,
    parse_departments,
    parse_fields,
    read_code_tables,
    validate,
)
from onesheet.domain.values.problems import ValueProblem

SYNONYMS_CSV = Path(__file__).resolve().parents[1] / "data" / "field_synonyms.csv"

# Keys other code relies on (the brief's list); adding fields is fine, renaming is not.
CONTRACT_KEYS = {
    "person": (
        "name id_type id_number gender ethnicity birth_date age phone registered_address "
        "current_address native_place birthplace hukou_nature resident_type residence_status "
        "household relationship_to_head education political_status party_join_date "
        "marital_status religion health_status chronic_disease has_hypertension has_diabetes "
        "family_doctor_signed vaccination is_disabled disability_category disability_grade "
        "disability_cert_no is_veteran military_service is_dibao dibao_start_date is_tekun "
        "is_elderly_alone is_left_behind is_monitored is_lifted_from_poverty employment_status "
        "occupation employer work_location school retirement_date pension_type "
        "medical_insurance_type social_security_card_no bank_account bank_name email "
        "death_date village_group town village grid"
    ),
    "household": (
        "household_no type head head_name head_id_number size address phone is_dibao "
        "dibao_cert_no dibao_amount is_tekun is_lifted_from_poverty is_monitored "
        "monitoring_type annual_income per_capita_income house arable_land_area "
        "is_military_family village_group town village grid"
    ),
    "enterprise": (
        "name uscc legal_rep legal_rep_id_number address employees industry type "
        "established_date registered_capital business_scope contact_name contact_phone status "
        "annual_revenue is_above_scale safety_inspected town village"
    ),
    "house": (
        "address nature structure floors year_built area land_area safety_grade is_self_built "
        "usage is_rented owner_name owner_id_number property_cert_no is_dilapidated "
        "renovated_year town village"
    ),
}

NATIONAL_TABLES = {  # table → rows, as documented in the standards README
    "gb2261_1_gender": 4,
    "gb2261_2_marital": 8,
    "gb3304_ethnicity": 58,
    "gb4658_education": 40,
    "gb4761_relationship": 84,
    "gb4762_political": 13,
}

LOCAL_TABLES = (
    "id_type",
    "hukou_nature",
    "resident_type",
    "residence_status",
    "religion",
    "health_status",
    "vaccination",
    "disability_category",
    "disability_grade",
    "military_service",
    "employment_status",
    "pension_type",
    "medical_insurance_type",
    "household_type",
    "monitoring_type",
    "industry",
    "enterprise_type",
    "enterprise_status",
    "house_nature",
    "house_structure",
    "house_safety_grade",
    "house_usage",
)

DEPARTMENTS = (
    "public_security",
    "civil_affairs",
    "human_resources",
    "health",
    "disabled_federation",
    "veterans",
    "medical_security",
    "market_regulation",
    "housing",
    "education",
    "agriculture",
    "natural_resources",
    "organization",
    "statistics",
    "emergency",
    "ethnic_religious",
    "village",
)

# Concepts of field_synonyms.csv that are not named like our fields.
CONCEPT_TO_FIELD = {
    "org.town": "person.town",
    "org.village": "person.village",
    "org.grid": "person.grid",
    "org.group": "person.village_group",
    "org.grid_worker": "person.grid_worker",
}
# Wordings deliberately placed under another field than field_synonyms.csv says.
MOVED_WORDINGS = {("house.nature", "房屋用途"): "house.usage"}


@pytest.fixture(scope="module")
def dictionary() -> Dictionary:
    return load_builtin()


@pytest.fixture(scope="module")
def raw_fields() -> dict[str, Any]:
    return yaml.safe_load(data_dir().joinpath("fields.yaml").read_text(encoding="utf-8"))


def _synonym_rows() -> list[dict[str, str]]:
    with SYNONYMS_CSV.open(encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if not r["concept"].startswith(("form.", "common."))]


# ------------------------------------------------------------------------------------ fields


def test_load_builtin_is_cached(dictionary: Dictionary) -> None:
    assert load_builtin() is dictionary


def test_field_counts_cover_every_entity(dictionary: Dictionary) -> None:
    assert len(dictionary.fields) >= 100
    for entity in ENTITY_TYPES:
        assert len(dictionary.for_entity(entity)) >= 15, entity


@pytest.mark.parametrize("entity", sorted(CONTRACT_KEYS))
def test_contract_keys_exist(dictionary: Dictionary, entity: str) -> None:
    missing = [n for n in CONTRACT_KEYS[entity].split() if f"{entity}.{n}" not in dictionary.fields]
    assert not missing


def test_every_field_is_complete(dictionary: Dictionary) -> None:
    for f in dictionary.fields.values():
        assert f.key == f"{f.entity}.{f.name}"
        assert f.entity in ENTITY_TYPES
        assert f.label_zh.strip() and f.label_en.strip(), f.key
        assert f.description.strip(), f.key
        assert f.type in FIELD_TYPES, f.key
        assert f.sensitivity in ("general", "personal", "sensitive"), f.key
        assert f.authority in dictionary.departments, f.key
        if f.type == "code":
            assert f.code_table in dictionary.code_tables, f.key
        else:
            assert f.code_table is None, f.key
        if f.type == "ref":
            assert f.ref_entity in ENTITY_TYPES, f.key
        if f.mask:
            assert MASK_TYPES[f.mask] == f.type, f.key


def test_masked_and_sensitive_fields(dictionary: Dictionary) -> None:
    """Identity numbers, phones and accounts are masked; 敏感个人信息 is marked sensitive."""
    for f in dictionary.fields.values():
        if f.type in ("id_number", "phone"):
            assert f.mask == f.type, f.key
    for key in (
        "person.religion",
        "person.health_status",
        "person.chronic_disease",
        "person.vaccination",
        "person.is_disabled",
        "person.disability_category",
        "person.disability_grade",
        "person.is_dibao",
        "person.is_tekun",
        "person.bank_account",
        "person.social_security_card_no",
        "household.is_dibao",
    ):
        assert dictionary.field(key).sensitivity == "sensitive", key
    assert dictionary.field("person.bank_account").mask == "account"


def test_derived_fields_are_not_stored(dictionary: Dictionary) -> None:
    assert dictionary.field("person.age").derived_from == "person.birth_date"
    assert not dictionary.field("person.age").stored
    assert dictionary.field("household.head_name").derived_from == "household.head"
    for entity in ENTITY_TYPES:
        assert dictionary.field(f"{entity}.town").derived_from == "org.town"
        assert dictionary.field(f"{entity}.village").derived_from == "org.village"
    stored = dictionary.for_entity("person", stored_only=True)
    assert all(f.derived_from is None for f in stored)
    assert "person.name" in {f.key for f in stored}


def test_references(dictionary: Dictionary) -> None:
    assert dictionary.field("person.household").ref_entity == "household"
    assert dictionary.field("household.head").ref_entity == "person"
    assert dictionary.field("household.house").ref_entity == "house"


def test_synonyms_unique_per_entity(dictionary: Dictionary) -> None:
    for entity in ENTITY_TYPES:
        owner: dict[str, str] = {}
        for f in dictionary.for_entity(entity):
            for wording in field_wordings(f):
                other = owner.setdefault(fold(wording), f.key)
                assert other == f.key, f"{wording!r} under {other} and {f.key}"


def test_field_synonyms_csv_concepts_all_map_to_fields(dictionary: Dictionary) -> None:
    rows = _synonym_rows()
    assert len(rows) >= 60
    for row in rows:
        key = CONCEPT_TO_FIELD.get(row["concept"], row["concept"])
        assert key in dictionary.fields, row["concept"]
        f = dictionary.field(key)
        have = {fold(w) for w in field_wordings(f)}
        for wording in row["synonyms"].split("|"):
            moved = MOVED_WORDINGS.get((key, wording))
            target = dictionary.field(moved) if moved else f
            if moved:
                assert fold(wording) in {fold(w) for w in field_wordings(target)}
            else:
                assert fold(wording) in have, f"{wording!r} missing under {key}"


def test_org_wordings_apply_to_every_entity(dictionary: Dictionary) -> None:
    rows = {r["concept"]: r["synonyms"].split("|") for r in _synonym_rows()}
    for entity in ENTITY_TYPES:
        for level in ("town", "village"):
            have = set(field_wordings(dictionary.field(f"{entity}.{level}")))
            assert set(rows[f"org.{level}"]) <= have, (entity, level)
    group = field_wordings(dictionary.field("household.village_group"))
    assert set(rows["org.group"]) <= set(group)


# ------------------------------------------------------------------------------- code tables


def test_all_code_tables_present(dictionary: Dictionary) -> None:
    assert set(NATIONAL_TABLES) | set(LOCAL_TABLES) <= set(dictionary.code_tables)
    for key, rows in NATIONAL_TABLES.items():
        assert len(dictionary.code_table(key).entries) == rows, key
    for table in dictionary.code_tables.values():
        assert table.label_zh and table.source, table.key


@pytest.mark.parametrize("key", LOCAL_TABLES)
def test_local_table_header(key: str) -> None:
    first = data_dir().joinpath("codes", f"{key}.csv").read_text(encoding="utf-8").splitlines()[0]
    assert first == "code,name,short_name,aliases"


def test_every_wording_of_every_table_finds_its_code(dictionary: Dictionary) -> None:
    for table in dictionary.code_tables.values():
        for e in table.entries:
            for wording in (e.code, e.name, e.short_name, *e.aliases):
                if wording:
                    assert table.lookup(wording) == e.code, (table.key, wording)
            assert table.name_of(e.code) == e.display


@pytest.mark.parametrize(
    ("table", "raw", "code"),
    [
        ("gb2261_1_gender", "1", "1"),
        ("gb2261_1_gender", 1, "1"),
        ("gb2261_1_gender", 1.0, "1"),
        ("gb2261_1_gender", "男", "1"),
        ("gb2261_1_gender", "男性", "1"),
        ("gb2261_1_gender", "M", "1"),
        ("gb2261_1_gender", "女", "2"),
        ("gb3304_ethnicity", "汉", "01"),
        ("gb3304_ethnicity", "汉族", "01"),
        ("gb3304_ethnicity", "1", "01"),
        ("gb3304_ethnicity", "崩龙族", "46"),
        ("gb3304_ethnicity", "毛难族", "36"),
        ("gb3304_ethnicity", "其它", "97"),
        ("gb3304_ethnicity", "Tibetan", "04"),
        ("gb3304_ethnicity", "su", "25"),
        ("gb4658_education", "大专", "30"),
        ("gb4658_education", "本科", "20"),
        ("gb4658_education", "文盲", "90"),
        ("gb4658_education", "半文盲", "90"),
        ("gb4658_education", "高中", "60"),
        ("gb4658_education", "初中", "70"),
        ("gb4658_education", "小学", "80"),
        ("gb4658_education", "中专", "40"),
        ("gb4658_education", "初中毕业", "71"),
        ("gb4761_relationship", "户主", "02"),
        ("gb4761_relationship", "本人", "01"),
        ("gb4761_relationship", "妻", "12"),
        ("gb4761_relationship", "妻子", "12"),
        ("gb4761_relationship", "儿子", "20"),
        ("gb4761_relationship", "长子", "22"),
        ("gb4761_relationship", "次子", "23"),
        ("gb4761_relationship", "女儿", "30"),
        ("gb4761_relationship", "长女", "32"),
        ("gb4761_relationship", "父亲", "51"),
        ("gb4761_relationship", "母亲", "52"),
        ("gb4761_relationship", "孙子", "41"),
        ("gb4761_relationship", "孙女", "42"),
        ("gb4761_relationship", "儿媳", "38"),
        ("gb4761_relationship", "女婿", "28"),
        ("gb2261_2_marital", "已婚", "20"),
        ("gb2261_2_marital", "未婚", "10"),
        ("gb2261_2_marital", "离异", "40"),
        ("gb2261_2_marital", "丧偶", "30"),
        ("gb4762_political", "党员", "01"),
        ("gb4762_political", "中共党员", "01"),
        ("gb4762_political", "团员", "03"),
        ("gb4762_political", "群众", "13"),
        ("gb4762_political", "1", "01"),
        ("disability_category", "肢体", "4"),
        ("disability_category", "多重残疾", "7"),
        ("disability_grade", "二级", "2"),
        ("disability_grade", "Ⅲ级", "3"),
        ("industry", "c", "C"),
        ("industry", "批发和零售业", "F"),
        ("house_safety_grade", "D级危房", "D"),
        ("house_structure", "砖混", "2"),
        ("residence_status", "外出", "2"),
        ("residence_status", "死亡", "4"),
        ("hukou_nature", "农业", "1"),
        ("employment_status", "外出务工", "12"),
        ("medical_insurance_type", "新农合", "2"),
        ("enterprise_type", "个体户", "6"),
        ("monitoring_type", "边缘户", "2"),
    ],
)
def test_lookup(dictionary: Dictionary, table: str, raw: object, code: str) -> None:
    assert dictionary.code_table(table).lookup(raw) == code


def test_unknown_wording_is_a_value_problem(dictionary: Dictionary) -> None:
    with pytest.raises(ValueProblem):
        dictionary.code_table("gb2261_1_gender").lookup("男女")


# ------------------------------------------------------------------------------ departments


def test_departments(dictionary: Dictionary) -> None:
    assert set(DEPARTMENTS) <= set(dictionary.departments)
    for d in dictionary.departments.values():
        assert d.name_zh and d.name_en, d.key
    assert dictionary.departments["human_resources"].name_zh == "人力资源和社会保障局"
    assert "人社" in dictionary.departments["human_resources"].aliases
    assert "残联" in dictionary.departments["disabled_federation"].aliases


# --------------------------------------------------------------------- the loader's refusals


def _dictionary_without_fields(dictionary: Dictionary) -> Dictionary:
    return Dictionary(
        fields={}, code_tables=dictionary.code_tables, departments=dictionary.departments
    )


def _check(doc: dict[str, Any], dictionary: Dictionary) -> None:
    validate(parse_fields(doc), _dictionary_without_fields(dictionary))


def test_packaged_fields_validate(raw_fields: dict[str, Any], dictionary: Dictionary) -> None:
    _check(raw_fields, dictionary)


def _entry(doc: dict[str, Any], key: str) -> dict[str, Any]:
    return next(e for e in doc["fields"] if e["key"] == key)


@pytest.mark.parametrize(
    ("key", "change", "message"),
    [
        ("person.gender", {"code_table": "no_such_table"}, "person.gender: unknown code table"),
        ("person.phone", {"authority": "police"}, "person.phone: authority 'police'"),
        ("person.phone", {"entity": "citizen"}, "unknown entity 'citizen'"),
        ("person.phone", {"entity": "household"}, "does not start with its entity"),
        ("person.phone", {"type": "telephone"}, "unknown type 'telephone'"),
        ("person.phone", {"sensitivity": "secret"}, "unknown sensitivity"),
        ("person.phone", {"mask": "id_number"}, "does not fit type"),
        ("person.phone", {"colour": "red"}, "unknown attribute"),
        ("person.household", {"ref_entity": "village"}, "is not an entity type"),
        ("person.age", {"derived_from": "person.birthday"}, "derived_from 'person.birthday'"),
        ("person.email", {"synonyms": ["电话"]}, "wording '电话' is already used by person.phone"),
        ("person.email", {"synonyms": ["联系 电话"]}, "already used by person.phone"),
        ("person.email", {"label_zh": "姓名"}, "already used by person.name"),
    ],
)
def test_bad_field_is_refused(
    raw_fields: dict[str, Any], dictionary: Dictionary, key: str, change: dict, message: str
) -> None:
    doc = copy.deepcopy(raw_fields)
    _entry(doc, key).update(change)
    with pytest.raises(ValueError, match=re.escape(message)):
        _check(doc, dictionary)


def test_duplicate_key_is_refused(raw_fields: dict[str, Any], dictionary: Dictionary) -> None:
    doc = copy.deepcopy(raw_fields)
    doc["fields"].append(copy.deepcopy(_entry(doc, "person.name")))
    with pytest.raises(ValueError, match=re.escape("person.name: key appears twice")):
        _check(doc, dictionary)


def test_same_wording_under_two_entities_is_allowed(
    raw_fields: dict[str, Any], dictionary: Dictionary
) -> None:
    """户主电话 may name household.phone and, on a house form, the owner's phone."""
    doc = copy.deepcopy(raw_fields)
    _entry(doc, "house.owner_phone")["synonyms"].append("户主电话")
    _check(doc, dictionary)


def test_ambiguous_code_wording_is_refused() -> None:
    rows = [
        {"code": "1", "name": "是", "short_name": "", "aliases": "有"},
        {"code": "2", "name": "否", "short_name": "", "aliases": "有|无"},
    ]
    with pytest.raises(ValueError, match=re.escape("'有' would mean both code '1' and '2'")):
        parse_code_table("yes_no", "是否", rows)


def test_bad_code_tables_are_refused() -> None:
    with pytest.raises(ValueError, match="code '1' appears twice"):
        parse_code_table("t", "t", [{"code": "1", "name": "a"}, {"code": "1", "name": "b"}])
    with pytest.raises(ValueError, match="unknown parent"):
        parse_code_table("t", "t", [{"code": "1", "name": "a", "parent_code": "9"}])
    with pytest.raises(ValueError, match="unknown code"):
        parse_code_table("t", "t", [{"code": "1", "name": "a"}], extra_aliases={"2": ["b"]})


def test_code_table_files_and_index_agree(tmp_path: Path) -> None:
    codes = tmp_path / "codes"
    codes.mkdir()
    (codes / "tables.csv").write_text("table,label_zh,source\nyes_no,是否,local\n", "utf-8")
    (codes / "aliases.csv").write_text("table,code,alias\nyes_no,1,Y\n", "utf-8")
    (codes / "yes_no.csv").write_text("code,name,short_name,aliases\n1,是,,有\n0,否,,无\n", "utf-8")
    tables = read_code_tables(codes)  # type: ignore[arg-type]
    assert tables["yes_no"].lookup("y") == "1"
    (codes / "stray.csv").write_text("code,name\n1,a\n", "utf-8")
    with pytest.raises(ValueError, match="not listed"):
        read_code_tables(codes)  # type: ignore[arg-type]


def test_bad_departments_are_refused() -> None:
    with pytest.raises(ValueError, match="name_en is required"):
        parse_departments({"departments": [{"key": "x", "name_zh": "某局"}]})
    doubled = [
        {"key": "a", "name_zh": "甲局", "name_en": "A", "aliases": ["甲"]},
        {"key": "b", "name_zh": "乙局", "name_en": "B", "aliases": ["甲"]},
    ]
    with pytest.raises(ValueError, match="also names a"):
        parse_departments({"departments": doubled})


def test_departments_are_found_by_their_common_wordings():
    d = load_builtin()
    for wording in ("civil_affairs", "民政", "县民政局", d.departments["civil_affairs"].name_zh):
        assert d.department_key(wording) == "civil_affairs", wording
    assert d.department_key(" 公安 ") == "public_security"
    assert d.department_key("不存在的局") is None
