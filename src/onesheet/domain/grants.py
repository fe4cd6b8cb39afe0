"""Which fields each department may read, and which of those unmasked (the packaged defaults).

个人信息保护法 asks for the minimum necessary: a department sees the fields its own work and
its approved forms need, not the whole sheet. The defaults ship as ``data/grants.yaml``;
``onesheet init`` copies them into the database, where an administrator may change them.

Policy applied when expanding the YAML (also described in its header):
- every department reads the ``defaults.read`` fields (who the person is, where they live);
- every department reads the fields it is the authority for (it supplied them);
- plus what its entry lists; ``person.*`` stands for every field of the entity;
- ``unmasked`` fields must be readable and maskable; everything else with a mask is shown
  masked (ID numbers, phones, account numbers).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from onesheet.domain.dictionary import ENTITY_TYPES, Dictionary, load_builtin
from onesheet.domain.dictionary_loading import data_dir


@dataclass(frozen=True)
class DepartmentGrant:
    """The fields one department may read (wildcards expanded) and may see unmasked."""

    department: str
    read: frozenset[str]
    unmasked: frozenset[str]


def expand_patterns(patterns: Iterable[str], dictionary: Dictionary, where: str) -> set[str]:
    """Field keys named by ``patterns`` (exact keys or ``entity.*``); unknown names raise."""
    keys: set[str] = set()
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise ValueError(f"{where}: {pattern!r} is not a field key")
        if pattern.endswith(".*"):
            entity = pattern[:-2]
            if entity not in ENTITY_TYPES:
                raise ValueError(f"{where}: {pattern!r} names no entity type")
            keys.update(f.key for f in dictionary.for_entity(entity))
        elif pattern in dictionary.fields:
            keys.add(pattern)
        else:
            raise ValueError(f"{where}: unknown field {pattern!r}")
    return keys


def expand_grants(doc: Any, dictionary: Dictionary) -> dict[str, DepartmentGrant]:
    """Grants from the parsed ``grants.yaml`` document, validated against ``dictionary``.

    Every department of the dictionary must have an entry (an omission should be a decision,
    not an accident), and every entry must name a known department.
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("departments"), dict):
        raise ValueError("grants.yaml: expected a 'departments' mapping")
    default_read = expand_patterns(
        (doc.get("defaults") or {}).get("read") or (), dictionary, "grants.yaml: defaults"
    )
    entries: Mapping[str, Any] = doc["departments"]
    if unknown := sorted(set(entries) - set(dictionary.departments)):
        raise ValueError(f"grants.yaml: unknown department(s) {unknown}")
    if missing := sorted(set(dictionary.departments) - set(entries)):
        raise ValueError(f"grants.yaml: no entry for department(s) {missing}")

    grants: dict[str, DepartmentGrant] = {}
    for dept, entry in entries.items():
        where = f"grants.yaml: {dept}"
        entry = entry or {}
        if extra := sorted(set(entry) - {"read", "unmasked"}):
            raise ValueError(f"{where}: unknown attribute(s) {extra}")
        own = {f.key for f in dictionary.fields.values() if f.authority == dept}
        read = default_read | own | expand_patterns(entry.get("read") or (), dictionary, where)
        unmasked = expand_patterns(entry.get("unmasked") or (), dictionary, f"{where} unmasked")
        for key in sorted(unmasked):
            if key not in read:
                raise ValueError(f"{where}: {key} is unmasked but not readable")
            if dictionary.fields[key].mask is None:
                raise ValueError(f"{where}: {key} has no mask, so 'unmasked' means nothing")
        grants[dept] = DepartmentGrant(dept, frozenset(read), frozenset(unmasked))
    return grants


@functools.cache
def _packaged() -> dict[str, DepartmentGrant]:
    text = data_dir().joinpath("grants.yaml").read_text(encoding="utf-8")
    return expand_grants(yaml.safe_load(text), load_builtin())


def load_grants() -> dict[str, DepartmentGrant]:
    """The packaged default grants by department key (a fresh dict over shared grants)."""
    return dict(_packaged())
