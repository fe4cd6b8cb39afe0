"""A province of counties (issue 18): the layout steps, province counts, cross-county linkage.

The layout steps (``partition``, ``add_shard``, ``add_county``, ``layout``) turn a
coordinator PostgreSQL database into the province layout of ``store/province.py``; they are
the installation administrator's (``users.manage``), as ``init`` is. ``counts`` is the
province aggregate: people and households per county through the partitioned parents, one
statement that PostgreSQL runs partition-wise (on the shard for a foreign county); an
actor bound to a county sees only that county's line.

``link_counties`` finds people registered in two counties. Within one county an ID number
is unique (the partition's key), across counties it is not: the same person can be an
entity of county A and another of county B. Each pair of counties is scored with the
county import's own model, trained on the two counties' people with the ID numbers both hold
as labels, and scored by an *engine*: ``duckdb`` (the default, in process) or ``spark``
(Splink's Spark backend, ``linkage/spark.py``: the two counties' people written as Parquet,
scored on a Spark session — local mode by default — with the model's SQL in Spark's dialect).
PySpark is the optional extra ``onesheet[spark]`` and needs a JRE; asking for ``spark``
without them is refused with a catalogued finding before anything is read.
Every likely pair goes to **both** counties' review queues as a ``county`` entry — in A's
queue the record is B's person (with B's values, the evidence and B's entity id) and the
candidate is A's own person, and the other way round — and nothing is merged: each
county's staff decide their own entry within their own scope (``linkage_queue.decide``),
and a decision writes nothing into the other county. A pair queued once (open or decided)
is not queued again; two valid, different ID numbers are two people whatever else agrees.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations
from typing import Any

import pyarrow as pa

from onesheet.domain.access import AccessDenied, Actor
from onesheet.domain.findings import refuse
from onesheet.domain.values.idnumber import valid_id_number
from onesheet.linkage import evidence
from onesheet.linkage import model as lm
from onesheet.linkage import spark as spark_engine
from onesheet.linkage.link import LinkConfig
from onesheet.linkage.records import sheet_record, to_arrow
from onesheet.services.base import Store, service, utcnow
from onesheet.store import audit, link_store
from onesheet.store import province as layout_store
from onesheet.store.engine import make_engine

Scorer = Callable[[pa.Table, pa.Table, dict[str, Any], float], list[lm.Pair]]
"""(left county's people, right county's people, trained model, floor) → scored pairs."""

KIND = "county"  # link_queue.kind of a cross-county entry
SOURCE = "province"  # its source: the province linkage run, not a department
SHOWN = ("name", "id_number", "birth_date", "gender", "phone", "current_address")

Shard = layout_store.Shard
SparkOptions = spark_engine.SparkOptions
ProvinceError = layout_store.ProvinceError


ENGINES = ("duckdb", "spark")


def _duckdb_scorer(left: pa.Table, right: pa.Table, model: dict[str, Any], floor: float):  # type: ignore[no-untyped-def]
    """The default scorer: the county import's ``linkage/model.score`` on DuckDB."""
    return lm.score(left, right, model, floor=floor)


def _engine_scorer(engine: str, spark: SparkOptions | None = None) -> Scorer:
    """The scorer of ``engine`` (``duckdb`` or ``spark``); ``spark`` is checked here, so a run
    that cannot start Spark is refused before any county is read."""
    if engine == "duckdb":
        return _duckdb_scorer
    if engine == "spark":
        spark_engine.require_spark()
        return spark_engine.SparkScorer(spark)
    refuse("province.engine", engine=engine, engines=", ".join(ENGINES))


# --- the layout ------------------------------------------------------------------------------


@service("province_partition", permission="users.manage", audit=None)
def partition(store: Store, actor: Actor) -> list[str]:
    """Turn the initialised, still empty coordinator into partitioned parents; the tables
    converted (none when already done)."""
    return layout_store.partition_coordinator(store.engine)


@service("province_add_shard", permission="users.manage", audit=None)
def add_shard(store: Store, actor: Actor, shard: Shard) -> None:
    """Declare a second PostgreSQL cluster (a postgres_fdw server and user mapping)."""
    layout_store.add_shard(store.engine, shard)


@service("province_add_county", permission="users.manage", audit=None)
def add_county(
    store: Store,
    actor: Actor,
    county_code: str,
    *,
    shard: str | None = None,
    shard_url: str | None = None,
) -> list[str]:
    """Attach a county's partitions: local, or on ``shard`` (a declared server) as foreign
    tables — with ``shard_url`` the shard's own tables for the county are made first.
    Returns the partitions created (none when the county is attached already)."""
    if shard_url and not shard:
        raise ProvinceError("--shard-url needs --shard (the declared server's name)")
    if shard and shard_url:
        shard_engine = make_engine(shard_url)
        try:
            layout_store.prepare_shard(shard_engine, county_code)
        finally:
            shard_engine.dispose()
    return layout_store.add_county(store.engine, county_code, shard=shard)


@service("province_layout", permission="users.manage", audit=None)
def layout(store: Store, actor: Actor) -> dict[str, str | None]:
    """county → the shard server holding it (None: on the coordinator)."""
    with store.engine.connect() as conn:
        return layout_store.counties(conn)


# --- province counts -------------------------------------------------------------------------


@service("province_counts", permission="reports.run", audit=None)
def counts(store: Store, actor: Actor) -> list[layout_store.CountyCount]:
    """People and households per county: the province aggregate, through
    the parents (partition-wise on the province layout; the same SQL on one database).
    Counts only, no personal data. An actor bound to a county gets that county's line."""
    with store.reading() as conn:
        rows = layout_store.county_counts(conn)
    if actor.org_code is not None:
        rows = [r for r in rows if r.county_code == actor.county_code]
    return rows


