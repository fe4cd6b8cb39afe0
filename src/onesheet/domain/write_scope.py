"""Writes obey scope like reads: who may write about which entities, and as which source.

Pure rules shared by every write path (import, task save, correction and settlement, queue
decision, merge). A write names every entity it touches — the entity itself, a person it links
to, a household or house it points at, a new person's home — and is refused whole when any of
them lies outside the actor's subtree (an org-code prefix); the refusal names each offending
row or entity and nothing is written.

The source of an observation is the actor's own: a department user writes as its department,
village and town staff as the grassroots collection (``village``). Only an administrator may
write on a department's behalf, and the caller records that in its audit event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from onesheet.domain.access import AccessDenied, Actor, org_in_scope

GRASSROOTS = "village"  # the departments.yaml key of the values cadres record themselves
SHOWN = 10  # offending items named in a message; the rest are counted


@dataclass(frozen=True)
class Touched:
    """One row or entity a write would touch, and the org unit it lies in (None: unknown)."""

    label_zh: str
    label_en: str
    org_code: str | None


class OutOfScope(AccessDenied):
    """Some of what a write touches lies outside the actor's subtree; nothing was written."""

    def __init__(self, actor: Actor, items: list[Touched]) -> None:
        self.items = items
        more = len(items) - SHOWN
        zh = "；".join(i.label_zh for i in items[:SHOWN]) + (
            f"；另有 {more} 项" if more > 0 else ""
        )
        en = "; ".join(i.label_en for i in items[:SHOWN]) + (
            f"; and {more} more" if more > 0 else ""
        )
        super().__init__(
            f"不在您的管辖范围内，本次未写入任何数据：{zh}",
            f"outside {actor.username}'s scope, nothing was written: {en}",
        )


def require_all(actor: Actor, touched: Iterable[Touched]) -> None:
    """Raise OutOfScope naming every item outside the actor's subtree (or of unknown place)."""
    outside = [t for t in touched if t.org_code is None or not org_in_scope(actor, t.org_code)]
    if outside:
        raise OutOfScope(actor, outside)


def entity(entity_id: int, org_code: str | None) -> Touched:
    return Touched(f"编号 {entity_id}", f"entity {entity_id}", org_code)


def row(row_no: int | None, org_code: str | None, why_zh: str = "", why_en: str = "") -> Touched:
    zh = f"第 {row_no} 行" + (f"（{why_zh}）" if why_zh else "")
    en = f"row {row_no}" + (f" ({why_en})" if why_en else "")
    return Touched(zh, en, org_code)


def require_county(actor: Actor, county_code: str) -> None:
    """A county named by the caller must be the actor's own (any county for the operator)."""
    if actor.org_code is not None and county_code != actor.county_code:
        raise AccessDenied(
            f"县级代码 {county_code} 不是您所在的县（{actor.county_code}）",
            f"county {county_code} is not {actor.username}'s county ({actor.county_code})",
        )


def own_source(actor: Actor, requested: str | None) -> str:
    """The source an actor's observations carry; ``requested`` is the key the caller named.

    A department user writes only as its own department; village and town staff only as the
    grassroots collection; an administrator may name any source (a write on that
    department's behalf, which the caller audits). Anyone else naming another source is
    refused rather than silently re-labelled.
    """
    if actor.role == "admin":
        return requested or GRASSROOTS
    if actor.role == "department":
        if not actor.department:
            raise AccessDenied(
                "此部门账号未关联部门，不能写入数据",
                f"department user {actor.username} has no department: it may not write",
            )
        own = actor.department
    else:
        own = GRASSROOTS
    if requested and requested != own:
        if actor.role == "department":
            raise AccessDenied(
                f"部门用户只能以本部门（{own}）的名义写入数据，不能以 {requested} 的名义",
                f"a department user writes only as its own department ({own}), not {requested}",
            )
        raise AccessDenied(
            f"村（社区）和乡镇（街道）工作人员只能以村（社区）采集的名义写入数据，"
            f"不能以部门 {requested} 的名义",
            f"village and town staff write only as the village collection, "
            f"not as department {requested}",
        )
    return own


def on_behalf(actor: Actor, source: str) -> bool:
    """Whether an administrator writes in a department's name (audited as such)."""
    return actor.role == "admin" and source != GRASSROOTS
