"""Seeding a synthetic county: the org tree and its people written as observations.

Each value is written as an observation from the department that owns it (公安 identity,
民政 低保, 残联 disability …), exactly as real data would arrive, so the seeded sheet
exercises the same write path, authority rules and rebuild as production data.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from onesheet.domain.access import Actor
from onesheet.domain.findings import InvalidInput, finding
from onesheet.domain.synth import SynthEntity, VillageBatch, generate_county
from onesheet.services.base import Store, service, utcnow
from onesheet.store import audit, ids, orgs
from onesheet.store.observation_log import LogRow
from onesheet.store.recorder import EntityWrite, record, start_batch
from onesheet.store.row_counts import entities_in_county


@dataclass
class SeedResult:
    """What a seed wrote."""

    county_code: str
    org_units: int
    entities: dict[str, int]
    observations: int
    batch_id: int


@service("seed_county", permission="seed.run", audit="seed")
def seed_county(
    store: Store,
    actor: Actor,
    county_code: str,
    *,
    people: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    today: date | None = None,
) -> SeedResult:
    """Generate and write a synthetic county in one transaction (all or nothing)."""
    if not (county_code.isdigit() and len(county_code) == 6):
        raise InvalidInput([finding("seed.county", county_code=county_code)])
    if people < 1:
        raise InvalidInput([finding("seed.people")])
    kwargs = {"today": today} if today else {}
    synth = generate_county(county_code, people, seed, **kwargs)
    counts = {"person": 0, "household": 0, "enterprise": 0, "house": 0}
    with store.transaction() as conn:
        _refuse_if_seeded(conn, county_code)
        added = orgs.insert_orgs(conn, synth.orgs)
        now = utcnow()
        batch_id = ids.allocate(conn, "batch", 1, county_code)[0]
        start_batch(
            conn,
            batch_id,
            kind="seed",
            county_code=county_code,
            source="synthetic",
            actor=actor.username,
            now=now,
            description=f"seed county={county_code} people={people} seed={seed}",
        )
        written = 0
        ref_keys = {f.key for f in store.dictionary.fields.values() if f.type == "ref"}
        for village in synth.villages():
            writes = _writes(conn, village, ref_keys, county_code)
            result = record(
                conn,
                store.dictionary,
                writes,
                county_code=county_code,
                batch_id=batch_id,
                actor=actor.username,
                now=now,
            )
            written += result.observations
            for w in writes:
                counts[w.entity_type] += 1
            if progress:
                progress(sum(1 for e in village.entities if e.entity_type == "person"))
        audit.write_event(
            conn,
            actor,
            "seed",
            now=now,
            county_code=county_code,
            detail=f"people={people} seed={seed} observations={written}",
        )
    return SeedResult(county_code, added, counts, written, batch_id)


def _refuse_if_seeded(conn, county_code: str) -> None:  # type: ignore[no-untyped-def]
    n = entities_in_county(conn, county_code)
    if n:
        raise InvalidInput([finding("seed.exists", county_code=county_code, n=n)])


@functools.lru_cache(maxsize=65536)
def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def _writes(conn, village: VillageBatch, ref_keys: set[str], county: str) -> list[EntityWrite]:  # type: ignore[no-untyped-def]
    block = ids.allocate(conn, "entity", len(village.entities), county)
    id_of = {e.ref: block[i] for i, e in enumerate(village.entities)}
    return [_write(e, id_of[e.ref], id_of, ref_keys) for e in village.entities]


def _write(
    e: SynthEntity, entity_id: int, id_of: dict[str, int], ref_keys: set[str]
) -> EntityWrite:
    # tuple.__new__ skips the NamedTuple's Python-level constructor: millions of rows.
    make = tuple.__new__
    rows = [
        make(
            LogRow,
            (
                entity_id,
                e.entity_type,
                key,
                str(id_of[value]) if key in ref_keys else value,
                "value",
                _midnight(valid_from),
                source,
                None,
            ),
        )
        for key, value, source, valid_from in e.values
    ]
    return EntityWrite(
        entity_id, e.entity_type, e.org_code, rows, is_new=True, natural_key=e.natural_key
    )
