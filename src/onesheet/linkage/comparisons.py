"""Splink comparisons for Chinese person records, as SQL levels over prepared columns.

Written as plain dicts (Splink's dialect-free settings format) because the levels that
matter are Chinese-specific: pinyin equality catches homophones (章/张), a same-length name
sharing all but one character catches a one-character typo, and addresses compare as sets
of characters since DuckDB's edit distances count UTF-8 bytes, not characters.
"""

from __future__ import annotations

from typing import Any


def _null(col: str) -> dict[str, Any]:
    return {
        "sql_condition": f'"{col}_l" IS NULL OR "{col}_r" IS NULL',
        "label_for_charts": "null",
        "is_null_level": True,
    }


def _level(sql: str, label: str, m: float) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, "m_probability": m}


def _else(m: float = 0.01) -> dict[str, Any]:
    return {"sql_condition": "ELSE", "label_for_charts": "else", "m_probability": m}


def _comparison(col: str, *levels: dict[str, Any]) -> dict[str, Any]:
    return {"output_column_name": col, "comparison_levels": [_null(col), *levels]}


_ONE_CHAR_OFF = (
    "length(name_l) = length(name_r) AND length(name_l) - "
    "len(list_intersect(string_split(name_l, ''), string_split(name_r, ''))) <= 1"
)
_ADDR_SHARE = (
    "len(list_intersect(addr_chars_l, addr_chars_r)) "
    "/ greatest(len(addr_chars_l), len(addr_chars_r))"
)


def chinese_person() -> list[dict[str, Any]]:
    """Comparisons on prepared columns (see ``records``), with sensible starting m values."""
    return [
        _comparison(
            "name",
            _level("name_l = name_r", "exact", 0.85),
            _level("name_py_l = name_py_r", "same pinyin", 0.06),
            _level(_ONE_CHAR_OFF, "one character off", 0.06),
            _level("jaro_winkler_similarity(name_py_l, name_py_r) >= 0.9", "pinyin close", 0.02),
            _else(),
        ),
        _comparison(
            "birth",
            _level("birth_l = birth_r", "exact", 0.95),
            _level("damerau_levenshtein(birth_l, birth_r) <= 1", "one digit off", 0.03),
            _level("birth_year_l = birth_year_r", "same year", 0.01),
            _else(),
        ),
        _comparison("sex", _level("sex_l = sex_r", "exact", 0.98), _else(0.02)),
        _comparison(
            "phone",
            _level("phone_l = phone_r", "exact", 0.7),
            _level("right(phone_l, 8) = right(phone_r, 8)", "last 8", 0.02),
            _else(0.28),
        ),
        _comparison(
            "addr",
            _level("addr_l = addr_r", "exact", 0.6),
            _level(f"{_ADDR_SHARE} >= 0.8", "most characters", 0.3),
            _level(f"{_ADDR_SHARE} >= 0.5", "half the characters", 0.07),
            _else(0.03),
        ),
        _comparison("hh", _level("hh_l = hh_r", "exact", 0.9), _else(0.1)),
        _comparison(
            "idn",
            _level("idn_l = idn_r", "exact", 0.9),
            _level("damerau_levenshtein(idn_l, idn_r) <= 1", "one slip", 0.08),
            _else(),  # no "same area and birth" level: it repeats the birth comparison
        ),
    ]


def raw_person() -> list[dict[str, Any]]:
    """The baseline: raw columns as exported, with the string measures DuckDB offers.

    What a plain Splink model would use: exact equality, then jaro-winkler and levenshtein
    as DuckDB computes them (on UTF-8 bytes); the ID number only as an exact level.
    """
    return [
        _comparison(
            "name",
            _level("name_l = name_r", "exact", 0.85),
            _level("levenshtein(name_l, name_r) <= 3", "levenshtein <= 3", 0.1),
            _level("jaro_winkler_similarity(name_l, name_r) >= 0.8", "jaro-winkler >= 0.8", 0.03),
            _else(0.02),
        ),
        _comparison(
            "birth",
            _level("birth_l = birth_r", "exact", 0.95),
            _level("levenshtein(birth_l, birth_r) <= 1", "levenshtein <= 1", 0.03),
            _else(0.02),
        ),
        _comparison("sex", _level("sex_l = sex_r", "exact", 0.98), _else(0.02)),
        _comparison(
            "phone",
            _level("phone_l = phone_r", "exact", 0.7),
            _level("levenshtein(phone_l, phone_r) <= 2", "levenshtein <= 2", 0.05),
            _else(0.25),
        ),
        _comparison(
            "addr",
            _level("addr_l = addr_r", "exact", 0.5),
            _level("jaro_winkler_similarity(addr_l, addr_r) >= 0.9", "jaro-winkler >= 0.9", 0.3),
            _level("jaro_winkler_similarity(addr_l, addr_r) >= 0.7", "jaro-winkler >= 0.7", 0.15),
            _else(0.05),
        ),
        _comparison("idn", _level("idn_l = idn_r", "exact", 0.9), _else(0.1)),
    ]
