"""Linkage benchmark: a seeded county, three noisy department exports, known truth.

Usage: ``python bench/linkage.py [--people 200000]`` → bench/results/linkage.json.
Compares, in one run, the full pipeline (key repair + Chinese-aware Splink model) with
plain Splink on raw columns and with exact ID matching alone; reports precision, recall
and F1 of links and seconds per 100,000 rows. The exports are written as GBK CSV and read
back through the import reader, so decoding is part of the measured path.

The ``keyless`` case (issue 13) is a 人社 export as a new user meets it: 3,000 residents and
150 newcomers, 8 % of rows without an ID number, 20 % homophone names, 30 % without a phone
(``noise.make_keyless_export``). There every automatic decision counts: a row linked to the
wrong person and a resident minted as a new person (a duplicate) are both errors, so
``precision`` = right decisions / decisions made without a person (links and new people),
``recall`` = residents linked to themselves / residents (a queued resident is not recalled),
and ``duplicates_minted`` counts new people who were already in the sheet, split into rows
with and without a valid ID number. ``methods`` breaks it down per method (key, repaired,
model, review = queued, new).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy import select

from onesheet.domain.access import CLI_ADMIN
from onesheet.linkage.keys import read_id
from onesheet.linkage.link import LinkConfig, LinkInput, link_people
from onesheet.linkage.model import ModelConfig
from onesheet.linkage.noise import make_export, make_keyless_export
from onesheet.linkage.reading import read_export
from onesheet.linkage.records import PersonRecord, sheet_record
from onesheet.services import setup
from onesheet.services.base import Store
from onesheet.services.seed import seed_county
from onesheet.store import link_store

COUNTY = "330523"
SEX = {"男": "1", "女": "2"}


def _gbk(headings, rows) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headings)
    w.writerows(rows)
    return buf.getvalue().encode("gbk")


def _baseline(**kw) -> LinkConfig:  # type: ignore[no-untyped-def]
    """A baseline mints a new person whenever nobody fits, key or not (as plain pipelines
    do); ``--before`` checkouts predate the switch and always did."""
    if "keyless_new" in LinkConfig.__dataclass_fields__:
        kw["keyless_new"] = True
    return LinkConfig(**kw)


def _inputs(table, raw: bool = False) -> list[LinkInput]:  # type: ignore[no-untyped-def]
    """OneSheet reads the ID cell (normalised, converted, repair candidates); the plain
    baseline gets every cell as exported and the ID text as typed, nothing else."""
    out = []
    for i, r in enumerate(table.rows):
        key = read_id(None if raw else r[1])
        idn = (None if r[1] is None else str(r[1])) if raw else (key.number or key.text or None)
        rec = PersonRecord(i, r[0], idn, r[3], SEX.get(r[2] or ""), r[4], r[5])
        out.append(LinkInput(rec, key))
    return out


def _score(outcomes, truth) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Precision and recall of the links decided without a person; queued rows apart.

    ``outcomes[i]`` is (method, entity id). A queued row is neither a wrong nor a missed
    link: it waits for a person. ``strict_f1`` counts every queued row that is someone as
    missed, for a figure that cannot be bought by queueing.
    """
    tp = fp = fn = queued = queued_someone = 0
    errors: Counter[str] = Counter()
    for (method, got), t in zip(outcomes, truth, strict=True):
        if method == "review":
            queued += 1
            queued_someone += t is not None
            continue
        if got is not None:
            if got == t:
                tp += 1
            else:
                fp += 1
                errors[f"wrong:{method}"] += 1
        if t is not None and got != t:
            fn += 1
            errors[f"missed:{method}"] += 1
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    strict_r = tp / (tp + fn + queued_someone) if tp + fn + queued_someone else 0.0
    return {
        "precision": round(p, 5),
        "recall": round(r, 5),
        "f1": round(_f1(p, r), 5),
        "queued_share": round(queued / len(truth), 5),
        "strict_f1": round(_f1(p, strict_r), 5),
        "errors": dict(sorted(errors.items())),
    }


