"""Realistic sample values for the test forms: people of one county, valid ID numbers.

ID numbers are built the way the police issue them (county code + birth date + sequence
with the sex parity + GB 11643 check digit), so the importer's value evidence is tested on
numbers that pass the real check — Faker's random provinces would not look like a county.
"""

from __future__ import annotations

import datetime as dt
import random

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
)
MALE = "伟强军勇杰涛明超刚平辉建国华斌鹏飞志东海波峰林"
FEMALE = "芳娜敏静丽艳娟霞秀英梅兰玲红燕萍洁琴慧婷雪"
TOWNS = {
    "天荒坪镇": ["余村", "大溪村", "白水湾村", "井村"],
    "梅溪镇": ["荆湾村", "紫梅社区"],
    "递铺街道": ["鲁家村", "吉庆桥村", "阳光社区"],
}
COUNTY_CODE = "330523"
COUNTY = "安吉县"


def id_check(body17: str) -> str:
    return _CHECK[sum(int(a) * w for a, w in zip(body17, _WEIGHTS, strict=True)) % 11]


class Fake:
    """A seeded source of people, phones, addresses and enterprises."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def choice(self, seq):
        return self.r.choice(seq)

    def gender(self) -> str:
        return self.r.choice("男女")

    def name(self, gender: str | None = None) -> str:
        gender = gender or self.gender()
        pool = MALE if gender == "男" else FEMALE
        given = self.r.choice(pool) + (self.r.choice(pool) if self.r.random() < 0.6 else "")
        return self.r.choice(SURNAMES) + given

    def birth(self, min_age: int = 1, max_age: int = 90) -> dt.date:
        today = dt.date(2024, 6, 30)
        age = self.r.randint(min_age, max_age)
        return today - dt.timedelta(days=age * 365 + self.r.randint(0, 364))

    def id_number(self, birth: dt.date, gender: str) -> str:
        """Sequence code odd for men, even for women, then the MOD 11-2 check digit."""
        seq = self.r.randint(1, 499) * 2 - (1 if gender == "男" else 0)
        body = f"{COUNTY_CODE}{birth:%Y%m%d}{seq:03d}"
        return body + id_check(body)

    def mobile(self) -> str:
        return self.r.choice(["135", "138", "139", "150", "158", "177", "187", "199"]) + "".join(
            str(self.r.randint(0, 9)) for _ in range(8)
        )

    def place(self) -> tuple[str, str]:
        town = self.r.choice(list(TOWNS))
        return town, self.r.choice(TOWNS[town])

    def address(self, town: str | None = None, village: str | None = None) -> str:
        if town is None or village is None:
            town, village = self.place()
        return f"{COUNTY}{town}{village}{self.r.randint(1, 12)}组{self.r.randint(1, 80)}号"

    def date_text(self, d: dt.date, style: str) -> str:
        return {
            "dot": f"{d:%Y.%m}",
            "dash": f"{d:%Y-%m-%d}",
            "cn": f"{d.year}年{d.month}月",
            "compact": f"{d:%Y%m%d}",
        }[style]

    def recent(self, years: int = 10) -> dt.date:
        return dt.date(2024, 6, 1) - dt.timedelta(days=self.r.randint(30, years * 365))

    def digits(self, n: int) -> str:
        return "".join(str(self.r.randint(0, 9)) for _ in range(n))

    def uscc(self) -> str:
        chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
        body = (
            self.r.choice(["91", "92", "93"])
            + COUNTY_CODE
            + "".join(self.r.choice(chars[:10] + "MA") for _ in range(9))
        )
        total = sum(chars.index(c) * w for c, w in zip(body, weights, strict=True))
        return body + chars[(31 - total % 31) % 31]
