"""Values computed from other values instead of being collected (年龄, 所属村 …).

Collecting a derived value would invite a second, disagreeing copy (an age typed last year
is wrong today), so the dictionary marks these fields and they are computed on read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from onesheet.domain.dictionary import Field


def age_on(birth: date, when: date) -> int:
    """Completed years of age on ``when`` (the day before the birthday still counts as younger)."""
    return when.year - birth.year - ((when.month, when.day) < (birth.month, birth.day))


def org_path_codes(org_code: str) -> dict[str, str]:
    """The codes of the town, village and grid an org code lies in (where deep enough)."""
    out = {}
    for level, length in (("town", 9), ("village", 12), ("grid", 15)):
        if len(org_code) >= length:
            out[level] = org_code[:length]
    return out


def derive(
    field: Field,
    values: Mapping[str, str | None],
    *,
    org_code: str,
    org_names: Mapping[str, str],
    today: date,
) -> str | None:
    """The value of a derived field for one entity, or None when it cannot be computed.

    ``values`` maps field keys to canonical values of the same entity.
    """
    source = field.derived_from or ""
    if source.startswith("org."):
        code = org_path_codes(org_code).get(source.split(".", 1)[1])
        return org_names.get(code, code) if code else None
    if field.key.endswith(".age") and values.get(source):
        return str(age_on(date.fromisoformat(values[source] or ""), today))
    return None
