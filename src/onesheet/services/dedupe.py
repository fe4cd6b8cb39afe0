"""Duplicates inside the sheet: find them with the linkage model, merge them on a decision.

``find_duplicates`` trains the same Fellegi–Sunter model the import uses, on the county's
people against themselves (Splink ``dedupe_only``), and queues every pair above the review
threshold as a ``duplicate`` entry of the review queue — never merging by itself, since a
merge joins two people's histories. Two valid, different ID numbers are two people, whatever
the other columns say; a pair already queued (open or decided) is not queued again.

``merge`` applies a person's decision, in one batch, without touching a recorded row:

* the survivor receives the duplicate's values as **new observations** — each source's
  latest value of each field, with that source and its valid-from, so the authority rule
  and conflicts treat them exactly as they treated them on the duplicate;
* the duplicate receives a marker: ``person.merged_into`` = the survivor's id
  whose reason reads ``merged_into=<survivor>``, so it leaves rosters of current residents
  but keeps its whole history;
* the queue entry records the link (``decision_entity_id`` = survivor, the batch).

Scope: an administrator whose account is bound to an org unit searches only its own county
(and only the people of its subtree), and a merge — or its rejection — is refused, nothing
written, unless the entry and both people lie in the actor's subtree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from onesheet.domain import write_scope
from onesheet.domain.access import Actor
from onesheet.domain.findings import refuse
from onesheet.domain.values.idnumber import valid_id_number
from onesheet.linkage import model as lm
from onesheet.linkage.link import LinkConfig
from onesheet.linkage.records import sheet_record, to_arrow
from onesheet.services.base import Store, service, utcnow
from onesheet.services.queue_decision import Audited, OnEntry
from onesheet.store import audit, link_store, observation_log
from onesheet.store.db import Connection
from onesheet.store.observation_log import LogRow
from onesheet.store.recorder import EntityWrite

MERGE_SOURCE = "merge"
MARKER_FIELD = "person.merged_into"
SHOWN = ("name", "id_number", "birth_date", "gender", "phone", "current_address")


@dataclass
class DedupeSummary:
    """What a search for duplicates found."""

    county_code: str
    people: int
    pairs_scored: int = 0
    queued: int = 0
    already_queued: int = 0
    different_ids: int = 0


@dataclass
class MergeResult:
    """What a merge decision did."""

    entry_id: int
    status: str  # merged | rejected
    survivor: int | None
    duplicate: int | None
    batch_id: int | None
    observations: int


def _candidate_pairs(
    people: Sequence[Mapping[str, Any]], config: LinkConfig
) -> tuple[list[lm.Pair], int]:
    """Scored pairs of likely duplicates (pure linkage; no store) and how many were
    dropped because both sides hold valid, different ID numbers."""
    records = [sheet_record(p) for p in people]
    table = to_arrow(records)
    model = lm.train(table, None, config.model)
    number = {r.uid: valid_id_number(r.id_text) for r in records}
    return lm.drop_different_ids(
        lm.score_dedupe(table, model, floor=config.review_at), number, number
    )


@service("link_find_duplicates", permission="link.dedupe", audit="link.dedupe")
def find_duplicates(
    store: Store,
    actor: Actor,
    *,
    county_code: str | None = None,
    config: LinkConfig | None = None,
) -> DedupeSummary:
    """Queue every likely pair of duplicate people in the county for a person to decide."""
    config = config or LinkConfig()
    if county_code:
        write_scope.require_county(actor, county_code)
    with store.transaction() as conn:
        county = county_code or actor.county_code or _only_county(conn)
        people = link_store.sheet_people(conn, county, actor.org_code)
        summary = DedupeSummary(county, len(people))
        pairs, summary.different_ids = _candidate_pairs(people, config)
        summary.pairs_scored = len(pairs)
        seen = link_store.queued_duplicate_pairs(conn, county)
        by_id = {int(p["entity_id"]): p for p in people}
        now, entries = utcnow(), []
        for pair in sorted(pairs, key=lambda p: -p.probability):
            key = (pair.left, pair.right)
            if key in seen:
                summary.already_queued += 1
                continue
            seen.add(key)
            entries.append(_entry(by_id[pair.left], by_id[pair.right], pair, county, now))
        link_store.add_queue_entries(conn, entries)
        summary.queued = len(entries)
        audit.write_event(
            conn,
            actor,
            "link.dedupe",
            now=now,
            county_code=county,
            entity_type="person",
            entity_ids=sorted({i for e in entries for i in _pair_of(e)}),
            detail=json.dumps({"queued": summary.queued, "people": summary.people}),
        )
    return summary


def _only_county(conn: Connection) -> str:
    found = link_store.counties(conn)
    if len(found) != 1:
        refuse("dedupe.county")
    return found[0]


def _entry(
    keep: Mapping[str, Any], dup: Mapping[str, Any], pair: lm.Pair, county: str, now: datetime
) -> dict[str, Any]:
    """A duplicate queue entry: ``record`` shows the duplicate, ``candidates`` the survivor.

    The suggested survivor is the one with a valid ID number (else the older entity).
    """
    if valid_id_number(dup["id_number"]) and not valid_id_number(keep["id_number"]):
        keep, dup = dup, keep
    shown = {f"person.{c}": str(dup[c]) for c in SHOWN if dup.get(c) is not None}
    return {
        "county_code": county,
        "entity_type": "person",
        "kind": "duplicate",
        "source": MERGE_SOURCE,
        "batch_id": None,
        "file": "",
        "row_no": None,
        "record": json.dumps({"entity_id": int(dup["entity_id"]), **shown}, ensure_ascii=False),
        "candidates": json.dumps([[int(keep["entity_id"]), round(pair.probability, 4)]]),
        "best_probability": pair.probability,
        "org_code": dup["org_code"],
        "status": "open",
        "created_at": now,
    }


def _pair_of(entry: Mapping[str, Any]) -> tuple[int, int]:
    record = entry["record"] if isinstance(entry["record"], dict) else json.loads(entry["record"])
    candidates = entry["candidates"]
    if isinstance(candidates, str):
        candidates = json.loads(candidates)
    return int(candidates[0][0]), int(record["entity_id"])


@service("link_merge", permission="link.dedupe", audit="link.merge")
def merge(
    store: Store,
    actor: Actor,
    entry_id: int,
    *,
    reject: bool = False,
    swap: bool = False,
    reason: str = "",
) -> MergeResult:
    """Decide a duplicate entry: merge (the suggested survivor keeps, or the other with
    ``swap``), or ``reject`` (two different people; nothing is written)."""
    with store.transaction() as conn:
        entry = link_store.get_queue_entry(conn, entry_id)
        if entry is None or entry["kind"] != "duplicate":
            refuse("merge.unknown", entry_id=entry_id)
        survivor, duplicate = _pair_of(entry)
        found = link_store.entity_types(conn, [survivor, duplicate])
        deciding = OnEntry(conn, actor, entry)
        deciding.require_open([write_scope.entity(e, org) for e, (_, org) in sorted(found.items())])
        if swap:
            survivor, duplicate = duplicate, survivor
        now = deciding.now
        if reject:
            deciding.close("rejected")
            return MergeResult(entry_id, "rejected", None, None, None, 0)
        if len(found) != 2:
            refuse("merge.entity")
        batch_id, observations = deciding.record(
            store,
            _merge_writes(conn, survivor, duplicate, found, now),
            batch=(
                "merge",
                MERGE_SOURCE,
                f"merge {duplicate} into {survivor} (queue {entry_id}) {reason}".strip(),
            ),
            status="merged",
            entity_id=survivor,
            audited=Audited(
                action="link.merge",
                entity_type="person",
                entity_ids=[survivor, duplicate],
                detail=json.dumps({"entry": entry_id, "survivor": survivor, "merged": duplicate}),
            ),
        )
        return MergeResult(entry_id, "merged", survivor, duplicate, batch_id, observations)


def _merge_writes(
    conn: Connection,
    survivor: int,
    duplicate: int,
    found: Mapping[int, tuple[str, str]],
    now: datetime,
) -> list[EntityWrite]:
    """The survivor's new observations (the duplicate's values, source by source) and the
    duplicate's marker."""
    log = observation_log.for_entities(conn, [survivor, duplicate])
    mine = {
        (key, o.source, o.value) for key, obs in log[survivor].items() for o in obs
    }  # what the survivor already holds: not recorded twice
    rows = []
    for key, obs in log[duplicate].items():
        latest: dict[str, Any] = {}
        for o in obs:  # log order: the last one per source wins
            latest[o.source] = o
        for source, o in latest.items():
            if o.kind != "value" or o.value is None or (key, source, o.value) in mine:
                continue
            rows.append(
                LogRow(
                    survivor,
                    "person",
                    key,
                    o.value,
                    "value",
                    o.valid_from,
                    source,
                    f"merged_from={duplicate}",
                )
            )
    marker = LogRow(
        duplicate,
        "person",
        MARKER_FIELD,
        str(survivor),
        "value",
        now,
        MERGE_SOURCE,
        f"merged_into={survivor}",
    )
    out = [EntityWrite(duplicate, "person", found[duplicate][1], [marker])]
    if rows:
        out.append(EntityWrite(survivor, "person", found[survivor][1], rows))
    return out
