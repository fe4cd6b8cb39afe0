"""Masking (脱敏): ID numbers, phones and account numbers shown partly hidden.

The visible parts are what a cadre needs to tell two people apart (county prefix and the
last four digits), not enough to use the number elsewhere.
"""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """330523199001011234 → 330523********1234."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678; 0572-5012345 → 0572-*****45."""
    if "-" in value:
        area, number = value.split("-", 1)
        return f"{area}-{'*' * max(len(number) - 2, 0)}{number[-2:]}"
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_account(value: str) -> str:
    """Keep the last four characters only."""
    return "*" * max(len(value) - 4, 0) + value[-4:]


_MASKS = {"id_number": mask_id_number, "phone": mask_phone, "account": mask_account}


def mask_value(kind: str | None, value: str | None) -> str | None:
    """Mask ``value`` by the field's mask kind (no kind: unchanged)."""
    if value is None or kind is None:
        return value
    return _MASKS[kind](value)
