"""Reading and checking the packaged dictionary: fields, code tables and departments.

``dictionary.py`` holds the contract classes every layer imports; this module holds the file
reading and the consistency checks, which run once per process. The checks exist because
the packaged YAML and CSV files are edited by hand: a misspelt code table, an unknown
department or one wording under two fields would otherwise surface much later as a column
matched to the wrong field in some department's form. Every failure is a ``ValueError``
that names the file and the offending entry.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, get_args

import yaml

from onesheet.domain.codes import CodeEntry, CodeTable, fold
from onesheet.domain.dictionary import (
    ENTITY_TYPES,
    Department,
    Dictionary,
    Field,
    FieldType,
    Sensitivity,
)

FIELD_TYPES: frozenset[str] = frozenset(get_args(FieldType))
SENSITIVITIES: frozenset[str] = frozenset(get_args(Sensitivity))
# mask kind → the field type it can be applied to (masking code relies on the value's shape)
MASK_TYPES: dict[str, str] = {"id_number": "id_number", "phone": "phone", "account": "text"}
# Sources of derived fields that are not fields themselves.
ORG_SOURCES: frozenset[str] = frozenset({"org.town", "org.village", "org.grid", "org.grid_worker"})
VIRTUAL_SOURCES: frozenset[str] = frozenset({"household.members"})

_REQUIRED = ("key", "entity", "label_zh", "label_en", "type", "sensitivity", "authority")
_OPTIONAL = ("synonyms", "code_table", "ref_entity", "derived_from", "mask", "description")
_KEY_RE = re.compile(r"^[a-z]+\.[a-z][a-z0-9_]*$")

# Index and alias files in data/codes/ that are not code tables themselves.
CODE_INDEX_FILE = "tables.csv"
CODE_ALIASES_FILE = "aliases.csv"
# Extra columns of national tables whose values are also accepted as wordings of the code
# (GB 3304 romanisation and letter code: some systems export those instead of numbers).
_ALIAS_COLUMNS = ("roman", "letter_code")


def data_dir() -> Traversable:
    """The package's data folder (works from a wheel as well as a source checkout)."""
    return files("onesheet").joinpath("data")


def _read_text(path: Traversable) -> str:
    return path.read_text(encoding="utf-8-sig")


def _csv_rows(text: str, source: str, required: Iterable[str]) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"{source}: header lacks column(s) {', '.join(missing)}")
    return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]


# ------------------------------------------------------------------------------ code tables


def parse_code_table(
    key: str,
    label_zh: str,
    rows: list[dict[str, str]],
    *,
    source: str = "",
    extra_aliases: Mapping[str, list[str]] | None = None,
) -> CodeTable:
    """Build one code table from CSV rows, refusing ambiguous or malformed entries.

    ``rows`` are either a national table's own columns (``code,name`` plus optional
    ``short_name``, ``parent_code``, ``roman``, ``letter_code``) or a local table's
    ``code,name,short_name,aliases`` with aliases separated by ``|``. ``extra_aliases`` maps
    codes to further wordings (from ``aliases.csv``).
    """
    extra_aliases = extra_aliases or {}
    where = f"code table {key}"
    entries: list[CodeEntry] = []
    seen_codes: set[str] = set()
    for n, row in enumerate(rows, start=2):
        code, name = row.get("code", ""), row.get("name", "")
        if not code or not name:
            raise ValueError(f"{where}, line {n}: code and name are required")
        if code in seen_codes:
            raise ValueError(f"{where}, line {n}: code {code!r} appears twice")
        seen_codes.add(code)
        aliases = [a.strip() for a in row.get("aliases", "").split("|") if a.strip()]
        aliases += [row[c] for c in _ALIAS_COLUMNS if row.get(c)]
        aliases += extra_aliases.get(code, [])
        entries.append(
            CodeEntry(
                code=code,
                name=name,
                short_name=row.get("short_name") or None,
                aliases=tuple(dict.fromkeys(a for a in aliases if a not in (name, code))),
                parent=row.get("parent_code") or None,
            )
        )
    if not entries:
        raise ValueError(f"{where}: no codes")
    unknown = set(extra_aliases) - seen_codes
    if unknown:
        raise ValueError(f"{where}: aliases given for unknown code(s) {sorted(unknown)}")
    for e in entries:
        if e.parent is not None and e.parent not in seen_codes:
            raise ValueError(f"{where}: code {e.code!r} has unknown parent {e.parent!r}")
    _check_unambiguous(where, entries)
    return CodeTable(key=key, label_zh=label_zh, entries=entries, source=source)


