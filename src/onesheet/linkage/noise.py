"""Department exports with realistic noise and known truth (benchmark and tests).

What goes wrong between a department's system and ours, as seen in real exports: a
one-character typo or a homophone in the name, an ID with one wrong digit, two digits
swapped, or left out, elderly people still under a 15-digit number, full-width digits or
a lower-case x, a changed phone, the address written another way. ``truth`` says which
sheet entity each row really is (None: a person the sheet does not hold yet).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources

from onesheet.domain.values.idnumber import make_id_number
from onesheet.linkage.normalise import name_pinyin

HEADINGS = ("姓名", "公民身份号码", "性别", "出生日期", "联系电话", "现住址")
SEX_NAME = {"1": "男", "2": "女"}


@dataclass(frozen=True)
class NoiseRates:
    """Share of rows each slip happens to (independently)."""

    typo: float = 0.03
    homophone: float = 0.03
    id_missing: float = 0.04
    id_wrong_digit: float = 0.02
    id_swap: float = 0.01
    id_legacy_elderly: float = 0.5  # of people born before 1950
    id_format: float = 0.05
    birth_slip: float = 0.01  # a digit of the day or year mistyped, or month and day swapped
    phone_changed: float = 0.1
    address_varied: float = 0.5
    outsiders: float = 0.02


@dataclass
class Export:
    """A department's export: headings, rows (cell values) and the truth per row."""

    headings: tuple[str, ...]
    rows: list[list[object]] = field(default_factory=list)
    truth: list[int | None] = field(default_factory=list)

    def shuffled(self, rng: random.Random) -> Export:
        """The rows in a random order, each keeping its truth: an export that listed the
        county's residents first and the newcomers last would give the answer away."""
        order = list(range(len(self.rows)))
        rng.shuffle(order)
        self.rows = [self.rows[i] for i in order]
        self.truth = [self.truth[i] for i in order]
        return self


@cache
def _chars() -> tuple[str, ...]:
    text = resources.files("onesheet.data").joinpath("given_name_chars.csv").read_text("utf-8")
    return tuple(sorted({line.split(",")[0] for line in text.splitlines()[1:] if line}))


@cache
def _homophones() -> dict[str, tuple[str, ...]]:
    by_sound: dict[str, list[str]] = defaultdict(list)
    for ch in _chars() + tuple("张章王汪李黎刘留陈程杨阳赵照周舟吴武徐许孙"):
        by_sound[name_pinyin(ch)].append(ch)
    return {c: tuple(x for x in group if x != c) for group in by_sound.values() for c in group}


def _typo(name: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(name)) if len(name) > 1 else 0
    return name[:i] + rng.choice(_chars()) + name[i + 1 :]


def _homophone(name: str, rng: random.Random) -> str:
    spots = [i for i, c in enumerate(name) if _homophones().get(c)]
    if not spots:
        return name
    i = rng.choice(spots)
    return name[:i] + rng.choice(_homophones()[name[i]]) + name[i + 1 :]


def _wrong_digit(number: str, rng: random.Random) -> str:
    i = rng.randrange(14, 17)  # sequence digits: the birth date still reads as a date
    digit = rng.choice([d for d in "0123456789" if d != number[i]])
    return number[:i] + digit + number[i + 1 :]


def _swap(number: str, rng: random.Random) -> str:
    spots = [i for i in range(14, 16) if number[i] != number[i + 1]]
    if not spots:
        return _wrong_digit(number, rng)
    i = rng.choice(spots)
    return number[:i] + number[i + 1] + number[i] + number[i + 2 :]


def _format(number: str, rng: random.Random) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        return number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    if kind == 1:
        return (
            number.lower() if number.endswith("X") else f"{number[:6]} {number[6:14]} {number[14:]}"
        )
    return f" {number} "


