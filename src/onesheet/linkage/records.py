"""The columns linkage compares, prepared once per record.

Both sides of a link — the rows of an export and the people already in the sheet — are
turned into the same ``Prepared`` shape, so the comparisons (in Splink or in plain Python)
never see raw text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from onesheet.linkage.normalise import address_key, date_key, name_key, name_pinyin, phone_key

COLUMNS = ("uid", "name", "name_py", "surname_py", "birth", "birth_year", "sex", "phone")
COLUMNS += ("addr", "addr_chars", "hh", "idn")


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A person as one source describes them (raw values; ``uid`` unique per side)."""

    uid: int
    name: object = None
    id_text: str | None = None  # normalised ID text (valid or not)
    birth_date: object = None
    sex: str | None = None  # GB/T 2261.1 code
    phone: object = None
    address: object = None
    household_no: object = None


def sheet_record(p: Mapping[str, Any]) -> PersonRecord:
    """A person of the sheet (a row of the current view with ``entity_id``, ``name``,
    ``id_number``, ``birth_date``, ``gender``, ``phone``, ``current_address`` and
    ``household_no``) as a linkage record keyed by its entity id."""
    return PersonRecord(
        int(p["entity_id"]),
        p["name"],
        p["id_number"],
        p["birth_date"],
        p["gender"],
        p["phone"],
        p["current_address"],
        p["household_no"],
    )


def _none(text: str) -> str | None:
    return text or None


def prepare(r: PersonRecord) -> dict[str, object]:
    """One record as the columns the model compares (empty values as NULL)."""
    name = name_key(r.name)
    py = name_pinyin(name)
    addr = address_key(r.address)
    birth = date_key(r.birth_date)
    return {
        "uid": r.uid,
        "name": _none(name),
        "name_py": _none(py),
        "surname_py": _none(py.split(" ", 1)[0]),
        "birth": _none(birth),
        "birth_year": _none(birth[:4]),
        "sex": r.sex or None,
        "phone": _none(phone_key(r.phone)),
        "addr": _none(addr),
        "addr_chars": sorted(set(addr)) if addr else None,
        "hh": _none(str(r.household_no).strip()) if r.household_no else None,
        "idn": r.id_text or None,
    }


RAW_COLUMNS = ("uid", "name", "birth", "sex", "phone", "addr", "idn")


def _text(value: object) -> str | None:
    return str(value) if value is not None and str(value) != "" else None


def prepare_raw(r: PersonRecord) -> dict[str, object]:
    """The baseline's columns: values exactly as exported (no folding, pinyin or repair)."""
    return {
        "uid": r.uid,
        "name": _text(r.name),
        "birth": _text(r.birth_date),
        "sex": r.sex or None,
        "phone": _text(r.phone),
        "addr": _text(r.address),
        "idn": _text(r.id_text),
    }


def to_arrow(records: Iterable[PersonRecord], *, raw: bool = False) -> pa.Table:
    """Prepared records as an Arrow table (what DuckDB registers without copying)."""
    if raw:
        schema = pa.schema([(c, pa.int64() if c == "uid" else pa.string()) for c in RAW_COLUMNS])
        return pa.Table.from_pylist([prepare_raw(r) for r in records], schema=schema)
    rows = [prepare(r) for r in records]
    schema = pa.schema(
        [(c, pa.int64() if c == "uid" else pa.string()) for c in COLUMNS if c != "addr_chars"]
        + [("addr_chars", pa.list_(pa.string()))]
    )
    return pa.Table.from_pylist(rows, schema=schema)
