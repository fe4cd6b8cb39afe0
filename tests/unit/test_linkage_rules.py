"""Linkage decisions without a database: no key, no new person; evidence; CSV quotes."""

from __future__ import annotations

from datetime import date

from onesheet.domain.values.idnumber import id_check_char, make_id_number
from onesheet.linkage import evidence
from onesheet.linkage.keys import read_id
from onesheet.linkage.link import LinkConfig, LinkInput, Outcome, _final, decide, link_people
from onesheet.linkage.model import Pair
from onesheet.linkage.reading import read_export
from onesheet.linkage.records import PersonRecord

A = make_id_number("330523", date(1980, 1, 2), 11)
B = make_id_number("330523", date(1975, 6, 7), 22)
ZHANG = PersonRecord(1, "张三", A, "1980-01-02", "1", "13900001111", "递铺街道阳光社区1组3号")
LI = PersonRecord(2, "李四", B, "1975-06-07", "1", None, "天荒坪镇大溪村2组")
SHEET = [ZHANG, LI]
NO_MODEL = LinkConfig(use_model=False)


def _row(uid: int, name: str, idn: object = None, **kw: object) -> LinkInput:
    key = read_id(idn)
    return LinkInput(PersonRecord(uid, name, key.number or key.text or None, **kw), key)  # type: ignore[arg-type]


def test_keyless_row_without_the_model_waits_never_new() -> None:
    out = link_people([_row(10, "王五")], SHEET, NO_MODEL)
    assert out[10].method == "review" and out[10].reason == "no_key"


def test_the_baselines_may_still_mint_keyless_people() -> None:
    out = link_people([_row(10, "王五")], SHEET, LinkConfig(use_model=False, keyless_new=True))
    assert out[10].method == "new"


def test_valid_unknown_number_is_new_and_a_known_one_links() -> None:
    fresh = make_id_number("330523", date(1999, 9, 9), 33)
    out = link_people([_row(10, "王五", fresh), _row(11, "张三", A)], SHEET, NO_MODEL)
    assert (out[10].method, out[10].number) == ("new", fresh)
    assert (out[11].method, out[11].entity_id) == ("key", 1)


def test_a_number_held_under_another_name_waits_with_its_holder_first() -> None:
    row = _row(10, "赵六", A)
    scored = Outcome(10, "new", None, 0.1, candidates=[(2, 0.1)])
    o = _final(row, scored, {A: ZHANG, B: LI}, {1: ZHANG, 2: LI}, LinkConfig())
    # even a confident model waits: birth date and sex agree because the number says so
    sure = _final(
        row,
        Outcome(10, "model", 1, 0.99, candidates=[(1, 0.99)]),
        {A: ZHANG},
        {1: ZHANG},
        LinkConfig(),
    )
    assert sure.method == "review" and sure.reason == "key_name"
    assert o.method == "review" and o.reason == "key_name" and o.number == A
    assert [c[0] for c in o.candidates] == [1, 2]


def test_a_valid_number_one_slip_from_a_candidates_waits() -> None:
    body = A[:15] + str((int(A[15]) + 1) % 10) + A[16]
    slip = body + id_check_char(body)  # a digit mistyped, the check computed for it
    assert read_id(slip).status == "valid"
    row = _row(10, "张三", slip)
    scored = Outcome(10, "model", 1, 0.99, candidates=[(1, 0.99)])
    o = _final(row, scored, {A: ZHANG}, {1: ZHANG}, LinkConfig())
    assert o.method == "review" and o.reason == "key_slip"


def test_keyless_row_the_model_is_unsure_of_waits() -> None:
    scored = Outcome(10, "new", None, 0.2, candidates=[(1, 0.2)])
    o = _final(_row(10, "张叁"), scored, {}, {1: ZHANG}, LinkConfig())
    assert o.method == "review" and o.reason == "weak" and o.candidates == [(1, 0.2)]


def test_decide_links_only_a_clear_winner() -> None:
    config = LinkConfig()
    pairs = [Pair(10, 1, 0.999999), Pair(10, 2, 0.6), Pair(11, 1, 0.9997), Pair(11, 2, 0.8)]
    out = decide(pairs, [10, 11, 12], config)
    assert out[10].method == "model" and out[10].entity_id == 1
    assert out[11].method == "review"  # a runner-up at 0.8: too close to call
    assert out[12].method == "new" and not out[12].candidates  # _final makes it wait


def test_evidence_names_homophones_typos_and_missing_values() -> None:
    row = PersonRecord(10, "章三", None, "1980-01-02", None, "+86 139-0000-1111", "阳光社区1组3号")
    ev = evidence.compare(row, ZHANG)
    assert ev["name"] == "same pinyin" and ev["birth"] == "same" and ev["phone"] == "same"
    assert ev["sex"] == "missing" and ev["idn"] == "missing"
    typo = evidence.compare(PersonRecord(11, "张山", None, "1980-01-12"), ZHANG)
    assert typo["name"] == "one character off" and typo["birth"] == "one digit off"


def test_unbalanced_quote_refuses_its_row_and_keeps_the_rest() -> None:
    text = f'姓名,公民身份号码\n"张三,{A}\n李四,{B}\n'
    table = read_export(text.encode("gbk"), "q.csv")
    assert [f.row for f in table.findings] == [2]
    assert table.rows == [[None, None], ["李四", B]]
    assert table.findings[0].code == "file.csv_quote"


def test_a_quoted_comma_in_a_full_row_is_fine() -> None:
    table = read_export('姓名,住址\n张三,"阳光社区,1组"\n'.encode(), "ok.csv")
    assert not table.findings and table.rows == [["张三", "阳光社区,1组"]]