def _id_cell(number: str, birth: str, r: NoiseRates, rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < r.id_missing:
        return None
    roll -= r.id_missing
    if roll < r.id_wrong_digit:
        return _wrong_digit(number, rng)
    roll -= r.id_wrong_digit
    if roll < r.id_swap:
        return _swap(number, rng)
    if birth < "1950" and rng.random() < r.id_legacy_elderly:
        return number[:6] + number[8:17]
    return _format(number, rng) if rng.random() < r.id_format else number


def _address(addr: str, rng: random.Random) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        return addr.split("县", 1)[-1]
    if kind == 1:
        return addr.replace("号", "號").replace("省", "省 ")
    return addr.split("市", 1)[-1].replace("1组", "一组").replace("2组", "二组")


def _birth_slip(birth: str, rng: random.Random) -> str:
    """The birth date typed wrong but still a date: 1971-03-15 → 1971-03-16, 1971-15-03 is
    not a date so 1971-03-05 → 1971-05-03, or 1971 → 1917/1970."""
    y, m, d = (int(x) for x in birth.split("-"))
    kind = rng.randrange(3)
    if kind == 0 and d <= 12 and d != m:
        m, d = d, m
    elif kind == 1:
        swapped = int(str(y)[:2] + str(y)[3] + str(y)[2])
        y = swapped if rng.random() < 0.3 and 1900 < swapped < 2025 else y + rng.choice((-1, 1))
    else:
        d = d + 1 if d < 28 else d - 1
    return f"{y:04d}-{m:02d}-{d:02d}"


def _noisy_row(p: dict[str, object], r: NoiseRates, rng: random.Random) -> list[object]:
    name = str(p["name"])
    if rng.random() < r.typo:
        name = _typo(name, rng)
    elif rng.random() < r.homophone:
        name = _homophone(name, rng)
    birth = str(p["birth_date"])
    typed_birth = _birth_slip(birth, rng) if rng.random() < r.birth_slip else birth
    phone = p.get("phone")
    if phone and rng.random() < r.phone_changed:
        phone = "1" + "".join(rng.choice("3589") + str(rng.randrange(10**9)).zfill(9))
    addr = str(p.get("current_address") or "")
    if addr and rng.random() < r.address_varied:
        addr = _address(addr, rng)
    number = _id_cell(str(p["id_number"]), birth, r, rng)
    return [name, number, SEX_NAME.get(str(p["gender"]), ""), typed_birth, phone, addr]


def _outsider(county: str, rng: random.Random, n: int) -> dict[str, object]:
    year, month, day = rng.randrange(1940, 2005), rng.randrange(1, 13), rng.randrange(1, 29)
    seq = 900 - n % 400
    number = make_id_number(county, date(year, month, day), seq)
    surname = rng.choice("欧司上诸葛")
    return {
        "name": surname + rng.choice(_chars()) + rng.choice(_chars()),
        "id_number": number,
        "gender": "1" if seq % 2 else "2",
        "birth_date": f"{year:04d}-{month:02d}-{day:02d}",
        "phone": "1" + str(rng.randrange(3 * 10**9, 9 * 10**9)),  # 11 digits
        "current_address": "外县某镇某村1组",
    }


def make_export(
    people: Sequence[dict[str, object]],
    *,
    share: float,
    county: str,
    seed: int,
    rates: NoiseRates | None = None,
) -> Export:
    """A noisy export of a random ``share`` of ``people`` (dicts of sheet columns)."""
    r, rng = rates or NoiseRates(), random.Random(seed)
    out = Export(HEADINGS)
    for p in people:
        if rng.random() < share:
            out.rows.append(_noisy_row(p, r, rng))
            out.truth.append(int(p["entity_id"]))  # type: ignore[call-overload]
    for n in range(int(len(out.rows) * r.outsiders)):
        out.rows.append(_noisy_row(_outsider(county, rng, n), NoiseRates(id_missing=0), rng))
        out.truth.append(None)
    return out.shuffled(rng)


@dataclass(frozen=True)
class KeylessCase:
    """The keyless benchmark case: a 人社 (hr) export as a new user meets it.

    ``rows`` residents drawn at random plus ``new_people`` from outside the county; of all
    rows ``id_missing`` have no ID number (new people too: they must wait in the queue, not
    be guessed), ``homophone`` a homophone in the name, ``phone_missing`` no phone; the
    usual slips (typos, broken IDs, address variants) on top. Of the rows without an ID,
    ``keyless_bare`` also lack birth date and sex (systems that derive both from the ID
    number leave them blank with it): name + phone and name + address must carry those.
    """

    rows: int = 3000
    new_people: int = 150
    id_missing: float = 0.08
    homophone: float = 0.2
    phone_missing: float = 0.3
    typo: float = 0.03
    keyless_bare: float = 0.5


def make_keyless_export(
    people: Sequence[dict[str, object]],
    *,
    county: str,
    seed: int,
    case: KeylessCase | None = None,
) -> Export:
    """A noisy hr export of ``case.rows`` residents and ``case.new_people`` newcomers."""
    case, rng = case or KeylessCase(), random.Random(seed)
    rates = NoiseRates(typo=case.typo, homophone=case.homophone / (1 - case.typo), id_missing=0)
    out = Export(HEADINGS)
    chosen = rng.sample(list(people), min(case.rows, len(people)))
    everyone: list[tuple[dict[str, object], int | None]] = [
        (p, int(p["entity_id"]))
        for p in chosen  # type: ignore[call-overload]
    ]
    everyone += [(_outsider(county, rng, n), None) for n in range(case.new_people)]
    for p, truth in everyone:
        row = _noisy_row(p, rates, rng)
        if rng.random() < case.id_missing:
            row[1] = None
            if rng.random() < case.keyless_bare:
                row[2] = row[3] = None
        if rng.random() < case.phone_missing:
            row[4] = None
        out.rows.append(row)
        out.truth.append(truth)
    return out.shuffled(rng)


ENTERPRISE_HEADINGS = ("企业名称", "统一社会信用代码", "法定代表人", "经营地址")


def _uscc_cell(code: str, rng: random.Random) -> str | None:
    from onesheet.domain.values.uscc import CHARSET

    roll = rng.random()
    if roll < 0.08:
        return None
    if roll < 0.11:  # one character mistyped: the check character catches it
        i = rng.randrange(8, 17)
        return code[:i] + rng.choice([c for c in CHARSET if c != code[i]]) + code[i + 1 :]
    if roll < 0.16:
        return f"{code[:8]} {code[8:]}".lower() if rng.random() < 0.5 else f" {code} "
    return code


def make_enterprise_export(
    firms: Sequence[dict[str, object]], *, county: str, seed: int, share: float = 0.5
) -> Export:
    """A noisy market-regulation export of a ``share`` of ``firms`` (sheet rows: entity_id,
    name, uscc, legal_rep, address) plus 5 % newcomers: 8 % without a code, 3 % with a
    mistyped one, 5 % lower case or spaced, 20 % 有限责任公司 for 有限公司, addresses
    written another way half the time."""
    from onesheet.domain.values.uscc import make_uscc

    rng = random.Random(seed)
    out = Export(ENTERPRISE_HEADINGS)
    chosen = [f for f in firms if rng.random() < share]
    for f in chosen:
        name = str(f["name"])
        if "有限公司" in name and rng.random() < 0.2:
            name = name.replace("有限公司", "有限责任公司")
        addr = str(f.get("address") or "")
        if addr and rng.random() < 0.5:
            addr = _address(addr, rng)
        out.rows.append([name, _uscc_cell(str(f["uscc"]), rng), f.get("legal_rep"), addr])
        out.truth.append(int(f["entity_id"]))  # type: ignore[call-overload]
    for n in range(max(1, len(chosen) // 20)):
        body = f"91{county}" + "".join(rng.choice("0123456789ABCDEFGH") for _ in range(9))
        name = f"外县新设{n}号{rng.choice(('商贸', '科技', '建材'))}有限公司"
        out.rows.append([name, make_uscc(body), "某某", "外县某镇某村1号"])
        out.truth.append(None)
    return out.shuffled(rng)
