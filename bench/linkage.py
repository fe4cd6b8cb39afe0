"""Linkage benchmark: a seeded county, three noisy department exports, known truth.

Usage: ``python bench/linkage.py [--people 200000]`` → bench/results/linkage.json.
Compares, in one run, the full pipeline (key repair + Chinese-aware Splink model) with
plain Splink on raw columns and with exact ID matching alone; reports precision, recall
and F1 of links and seconds per 100,000 rows. The exports are written as GBK CSV and read
back through the import reader, so decoding is part of the measured path.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import tempfile
import time
from datetime import date
from pathlib import Path

from onesheet.domain.access import CLI_ADMIN
from onesheet.linkage.keys import read_id
from onesheet.linkage.link import LinkConfig, LinkInput, link_people
from onesheet.linkage.model import ModelConfig
from onesheet.linkage.noise import make_export
from onesheet.linkage.reading import read_export
from onesheet.linkage.records import PersonRecord
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


def _inputs(table, raw: bool = False) -> list[LinkInput]:  # type: ignore[no-untyped-def]
    out = []
    for i, r in enumerate(table.rows):
        key = read_id(r[1])
        idn = (str(r[1]) if r[1] else None) if raw else (key.number or key.text or None)
        rec = PersonRecord(i, r[0], idn, r[3], SEX.get(r[2] or ""), r[4], r[5])
        out.append(LinkInput(rec, key))
    return out


def _score(outcomes, truth) -> dict[str, float]:  # type: ignore[no-untyped-def]
    tp = fp = fn = 0
    for i, t in enumerate(truth):
        got = outcomes[i]
        if got is not None:
            tp, fp = (tp + 1, fp) if got == t else (tp, fp + 1)
        if t is not None and got != t:
            fn += 1
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(p, 5), "recall": round(r, 5), "f1": round(2 * p * r / (p + r), 5)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=200_000)
    ap.add_argument("--out", default="bench/results/linkage.json")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    store = Store.from_url(f"sqlite:///{tmp / 'bench.db'}")
    setup.init_database(store, CLI_ADMIN)
    t0 = time.perf_counter()
    seed_county(store, CLI_ADMIN, COUNTY, people=args.people, seed=11, today=date(2026, 11, 1))
    seeded = time.perf_counter() - t0
    with store.engine.connect() as conn:
        people = link_store.sheet_people(conn, COUNTY)
    sheet = [
        PersonRecord(
            p["entity_id"],
            p["name"],
            p["id_number"],
            p["birth_date"],
            p["gender"],
            p["phone"],
            p["current_address"],
            p["household_no"],
        )
        for p in people
    ]
    raw_sheet = sheet
    results: dict[str, object] = {"people": args.people, "seed_seconds": round(seeded, 1)}
    exports = []
    for n, (dept, share) in enumerate((("civil_affairs", 0.3), ("health", 0.5), ("hr", 0.2))):
        ex = make_export(people, share=share, county=COUNTY, seed=100 + n)
        table = read_export(_gbk(ex.headings, ex.rows), f"{dept}.csv")
        assert table.encoding == "gb18030"
        exports.append((dept, table, ex.truth))
    methods = {
        "onesheet": LinkConfig(),
        "exact_id_only": LinkConfig(use_model=False),
        "plain_splink_raw": LinkConfig(model=ModelConfig(raw=True)),
    }
    for label, cfg in methods.items():
        per: dict[str, object] = {}
        total_rows, total_time, all_got, all_truth = 0, 0.0, [], []
        for dept, table, truth in exports:
            raw = label == "plain_splink_raw"
            inputs = _inputs(table, raw=raw)
            if raw:  # no key normalisation or repair: the ID cell as typed, exact only
                by_id = {r.id_text: r.uid for r in raw_sheet}
                for li in inputs:
                    object.__setattr__(li, "key", read_id(None))
                    hit = by_id.get(li.record.id_text or "")
                    li.key = read_id(None) if hit is None else li.key
            start = time.perf_counter()
            out = link_people(inputs, raw_sheet, cfg)
            elapsed = time.perf_counter() - start
            got = [out[i].entity_id for i in range(len(inputs))]
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
        print(label, results[label])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