def _score_keyless(outcomes, truth, keyed) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Every automatic decision scored (see the module docstring); ``keyed[i]``: the row
    carried a valid ID number."""
    right = decided = recalled = residents = queued = 0
    dup_keyed = dup_keyless = 0
    per: dict[str, Counter[str]] = {}
    for (method, got), t, has_key in zip(outcomes, truth, keyed, strict=True):
        c = per.setdefault(method, Counter())
        c["rows"] += 1
        residents += t is not None
        if method == "review":
            queued += 1
            c["resident" if t is not None else "newcomer"] += 1
            continue
        decided += 1
        ok = got == t  # a link to the right person, or a newcomer created
        right += ok
        recalled += ok and t is not None
        c["right" if ok else "wrong"] += 1
        if method == "new" and t is not None:
            c["duplicates"] += 1
            if has_key:
                dup_keyed += 1
            else:
                dup_keyless += 1
    p = right / decided if decided else 0.0
    r = recalled / residents if residents else 0.0
    methods = {
        m: {**dict(c), "precision": round(c["right"] / (c["right"] + c["wrong"]), 5)}
        if c["right"] + c["wrong"]
        else dict(c)
        for m, c in sorted(per.items())
    }
    return {
        "precision": round(p, 5),
        "recall": round(r, 5),
        "f1": round(_f1(p, r), 5),
        "queued_share": round(queued / len(truth), 5),
        "duplicates_minted": dup_keyed + dup_keyless,
        "duplicates_minted_keyless": dup_keyless,
        "methods": methods,
    }


def _keyless(people, sheet, methods, seed: int = 313) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The keyless case, every method on the same export."""
    ex = make_keyless_export(people, county=COUNTY, seed=seed)
    table = read_export(_gbk(ex.headings, ex.rows), "hr_keyless.csv")
    assert table.encoding == "gb18030"
    out: dict[str, object] = {
        "rows": len(ex.rows),
        "rows_without_id": sum(1 for r in table.rows if r[1] is None),
        "rows_without_phone": sum(1 for r in table.rows if r[4] is None),
        "newcomers": sum(1 for t in ex.truth if t is None),
    }
    keyed = [read_id(r[1]).number is not None for r in table.rows]
    for label, cfg in methods.items():
        inputs = _inputs(table, raw=label == "plain_splink_raw")
        start = time.perf_counter()
        res = link_people(inputs, sheet, cfg)
        elapsed = time.perf_counter() - start
        got = [(res[i].method, res[i].entity_id) for i in range(len(inputs))]
        out[label] = {
            **_score_keyless(got, ex.truth, keyed),
            "seconds_per_100k_rows": round(elapsed / len(inputs) * 100_000, 1),
        }
        print("keyless", label, json.dumps(out[label], ensure_ascii=False), flush=True)
    return out