def _check_unambiguous(where: str, entries: list[CodeEntry]) -> None:
    """Every wording (and code) must lead to one code, or a lookup would silently pick one."""
    owner: dict[str, str] = {}
    for e in entries:
        for wording in (e.code, e.name, e.short_name, *e.aliases):
            if not wording:
                continue
            folded = fold(wording)
            other = owner.setdefault(folded, e.code)
            if other != e.code:
                raise ValueError(
                    f"{where}: wording {wording!r} would mean both code {other!r} and {e.code!r}"
                )


def read_code_tables(codes: Traversable | None = None) -> dict[str, CodeTable]:
    """All code tables listed in ``codes/tables.csv``, with ``aliases.csv`` applied."""
    codes = codes or data_dir().joinpath("codes")
    index = _csv_rows(
        _read_text(codes.joinpath(CODE_INDEX_FILE)), CODE_INDEX_FILE, ("table", "label_zh")
    )
    listed = [r["table"] for r in index]
    present = {
        p.name[: -len(".csv")]
        for p in codes.iterdir()
        if p.name.endswith(".csv") and p.name not in (CODE_INDEX_FILE, CODE_ALIASES_FILE)
    }
    if missing := sorted(set(listed) - present):
        raise ValueError(f"{CODE_INDEX_FILE}: no CSV file for table(s) {missing}")
    if unlisted := sorted(present - set(listed)):
        raise ValueError(f"{CODE_INDEX_FILE}: table file(s) {unlisted} are not listed")
    if len(set(listed)) != len(listed):
        raise ValueError(f"{CODE_INDEX_FILE}: a table is listed twice")

    extra: dict[str, dict[str, list[str]]] = {}
    alias_rows = _csv_rows(
        _read_text(codes.joinpath(CODE_ALIASES_FILE)), CODE_ALIASES_FILE, ("table", "code", "alias")
    )
    for n, row in enumerate(alias_rows, start=2):
        if row["table"] not in listed:
            raise ValueError(f"{CODE_ALIASES_FILE}, line {n}: unknown table {row['table']!r}")
        if not row["alias"]:
            raise ValueError(f"{CODE_ALIASES_FILE}, line {n}: empty alias")
        extra.setdefault(row["table"], {}).setdefault(row["code"], []).append(row["alias"])

    tables: dict[str, CodeTable] = {}
    for meta in index:
        key = meta["table"]
        rows = _csv_rows(_read_text(codes.joinpath(f"{key}.csv")), f"{key}.csv", ("code", "name"))
        tables[key] = parse_code_table(
            key,
            meta["label_zh"],
            rows,
            source=meta.get("source", ""),
            extra_aliases=extra.get(key),
        )
    return tables


# ------------------------------------------------------------------------------ departments


def parse_departments(doc: Any, source: str = "departments.yaml") -> dict[str, Department]:
    """Departments from the parsed YAML document ``{"departments": [...]}``."""
    items = doc.get("departments") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not items:
        raise ValueError(f"{source}: expected a non-empty 'departments' list")
    out: dict[str, Department] = {}
    wording_owner: dict[str, str] = {}
    for item in items:
        if not isinstance(item, dict) or not item.get("key"):
            raise ValueError(f"{source}: entry without a key: {item!r}")
        key = str(item["key"])
        for attr in ("name_zh", "name_en"):
            if not item.get(attr):
                raise ValueError(f"{source}: department {key}: {attr} is required")
        if key in out:
            raise ValueError(f"{source}: department {key} appears twice")
        aliases = tuple(str(a) for a in item.get("aliases") or ())
        for wording in (item["name_zh"], *aliases):
            other = wording_owner.setdefault(fold(wording), key)
            if other != key:
                raise ValueError(
                    f"{source}: department {key}: wording {wording!r} also names {other}"
                )
        out[key] = Department(key, str(item["name_zh"]), str(item["name_en"]), aliases)
    return out


# ----------------------------------------------------------------------------------- fields


def parse_fields(doc: Any, source: str = "fields.yaml") -> list[Field]:
    """Fields from the parsed YAML document ``{"fields": [...]}``, checked one by one.

    Checks that need the whole dictionary (code tables, departments, references, synonym
    clashes) are in :func:`validate`.
    """
    items = doc.get("fields") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not items:
        raise ValueError(f"{source}: expected a non-empty 'fields' list")
    return [_parse_field(item, source) for item in items]


def _parse_field(item: Any, source: str) -> Field:
    if not isinstance(item, dict) or not item.get("key"):
        raise ValueError(f"{source}: entry without a key: {item!r}")
    key = str(item["key"])
    where = f"{source}: field {key}"
    unknown = set(item) - set(_REQUIRED) - set(_OPTIONAL)
    if unknown:
        raise ValueError(f"{where}: unknown attribute(s) {sorted(unknown)}")
    missing = [a for a in _REQUIRED if not item.get(a)]
    if missing:
        raise ValueError(f"{where}: missing {', '.join(missing)}")
    if not _KEY_RE.match(key):
        raise ValueError(f"{where}: key must look like entity.snake_case_name")
    entity, ftype = item["entity"], item["type"]
    if entity not in ENTITY_TYPES:
        raise ValueError(f"{where}: unknown entity {entity!r} (one of {', '.join(ENTITY_TYPES)})")
    if not key.startswith(f"{entity}."):
        raise ValueError(f"{where}: key does not start with its entity {entity!r}")
    if ftype not in FIELD_TYPES:
        raise ValueError(f"{where}: unknown type {ftype!r}")
    if item["sensitivity"] not in SENSITIVITIES:
        raise ValueError(f"{where}: unknown sensitivity {item['sensitivity']!r}")
    if (ftype == "code") != bool(item.get("code_table")):
        raise ValueError(f"{where}: code_table is required for type code and only for it")
    if (ftype == "ref") != bool(item.get("ref_entity")):
        raise ValueError(f"{where}: ref_entity is required for type ref and only for it")
    if item.get("ref_entity") and item["ref_entity"] not in ENTITY_TYPES:
        raise ValueError(f"{where}: ref_entity {item['ref_entity']!r} is not an entity type")
    mask = item.get("mask")
    if mask is not None and MASK_TYPES.get(mask) != ftype:
        raise ValueError(f"{where}: mask {mask!r} does not fit type {ftype!r}")
    synonyms = item.get("synonyms") or []
    if not isinstance(synonyms, list) or not all(isinstance(s, str) and s for s in synonyms):
        raise ValueError(f"{where}: synonyms must be a list of non-empty strings")
    return Field(
        key=key,
        entity=entity,
        label_zh=str(item["label_zh"]),
        label_en=str(item["label_en"]),
        type=ftype,
        sensitivity=item["sensitivity"],
        authority=str(item["authority"]),
        synonyms=tuple(dict.fromkeys(synonyms)),
        code_table=item.get("code_table"),
        ref_entity=item.get("ref_entity"),
        derived_from=item.get("derived_from"),
        mask=mask,
        description=str(item.get("description") or ""),
    )


def field_wordings(f: Field) -> tuple[str, ...]:
    """Every heading that means this field: the Chinese label first, then the synonyms."""
    return tuple(dict.fromkeys((f.label_zh, *f.synonyms)))


def validate(fields: Iterable[Field], dictionary: Dictionary) -> None:
    """Check the fields against each other and the dictionary's code tables and departments."""
    seen: dict[str, Field] = {}
    for f in fields:
        where = f"field {f.key}"
        if f.key in seen:
            raise ValueError(f"{where}: key appears twice")
        seen[f.key] = f
        if f.code_table and f.code_table not in dictionary.code_tables:
            raise ValueError(f"{where}: unknown code table {f.code_table!r}")
        if f.authority not in dictionary.departments:
            raise ValueError(f"{where}: authority {f.authority!r} is not a known department")
    for f in seen.values():
        src = f.derived_from
        if src and src not in seen and src not in ORG_SOURCES and src not in VIRTUAL_SOURCES:
            raise ValueError(f"field {f.key}: derived_from {src!r} is neither a field nor a source")
    owner: dict[tuple[str, str], str] = {}
    for f in seen.values():
        for wording in field_wordings(f):
            other = owner.setdefault((f.entity, fold(wording)), f.key)
            if other != f.key:
                raise ValueError(
                    f"field {f.key}: wording {wording!r} is already used by {other} "
                    f"(one wording may name only one field of an entity)"
                )


# ---------------------------------------------------------------------------------- builtin


def build_builtin(root: Traversable | None = None) -> Dictionary:
    """Read and validate the packaged data files (``root`` defaults to ``onesheet/data``)."""
    root = root or data_dir()
    code_tables = read_code_tables(root.joinpath("codes"))
    departments = parse_departments(yaml.safe_load(_read_text(root.joinpath("departments.yaml"))))
    fields = parse_fields(yaml.safe_load(_read_text(root.joinpath("fields.yaml"))))
    dictionary = Dictionary(fields={}, code_tables=code_tables, departments=departments)
    validate(fields, dictionary)
    dictionary.fields.update((f.key, f) for f in fields)
    return dictionary


@functools.cache
def builtin_dictionary() -> Dictionary:
    """The packaged dictionary, read once per process; callers must not mutate it."""
    return build_builtin()
