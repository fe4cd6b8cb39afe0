"""Village responsibility lists (村级事项清单) as data, and the verdict on a template's matter.

A county reform lists what a village committee does: main duties (主责), duties it assists
with (协助), certificates it may issue (证明), and a negative list (负面清单) of matters that
may not be pushed down to a village at all. Each item has a stable ``code`` so a template can
name the matter it serves; the Gate refuses a negative-list matter outright and asks the
reviewer for a reason when the matter is on no list.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from onesheet.domain.findings import Finding, InvalidInput, finding

LIST_KINDS = ("main", "assist", "negative", "certificate")
LIST_LABELS_ZH = {
    "main": "主责事项",
    "assist": "协助事项",
    "negative": "负面清单",
    "certificate": "证明事项",
}
_CODE_PREFIX = {"main": "ZZ", "assist": "XZ", "negative": "FM", "certificate": "ZM"}
_KIND_ALIASES = {
    "主责": "main",
    "主责事项": "main",
    "协助": "assist",
    "协助事项": "assist",
    "负面": "negative",
    "负面清单": "negative",
    "证明": "certificate",
    "证明事项": "certificate",
}


@dataclass(frozen=True)
class Item:
    """One matter on one of a county's lists."""

    code: str
    list_kind: str
    category: str
    item: str
    source: str = ""

    @property
    def label_zh(self) -> str:
        return LIST_LABELS_ZH.get(self.list_kind, self.list_kind)


@dataclass(frozen=True)
class MatterVerdict:
    """What the lists say about a template's matter: may it be approved, and on what terms."""

    code: str  # ok | needs_reason | refused
    matter: str | None
    item: Item | None
    message_zh: str
    message_en: str

    def to_json(self, *, english: bool = True) -> dict[str, str | None]:
        """The verdict as a review's JSON shows it: the gate's review in both languages,
        a demand's review (read by Chinese pages only) without ``message_en``."""
        out = {
            "code": self.matter,
            "verdict": self.code,
            "list": self.item.list_kind if self.item else None,
            "item": self.item.item if self.item else None,
            "message_zh": self.message_zh,
        }
        if english:
            out["message_en"] = self.message_en
        return out


def parse_lists(text: str, filename: str = "responsibility_lists.csv") -> list[Item]:
    """Items from CSV text (``code,list,category,item,source``; ``code`` optional).

    Rows without a code get ``<prefix><nnn>`` in file order per list, so the packaged
    sample and a county's own file both work. A bad row is refused with its row number.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or not {"list", "item"} <= set(reader.fieldnames):
        raise InvalidInput([finding("lists.header", file=filename, row=1)])
    items: list[Item] = []
    findings: list[Finding] = []
    counters: dict[str, int] = {}
    for row_no, row in enumerate(reader, start=2):
        kind = _kind(row.get("list") or "")
        text_item = (row.get("item") or "").strip()
        if kind is None or not text_item:
            findings.append(_bad_row(row, filename, row_no))
            continue
        counters[kind] = counters.get(kind, 0) + 1
        code = (row.get("code") or "").strip() or f"{_CODE_PREFIX[kind]}{counters[kind]:03d}"
        items.append(
            Item(
                code, kind, (row.get("category") or "").strip(), text_item, row.get("source") or ""
            )
        )
    codes = [i.code for i in items]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        findings.append(
            finding(
                "lists.duplicate_code",
                dupes="、".join(dupes),
                dupes_en=", ".join(dupes),
                file=filename,
            )
        )
    if findings:
        raise InvalidInput(findings)
    return items


def _kind(raw: str) -> str | None:
    raw = raw.strip()
    return raw if raw in LIST_KINDS else _KIND_ALIASES.get(raw)


def _bad_row(row: dict[str, str | None], filename: str, row_no: int) -> Finding:
    return finding(
        "lists.bad_row",
        list_kinds="/".join(LIST_KINDS),
        row_no=row,
        list_kinds_en=", ".join(LIST_KINDS),
        file=filename,
        row=row_no,
        column="list",
    )


def packaged_lists() -> list[Item]:
    """The sample lists shipped in ``data/`` (modelled on a real county reform)."""
    text = resources.files("onesheet.data").joinpath("responsibility_lists.csv").read_text("utf-8")
    return parse_lists(text, "responsibility_lists.csv")


def verdict(matter: str | None, items: Iterable[Item]) -> MatterVerdict:
    """``refused`` for a negative-list matter; ``needs_reason`` if unnamed or unlisted."""
    if not matter:
        return MatterVerdict(
            "needs_reason",
            None,
            None,
            "模板未写明所服务的村级事项，审核人须说明准入理由",
            "the template names no village matter; the reviewer must give a reason",
        )
    found = next((i for i in items if i.code == matter), None)
    if found is None:
        return MatterVerdict(
            "needs_reason",
            matter,
            None,
            f"事项 {matter} 不在本县村级事项清单中，审核人须说明准入理由",
            f"matter {matter} is on none of the county's lists; the reviewer must give a reason",
        )
    if found.list_kind == "negative":
        return MatterVerdict(
            "refused",
            matter,
            found,
            f"事项 {matter}（{found.item}）属于负面清单，不得交由村（社区）承担，不能准入",
            f"matter {matter} is on the negative list: it may not be pushed to villages",
        )
    return MatterVerdict(
        "ok",
        matter,
        found,
        f"事项 {matter} 属于{found.label_zh}：{found.category}／{found.item}",
        f"matter {matter} is a {found.list_kind} item: {found.category} / {found.item}",
    )