def _enterprises(store) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The enterprise case: a noisy market-regulation export of half the county's
    enterprises (``noise.make_enterprise_export``), linked by USCC, repaired USCC and name +
    address; against exact USCC matching that mints whatever it cannot place."""
    from onesheet.linkage.enterprise import (
        EnterpriseInput,
        EnterpriseRecord,
        link_enterprises,
        read_uscc,
    )
    from onesheet.linkage.noise import make_enterprise_export
    from onesheet.store.schema import sheet_table

    e = sheet_table("enterprise")
    with store.engine.connect() as conn:
        firms = [
            dict(r._mapping)
            for r in conn.execute(
                select(e.c.entity_id, e.c.name, e.c.uscc, e.c.legal_rep, e.c.address).where(
                    e.c.county_code == COUNTY
                )
            )
        ]
    ex = make_enterprise_export(firms, county=COUNTY, seed=77)
    table = read_export(_gbk(ex.headings, ex.rows), "market.csv")
    sheet = [EnterpriseRecord(f["entity_id"], f["name"], f["uscc"], f["address"]) for f in firms]
    keys = [read_uscc(r[1]) for r in table.rows]
    inputs = [
        EnterpriseInput(EnterpriseRecord(i, r[0], k.number or k.text or None, r[3]), k)
        for i, (r, k) in enumerate(zip(table.rows, keys, strict=True))
    ]
    keyed = [k.number is not None for k in keys]
    start = time.perf_counter()
    res = link_enterprises(inputs, sheet)
    elapsed = time.perf_counter() - start
    got = [(res[i].method, res[i].entity_id) for i in range(len(inputs))]
    by_code = {f["uscc"]: f["entity_id"] for f in firms}
    exact = [("key", by_code[k.number]) if k.number in by_code else ("new", None) for k in keys]
    out: dict[str, object] = {
        "enterprises": len(firms),
        "rows": len(inputs),
        "rows_without_code": sum(1 for r in table.rows if r[1] is None),
        "newcomers": sum(1 for t in ex.truth if t is None),
        "onesheet": {
            **_score_keyless(got, ex.truth, keyed),
            "seconds_per_100k_rows": round(elapsed / len(inputs) * 100_000, 1),
        },
        "exact_uscc_only": _score_keyless(exact, ex.truth, keyed),
    }
    print("enterprises", json.dumps(out, ensure_ascii=False), flush=True)
    return out


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=200_000)
    ap.add_argument("--out", default="bench/results/linkage.json")
    ap.add_argument("--db", help="reuse (or keep) the seeded county in this SQLite file")
    ap.add_argument("--only", help="comma-separated methods to run (development)")
    ap.add_argument("--keyless-only", action="store_true", help="only the keyless case")
    ap.add_argument(
        "--before",
        help="results JSON of the same bench run on an earlier checkout (PYTHONPATH=its src): "
        "its keyless case and onesheet figures are kept as keyless_before, onesheet_before",
    )
    args = ap.parse_args()
    db = Path(args.db) if args.db else Path(tempfile.mkdtemp()) / "bench.db"
    store = Store.from_url(f"sqlite:///{db}")
    t0 = time.perf_counter()
    if not db.exists():  # --db names a county seeded by an earlier run: development only
        setup.init_database(store, CLI_ADMIN)
        seed_county(store, CLI_ADMIN, COUNTY, people=args.people, seed=11, today=date(2026, 11, 1))
    seeded = time.perf_counter() - t0
    with store.engine.connect() as conn:
        people = link_store.sheet_people(conn, COUNTY)
    sheet = [sheet_record(p) for p in people]
    results: dict[str, object] = {"people": len(people)}
    results["seed_seconds"] = round(seeded, 1) if seeded > 1 else "seeded by an earlier run (--db)"
    methods = {
        "onesheet": LinkConfig(),
        "exact_id_only": _baseline(use_model=False),
        "plain_splink_raw": _baseline(use_keys=False, model=ModelConfig(raw=True)),
    }
    if args.only:
        methods = {k: v for k, v in methods.items() if k in args.only.split(",")}
    results["enterprise"] = _enterprises(store)
    results["keyless"] = _keyless(people, sheet, methods)
    before = json.loads(Path(args.before).read_text()) if args.before else {}
    if "keyless" in before:
        results["keyless_before"] = before["keyless"]
    _keyless_table(results["keyless"], list(methods))  # type: ignore[arg-type]
    if args.keyless_only:
        Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
        return
    exports = []
    for n, (dept, share) in enumerate((("civil_affairs", 0.3), ("health", 0.5), ("hr", 0.2))):
        ex = make_export(people, share=share, county=COUNTY, seed=100 + n)
        table = read_export(_gbk(ex.headings, ex.rows), f"{dept}.csv")
        assert table.encoding == "gb18030"
        exports.append((dept, table, ex.truth))
    for label, cfg in methods.items():
        per: dict[str, object] = {}
        total_rows, total_time, all_got, all_truth = 0, 0.0, [], []
        for dept, table, truth in exports:
            inputs = _inputs(table, raw=label == "plain_splink_raw")
            start = time.perf_counter()
            out = link_people(inputs, sheet, cfg)
            elapsed = time.perf_counter() - start
            got = [(out[i].method, out[i].entity_id) for i in range(len(inputs))]
            per[dept] = {"rows": len(inputs), "seconds": round(elapsed, 2), **_score(got, truth)}
            total_rows += len(inputs)
            total_time += elapsed
            all_got += got
            all_truth += truth
        results[label] = {
            **_score(all_got, all_truth),
            "rows": total_rows,
            "seconds_per_100k_rows": round(total_time / total_rows * 100_000, 1),
            "exports": per,
        }
        print(label, json.dumps(results[label], ensure_ascii=False), flush=True)
    if "onesheet" in before:
        results["onesheet_before"] = before["onesheet"]
    _table(results, list(methods))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")


def _print_table(
    results: dict[str, object],
    labels: list[str],
    first: str,
    columns: list[tuple[str, str, int, str]],
) -> None:
    """One line per method: ``columns`` are (heading, result key, width, format)."""
    print(f"{first:<18}" + "".join(f"{heading:>{width}}" for heading, _, width, _ in columns))
    for label in labels:
        r = results[label]
        assert isinstance(r, dict)
        print(f"{label:<18}" + "".join(format(r[key], f">{w}{fmt}") for _, key, w, fmt in columns))


_SCORES = [("precision", "precision", 10, ".5f"), ("recall", "recall", 9, ".5f"),
           ("F1", "f1", 9, ".5f"), ("queued", "queued_share", 8, ".2%")]  # fmt: skip


def _keyless_table(results: dict[str, object], labels: list[str]) -> None:
    more = [
        ("dups", "duplicates_minted", 6, ""),
        ("keyless dups", "duplicates_minted_keyless", 13, ""),
    ]
    _print_table(results, labels, "keyless", _SCORES + more)


def _table(results: dict[str, object], labels: list[str]) -> None:
    more = [("strict F1", "strict_f1", 10, ".5f"), ("s/100k", "seconds_per_100k_rows", 8, ".1f")]
    _print_table(results, labels, "method", _SCORES + more)


if __name__ == "__main__":
    main()