# --- cross-county linkage --------------------------------------------------------------------


@dataclass
class CrossCountySummary:
    """What one province linkage run did."""

    counties: list[str]
    people: dict[str, int]
    engine: str = "duckdb"
    pairs_scored: int = 0
    different_ids: int = 0
    pairs_queued: int = 0  # each queued pair is two entries, one per county
    already_queued: int = 0
    queued: dict[str, int] = field(default_factory=dict)  # entries added per county
    seconds: float = 0.0


def _score_counties(
    left: Sequence[Mapping[str, Any]],
    right: Sequence[Mapping[str, Any]],
    config: LinkConfig,
    scorer: Scorer = _duckdb_scorer,
) -> tuple[list[lm.Pair], int]:
    """Pairs (left person, right person) of two counties at or above ``review_at``, and how
    many were dropped for holding valid, different ID numbers. The model is trained as an
    import trains it: u from random pairs, m from the pairs the same valid ID number ties
    (EM when there are too few of them)."""
    a, b = [sheet_record(p) for p in left], [sheet_record(p) for p in right]
    if not a or not b:
        return [], 0
    ta, tb = to_arrow(a), to_arrow(b)
    number_a = {r.uid: valid_id_number(r.id_text) for r in a}
    number_b = {r.uid: valid_id_number(r.id_text) for r in b}
    holder_b = {n: uid for uid, n in number_b.items() if n}
    labels = [(uid, holder_b[n]) for uid, n in number_a.items() if n in holder_b]
    model = lm.train(ta, tb, config.model, labels=labels)
    return lm.drop_different_ids(scorer(ta, tb, model, config.review_at), number_a, number_b)


def _entry(
    own: Mapping[str, Any],
    other: Mapping[str, Any],
    other_county: str,
    pair: lm.Pair,
    now: datetime,
) -> dict[str, Any]:
    """``own``'s county's entry: the record is the other county's person, the candidate
    ``own`` with the evidence, the entry placed at ``own``'s org unit (its staff decide)."""
    shown = {f"person.{c}": str(other[c]) for c in SHOWN if other.get(c) is not None}
    record = {
        **shown,
        "_reason": "other_county",
        "_other": {"county": other_county, "entity_id": int(other["entity_id"])},
    }
    ev = evidence.compare(sheet_record(other), sheet_record(own))
    return {
        "county_code": own["county_code"],
        "entity_type": "person",
        "kind": KIND,
        "source": SOURCE,
        "batch_id": None,
        "file": other_county,
        "row_no": None,
        "record": json.dumps(record, ensure_ascii=False),
        "candidates": json.dumps([[int(own["entity_id"]), round(pair.probability, 4), ev]]),
        "best_probability": pair.probability,
        "org_code": own["org_code"],
        "status": "open",
        "created_at": now,
    }


@service("province_link", permission="link.dedupe", audit="link.province")
def link_counties(
    store: Store,
    actor: Actor,
    *,
    counties: Sequence[str] | None = None,
    config: LinkConfig | None = None,
    engine: str = "duckdb",
    spark: SparkOptions | None = None,
    scorer: Scorer | None = None,
) -> CrossCountySummary:
    """Find people registered in two counties and queue each pair in both counties' review
    queues (never merged). Province-wide work: an actor bound to one county is refused.
    ``engine`` scores (``duckdb`` or ``spark`` with ``spark``'s options; the same pairs);
    ``scorer`` replaces it with any other."""
    import time

    if actor.org_code is not None:
        raise AccessDenied(
            "跨县关联只能由省级管理员运行", "cross-county linkage is for a province administrator"
        )
    scorer = scorer or _engine_scorer(engine, spark)
    config = config or LinkConfig()
    started = time.perf_counter()
    with link_store.snapshot(store.engine) as conn:
        chosen = sorted(counties) if counties else sorted(link_store.counties(conn))
        people = {c: link_store.sheet_people(conn, c) for c in chosen}
    summary = CrossCountySummary(chosen, {c: len(p) for c, p in people.items()}, engine)
    scored: list[tuple[str, str, lm.Pair]] = []
    for ca, cb in combinations(chosen, 2):
        pairs, different = _score_counties(people[ca], people[cb], config, scorer)
        summary.pairs_scored += len(pairs) + different
        summary.different_ids += different
        scored += [(ca, cb, p) for p in pairs]
    by_id = {int(p["entity_id"]): {**p, "county_code": c} for c, ps in people.items() for p in ps}
    now = utcnow()
    with store.transaction() as conn:
        seen = {c: link_store.queued_county_pairs(conn, c) for c in chosen}
        entries: list[dict[str, Any]] = []
        for ca, cb, pair in sorted(scored, key=lambda s: -s[2].probability):
            a, b = by_id[pair.left], by_id[pair.right]
            if (pair.left, pair.right) in seen[ca] and (pair.right, pair.left) in seen[cb]:
                summary.already_queued += 1
                continue
            summary.pairs_queued += 1
            for own, other, county, other_county in ((a, b, ca, cb), (b, a, cb, ca)):
                key = (int(own["entity_id"]), int(other["entity_id"]))
                if key in seen[county]:
                    continue
                seen[county].add(key)
                entries.append(_entry(own, other, other_county, pair, now))
                summary.queued[county] = summary.queued.get(county, 0) + 1
        link_store.add_queue_entries(conn, entries)
        audit.write_event(
            conn,
            actor,
            "link.province",
            now=now,
            entity_type="person",
            entity_ids=sorted({i for ca, cb, p in scored for i in (p.left, p.right)}),
            detail=json.dumps(
                {"counties": chosen, "queued": summary.queued, "pairs": summary.pairs_queued}
            ),
        )
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary
