"""Masking (脱敏): ID numbers, phones and account numbers shown partly hidden.

A masked value is never read alone: whoever sees it also sees the person's birth date, age
and sex, search answers and report cells. So each rule below hides digits that nothing else
shown to a masked viewer can give back.

* ID number (GB 11643): the area code and the birth date stay visible — both are shown
  anyway (birth date column, age; the county is the person's own) — and the three sequence
  digits and the check character are hidden: ``33052319460101****``. With sex known (the
  sequence's last digit is odd for men) 500 valid numbers still fit what is visible; the
  check character is a function of the first 17 digits, so hiding it costs nothing and
  showing it would cut the 500 to about 45. The old rule, ``330523********1234``, hid
  exactly the birth date and showed the sequence and check digit: with the birth date beside
  it, the full number came back every time.
* A legacy 15-digit number (area, ``yymmdd``, three sequence digits, no check digit) keeps
  its first 12 characters: ``330523460101***`` (498 fit; but sequences 996-999 mark a birth
  in 18yy, which leaves 4 — no mask of a 15-character value can help that, and the sheet
  stores numbers in their 18-character form, where the same person leaves 500).
* Anything else in an ID field — a typo, a number of another length, text — is not an ID
  number whose visible part is known to be safe, so nothing of it is shown.
* Phone: a mobile keeps the 3-digit network prefix and the last 4 digits (4 of 11 hidden,
  10 000 candidates; nothing else shows them); a landline keeps its area code and the last 2.
* Account: only the last characters (at most 4, at most a third of the value). A value
  holding an ID number (a second-generation disability certificate is the holder's ID number
  plus two digits) never shows a character of the ID's hidden part, so that masked account
  and masked ID number together give back no more than the masked ID number alone.
"""

from __future__ import annotations

import re
from datetime import date

from onesheet.domain.values.idnumber import PROVINCES, convert_15_to_18, id_check_char

ID_SHOWN_18 = 14  # area code (6) + birth date (8)
ID_SHOWN_15 = 12  # area code (6) + birth date yymmdd (6)
_ID18 = re.compile(r"^[0-9]{17}[0-9X]$")
_ID15 = re.compile(r"^[0-9]{15}$")


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def is_id_number_18(value: str) -> bool:
    """Whether ``value`` is a well-formed 18-character ID number: province, a real birth
    date from 1850 on and the right check character (the date need not be in the past)."""
    if not _ID18.match(value) or value[:2] not in PROVINCES:
        return False
    year = int(value[6:10])
    if not (1850 <= year < 2100 and _real_date(year, int(value[10:12]), int(value[12:14]))):
        return False
    return id_check_char(value[:17]) == value[17]


def is_id_number_15(value: str) -> bool:
    """Whether ``value`` is a well-formed legacy 15-digit ID number (born 19yy)."""
    if not _ID15.match(value) or value[:2] not in PROVINCES:
        return False
    return _real_date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))


def mask_id_number(value: str) -> str:
    """330523194601011239 → 33052319460101****; 330523460101123 → 330523460101***;
    anything that is not a well-formed ID number → all stars."""
    text = value.upper()
    if is_id_number_18(text):
        return text[:ID_SHOWN_18] + "*" * (len(text) - ID_SHOWN_18)
    if is_id_number_15(text):
        return text[:ID_SHOWN_15] + "*" * (len(text) - ID_SHOWN_15)
    return "*" * len(value)


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678; 0572-5012345 → 0572-*****45; a shorter number keeps at
    most its last 2 digits and hides at least 5."""
    if "-" in value:
        area, number = value.split("-", 1)
        return f"{area}-{_tail(number, 2 if len(number) >= 7 else 0)}"
    if len(value) >= 11:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return _tail(value, 2 if len(value) >= 7 else 0)


def _tail(value: str, keep: int) -> str:
    return "*" * (len(value) - keep) + value[len(value) - keep :]


def _embedded_id_hidden(value: str) -> set[int]:
    """Positions of ``value`` that are the hidden part of an ID number inside it."""
    hidden: set[int] = set()
    upper = value.upper()
    for start in range(len(upper) - 17):
        if is_id_number_18(upper[start : start + 18]):
            hidden.update(range(start + ID_SHOWN_18, start + 18))
    if is_id_number_15(upper):
        hidden.update(range(ID_SHOWN_15, 15))
    return hidden


def mask_account(value: str) -> str:
    """6222020200112233 → ************2233: the last characters only (at most 4 and
    at most a third of the value), and never a hidden character of an ID number inside it
    (33052319460101123911 → ******************11)."""
    keep = min(4, len(value) // 3)
    hidden = _embedded_id_hidden(value)
    first_kept = len(value) - keep
    return "".join(ch if i >= first_kept and i not in hidden else "*" for i, ch in enumerate(value))


_MASKS = {"id_number": mask_id_number, "phone": mask_phone, "account": mask_account}


def mask_value(kind: str | None, value: str | None) -> str | None:
    """Mask ``value`` by the field's mask kind (no kind: unchanged)."""
    if value is None or kind is None:
        return value
    return _MASKS[kind](value)


def full_id_number(text: str) -> str | None:
    """The 18-character number ``text`` names in full (a legacy 15-digit number converted),
    or None when it is not a whole, valid ID number (a prefix, a typo, a name).

    Search uses it to let a masked viewer find a person by the whole number only.
    """
    if len(text) == 15 and is_id_number_15(text):
        text = convert_15_to_18(text)
    return text if len(text) == 18 and is_id_number_18(text) else None


_NUMBER_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9]{7,}[0-9Xx]?(?![0-9A-Za-z])")


def mask_numbers_in_text(text: str, *, ids: bool = True, phones: bool = True) -> str:
    """Free text (a correction's reason: "换号，原证号330523…") with its long numbers masked
    as a masked viewer sees them beside: a whole ID number by its rule, 7 to 11 digits (a
    phone) by the phone rule, any other run of 13 or more digits wholly (a part of an ID
    number, an account: which of its digits are safe cannot be told); 12 digits (a
    village's code) stay. A reason is typed by whoever saw the number in full or had the
    paper card, so verbatim it would hand a masked viewer what the value's mask hides.
    ``ids`` / ``phones``: whether the viewer sees that kind masked (civil affairs sees ID
    numbers in full and phones masked); long runs that are not ID numbers go with ``ids``."""

    def one(m: re.Match[str]) -> str:
        run = m.group(0)
        if len(run) in (15, 18):
            return mask_id_number(run) if ids else run
        if len(run) >= 13:
            return "*" * len(run) if ids else run
        if len(run) == 12 or not phones:
            return run
        return mask_phone(run)

    return _NUMBER_RUN.sub(one, text)
