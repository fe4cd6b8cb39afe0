"""Linkage preparation without a database: keys, normalisation, encodings, comparisons."""

from __future__ import annotations

import pytest

from onesheet.domain.findings import InvalidInput
from onesheet.linkage import model as lm
from onesheet.linkage.columns import letter, parse_overrides
from onesheet.linkage.keys import read_id
from onesheet.linkage.link import LinkConfig, decide
from onesheet.linkage.normalise import address_key, name_key, name_pinyin, phone_key
from onesheet.linkage.reading import decode, read_export
from onesheet.linkage.records import PersonRecord, prepare

GOOD = "330523199303078075"


def test_full_width_spaces_and_lower_x_normalise():
    assert read_id("３３０５２３１９９３０３０７８０７５").number == GOOD
    assert read_id(" 330523 19930307 8075 ").number == GOOD
    x = read_id("11010519491231002x")
    assert x.status == "valid" and x.number == "11010519491231002X"


def test_fifteen_digit_number_converts_with_computed_check_digit():
    r = read_id("330523930307807")
    assert r.status == "converted" and r.number == GOOD


@pytest.mark.parametrize(
    "typed", ["330523199303078074", "330523199303078705", "330523199303078175"]
)
def test_wrong_digit_or_swap_recovers_the_true_number_as_candidate(typed):
    r = read_id(typed)
    assert r.status == "broken" and GOOD in r.candidates
    assert len(r.candidates) < 40


def test_missing_id_is_missing():
    assert read_id("").status == "missing" and read_id(None).status == "missing"


def test_names_pinyin_phone_address():
    assert name_key(" 阿卜杜·热合曼 ") == "阿卜杜热合曼"
    assert name_pinyin("章三") == name_pinyin("张三") == "zhang san"
    assert phone_key("+86 139-0000-1111") == "13900001111"
    full = address_key("浙江省湖州市安吉县递铺街道阳光社区三组")
    assert full == address_key("递铺街道 阳光社区3组") == "递铺街道阳光社区3组"
    assert address_key("城东社区十二号") == "城东社区12号"


def test_prepared_record_columns():
    rec = prepare(PersonRecord(1, "章 三", None, "1990-01-02", "1", "139 0000 1111", "阳光社区1号"))
    assert rec["name_py"] == "zhang san" and rec["surname_py"] == "zhang"
    assert rec["birth_year"] == "1990" and rec["phone"] == "13900001111"
    assert rec["idn"] is None and rec["addr_chars"] == sorted(set("阳光社区1号"))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encoding_detection(encoding):
    text = "姓名,公民身份号码\n张三,330523199303078075\n"
    decoded, _ = decode(text.encode(encoding))
    assert decoded.lstrip("\ufeff") == text
    table = read_export(text.encode(encoding), "x.csv")
    assert table.headings == ["姓名", "公民身份号码"] and table.rows[0][0] == "张三"
    assert table.first_row == 2


def test_undecodable_file_is_refused_clearly():
    with pytest.raises(InvalidInput) as caught:
        decode(b"\xff\xfe\x00\x81\x30\xff", "bad.csv")
    assert "编码" in caught.value.message("zh")


def test_column_letters_and_overrides():
    assert [letter(i) for i in (0, 25, 26)] == ["A", "Z", "AA"]
    assert parse_overrides(["b=person.phone", "C=skip"]) == {"B": "person.phone", "C": "skip"}
    with pytest.raises(InvalidInput):
        parse_overrides(["person.phone"])


def test_thresholds_decide_link_review_new():
    cfg = LinkConfig(match_at=0.9, review_at=0.5, margin=0.2)
    pairs = [lm.Pair(1, 10, 0.99), lm.Pair(2, 20, 0.7), lm.Pair(3, 30, 0.95), lm.Pair(3, 31, 0.9)]
    out = decide(pairs, [1, 2, 3, 4], cfg)
    assert (out[1].method, out[1].entity_id) == ("model", 10)
    assert out[2].method == "review" and out[3].method == "review"  # no margin over 31
    assert out[4].method == "new"


def test_a_valid_key_beside_another_persons_name_is_left_to_the_model():
    from onesheet.linkage.link import LinkInput, _name_fits, link_people
    from onesheet.linkage.records import prepare_raw

    holder = PersonRecord(7, "王小明", GOOD)
    by_number = {GOOD: holder}
    for name, fits in (("王小明", True), ("汪小明", True), ("王晓明", True), ("李建国", False)):
        row = LinkInput(PersonRecord(1, name, GOOD), read_id(GOOD))
        assert _name_fits(row, by_number) is fits
    # exact ID matching alone (no model) keeps the key link whatever the name
    row = LinkInput(PersonRecord(1, "李建国", GOOD), read_id(GOOD))
    out = link_people([row], [holder], LinkConfig(use_model=False))
    assert (out[1].method, out[1].entity_id) == ("key", 7)
    raw = prepare_raw(PersonRecord(1, " 章三 ", "３３０５２３", "1990-01-02", "1", None, "省 号"))
    assert raw["name"] == " 章三 " and raw["idn"] == "３３０５２３" and raw["phone"] is None


def test_levels_no_random_pair_reached_get_a_small_u():
    model = {
        "comparisons": [{"comparison_levels": [{"is_null_level": True}, {"u_probability": None}]}]
    }
    lm._unseen_u(model, 1e5)
    assert model["comparisons"][0]["comparison_levels"][1]["u_probability"] == 1e-5
    assert "u_probability" not in model["comparisons"][0]["comparison_levels"][0]
