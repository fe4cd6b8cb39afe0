"""Quality and speed of the forms importer on three sets of forms.

Run: ``.venv/bin/python bench/matching.py [--before SRC]``. Writes
``bench/results/matching.json``.

* **dev** — ``tests/forms/files`` with ``tests/forms/truth.json``: the development set the
  importer is tuned on;
* **test** — ``tests/forms/heldout`` with ``tests/forms/heldout_truth.json``: held-out forms
  in other styles, generated once by ``tests/forms/make_heldout.py`` and never tuned on;
* **realforms** — real templates published in public repositories, read from
  ``../shared/realforms`` (skipped when absent; never copied into the repository), with
  hand-written truth in ``tests/forms/realforms_truth.json``. Columns the truth does not
  list are each their own concept: a new field (or nothing) is right, a dictionary field
  is wrong.

Each set's forms are imported in order, feeding the drafts proposed by earlier forms to
later ones (as a county would). Figures per set:

* ``heading_rows`` — share of forms whose heading block is exactly the true rows;
* ``entity`` — share whose entity (person / household / enterprise / house / aggregate) is
  right; ``sheet`` — share read from the right sheet (where the truth names one);
* ``filter`` / ``frequency`` — share whose proposed filter / frequency equals the truth
  (where the truth states them);
* column ``precision`` / ``recall`` over roster columns — a column counts as predicted
  when its status is ``matched`` (its field) or ``new`` (its draft); ``uncertain`` is not
  predicted. A ``new:<concept>`` truth is right when the column's draft is the one draft
  that concept maps to and no other concept shares it;
* **same-field pairwise precision / recall / F1** — over pairs of non-layout columns from
  different forms: truly the same concept vs predicted the same field or draft;
* dev only: aggregate columns (kind and condition equal the truth) and speed — a
  30-column × 5,000-row form against the bare calamine read of the same file.

``--before SRC`` runs the same scoring on another checkout's ``src`` (the importer before
this work) in a subprocess and stores its figures under ``before`` (or, with ``--label
NAME``, under ``baselines.NAME``, keeping the recorded ``before``). ``--only dev,realforms``
scores development sets alone and writes nothing: tuning never needs the test set.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMS = ROOT / "tests" / "forms"
REALFORMS = ROOT.parent / "shared" / "realforms"
RESULTS = ROOT / "bench" / "results" / "matching.json"

_ARGS = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
_ARGS.add_argument("--before", help="another checkout's src/ to score as the baseline")
_ARGS.add_argument(
    "--label",
    default="before",
    help="where --before's figures go: 'before' (the importer before issue 12) or another "
    "name kept under 'baselines' (e.g. round2_start)",
)
_ARGS.add_argument("--src", help=argparse.SUPPRESS)  # internal: score this src, print JSON
_ARGS.add_argument("--errors", action="store_true", help="print the dev set's misses")
_ARGS.add_argument(
    "--only",
    help="comma-separated sets to score (e.g. dev,realforms) and print with their misses; "
    "writes nothing — for development, so tuning never needs to look at the test set",
)
ARGS = _ARGS.parse_args() if __name__ == "__main__" else _ARGS.parse_args([])
sys.path.insert(0, str(Path(ARGS.src).resolve()) if ARGS.src else str(ROOT / "src"))

import python_calamine as pc  # noqa: E402
import xlsxwriter  # noqa: E402

from onesheet.domain.dictionary import load_builtin  # noqa: E402
from onesheet.domain.findings import InvalidInput  # noqa: E402
from onesheet.ingest.importer import analyse_form  # noqa: E402

SETS = {
    "dev": (FORMS / "files", FORMS / "truth.json"),
    "test": (FORMS / "heldout", FORMS / "heldout_truth.json"),
    "realforms": (REALFORMS, FORMS / "realforms_truth.json"),
}


def load_truth(path: Path) -> dict[str, dict]:
    truth = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in truth.items() if not k.startswith("_")}


def import_all(folder: Path, truth: dict[str, dict], dictionary=None) -> dict[str, object]:
    """Analyse every form of a set in truth order, passing drafts forward; a refused file
    is kept as its ``InvalidInput``."""
    dictionary = dictionary or load_builtin()
    drafts: list = []
    out: dict[str, object] = {}
    for name, t in truth.items():
        try:
            a = analyse_form(
                folder / name,
                department=t.get("department", "civil_affairs"),
                dictionary=dictionary,
                drafts=drafts,
            )
        except InvalidInput as exc:
            out[name] = exc
            continue
        drafts.extend(a.drafts)
        out[name] = a
    return out


def _predicted(a) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for m in a.columns:
        if a.spec.kind == "aggregate":
            out[m.letter] = None
        elif m.status == "matched":
            out[m.letter] = m.field
        elif m.status == "new" and m.draft is not None:
            out[m.letter] = m.draft.key
        else:
            out[m.letter] = None
    return out


def _entity(a) -> str:
    return "aggregate" if a.spec.kind == "aggregate" else a.spec.entity


def _share(ok: int, total: int) -> float | None:
    return round(ok / total, 4) if total else None


def score(analyses: dict[str, object], truth: dict[str, dict], *, open_truth: bool) -> dict:
    """All figures for one set. ``open_truth``: unlisted columns are their own concepts."""
    concept_to_draft: dict[str, set[str]] = defaultdict(set)
    rows = []  # (form, letter, truth concept, predicted key)
    errors: list[dict] = []
    forms = heading_ok = entity_ok = 0
    sheet = [0, 0]
    filt = [0, 0]
    freq = [0, 0]
    agg_ok = agg_total = 0
    for name, t in truth.items():
        forms += 1
        a = analyses[name]
        if isinstance(a, InvalidInput):
            errors.append({"form": name, "refused": a.findings[0].code})
            if t.get("sheet"):
                sheet[1] += 1
            continue
        heading_ok += a.header_rows == t["header_rows"]
        if a.header_rows != t["header_rows"]:
            errors.append({"form": name, "header_rows": a.header_rows, "want": t["header_rows"]})
        entity_ok += _entity(a) == t["entity"]
        if _entity(a) != t["entity"]:
            errors.append({"form": name, "entity": _entity(a), "want": t["entity"]})
        if t.get("sheet"):
            sheet[0] += a.sheet == t["sheet"]
            sheet[1] += 1
        if "filter" in t:
            got = a.spec.filter.model_dump(by_alias=True) if a.spec.filter else None
            filt[0] += got == t["filter"]
            filt[1] += 1
            if got != t["filter"]:
                errors.append({"form": name, "filter": got, "want": t["filter"]})
        if "frequency" in t:
            freq[0] += a.spec.frequency == t["frequency"]
            freq[1] += 1
            if a.spec.frequency != t["frequency"]:
                errors.append({"form": name, "frequency": a.spec.frequency, "want": t["frequency"]})
        if t["entity"] == "aggregate" or t.get("kind") == "aggregate":
            for col in a.spec.columns if a.spec.kind == "aggregate" else []:
                expected = t["columns"].get(col.letter)
                if not isinstance(expected, dict):
                    continue
                agg_total += 1
                got = {"kind": col.kind}
                got["field" if expected["kind"] == "field" else "condition"] = (
                    col.field
                    if expected["kind"] == "field"
                    else (col.condition.model_dump(by_alias=True) if col.condition else None)
                )
                agg_ok += got == expected
                if got != expected:
                    errors.append(
                        {"form": name, "letter": col.letter, "want": expected, "got": got}
                    )
            if a.spec.kind != "aggregate":
                agg_total += sum(isinstance(v, dict) for v in t["columns"].values())
            continue
        pred = _predicted(a)
        letters = list(t["columns"])
        if open_truth:
            letters += [x for x in pred if x not in t["columns"]]
        for letter in letters:
            want = t["columns"].get(letter) or f"unique:{name}:{letter}"
            got = pred.get(letter)
            rows.append((name, letter, want, got))
            if (want.startswith("new:") or want.startswith("unique:")) and got:
                concept_to_draft[want].add(got)
    draft_owner: dict[str, set[str]] = defaultdict(set)
    for concept, keys in concept_to_draft.items():
        for k in keys:
            draft_owner[k].add(concept)

    def correct(want: str, got: str | None) -> bool:
        if got is None:
            return False
        if want.startswith(("new:", "unique:")):
            keys = concept_to_draft[want]
            return len(keys) == 1 and draft_owner[got] == {want} and "." in got and _is_draft(got)
        return want == got

    predicted = [r for r in rows if r[3] is not None]
    relevant = [r for r in rows if r[2] != "layout"]
    tp = sum(1 for r in predicted if r[2] != "layout" and correct(r[2], r[3]))
    for r in rows:
        if r[2] != "layout" and not correct(r[2], r[3]):
            if not (r[2].startswith("unique:") and r[3] is None):
                errors.append({"form": r[0], "letter": r[1], "want": r[2], "got": r[3]})
        elif r[2] == "layout" and r[3] is not None:
            errors.append({"form": r[0], "letter": r[1], "want": "layout", "got": r[3]})
    both = same_truth = same_pred = pairs_ok = pairs = 0
    for x, y in itertools.combinations(relevant, 2):
        if x[0] == y[0]:
            continue
        pairs += 1
        t_same = x[2] == y[2]
        p_same = x[3] is not None and x[3] == y[3]
        pairs_ok += t_same == p_same
        same_truth += t_same
        same_pred += p_same
        both += t_same and p_same
    p = both / same_pred if same_pred else 0.0
    r = both / same_truth if same_truth else 0.0
    return {
        "forms": forms,
        "heading_rows": _share(heading_ok, forms),
        "entity": _share(entity_ok, forms),
        "sheet": _share(*sheet),
        "filter": _share(*filt),
        "frequency": _share(*freq),
        "columns": len(relevant),
        "predicted": len(predicted),
        "precision": _share(tp, len(predicted)),
        "recall": _share(tp, len(relevant)),
        "pairs": pairs,
        "pair_accuracy": _share(pairs_ok, pairs),
        "same_field_pairs": same_truth,
        "same_field_precision": round(p, 4),
        "same_field_recall": round(r, 4),
        "same_field_f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
        "aggregate_columns": agg_total,
        "aggregate_accuracy": _share(agg_ok, agg_total),
        "errors": errors,
    }


def _is_draft(key: str) -> bool:
    """A proposed draft key (``person.x_…``), not a dictionary field."""
    return key.split(".", 1)[1].startswith("x_")


def figures(only: set[str] | None = None) -> dict[str, dict]:
    dictionary = load_builtin()
    out: dict[str, dict] = {}
    for name, (folder, truth_path) in SETS.items():
        if only is not None and name not in only:
            continue
        if not folder.is_dir():
            out[name] = {"skipped": f"{folder} not found"}
            continue
        truth = load_truth(truth_path)
        t = time.perf_counter()
        analyses = import_all(folder, truth, dictionary)
        elapsed = time.perf_counter() - t
        out[name] = score(analyses, truth, open_truth=name == "realforms")
        out[name]["all_forms_s"] = round(elapsed, 3)
    return out


def _big_form(path: Path, rows: int = 5000, cols: int = 30) -> None:
    headings = ["序号", "姓名", "性别", "身份证号码", "出生日期", "联系电话", "现住址", "民族",
                "政治面貌", "文化程度", "婚姻状况", "与户主关系", "户籍地址", "工作单位",
                "职业", "健康状况", "是否残疾", "是否低保", "医保类型", "养老保险", "银行账号",
                "开户银行", "村民小组", "户号", "家庭人口数", "兵役状况", "宗教信仰", "籍贯",
                "婚否", "备注"][:cols]  # fmt: skip
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Sheet1")
    ws.merge_range(0, 0, 0, cols - 1, "全县人口基础信息花名册")
    ws.write_row(1, 0, ["填报单位（盖章）：", None, None, None, None, "填报日期："])
    ws.write_row(2, 0, headings)
    for r in range(rows):
        ws.write_row(
            3 + r, 0,
            [r + 1, f"张{r % 97}", "男" if r % 2 else "女", f"33052319{r % 90 + 10:02d}0101123X",
             "1980-01-01", f"138{r:08d}", f"安吉县天荒坪镇余村{r % 12}组", "汉族", "群众", "初中",
             "已婚", "配偶", "安吉县天荒坪镇余村", "某某厂", "工人", "健康", "否", "否",
             "城乡居民医保", "城乡居民养老保险", f"6228{r:015d}", "农商银行", f"{r % 12}组",
             f"H{r:06d}", 3, "未服兵役", "无", "浙江安吉", "已婚", ""][:cols],
        )  # fmt: skip
    ws.write_row(3 + rows + 1, 0, ["填表人：", None, "审核人：", None, "联系电话："])
    wb.close()


def timing() -> dict[str, float]:
    dictionary = load_builtin()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.xlsx"
        _big_form(path)
        size = path.stat().st_size

        def bare() -> None:
            book = pc.CalamineWorkbook.from_path(str(path))
            book.get_sheet_by_index(0).to_python()
            book.close()

        def full() -> None:
            analyse_form(path, department="statistics", dictionary=dictionary)

        def best(fn) -> float:
            times = []
            for _ in range(3):
                t = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t)
            return min(times)

        full()  # warm the field index and pinyin tables
        t_bare, t_full = best(bare), best(full)
    return {
        "load_avg_1m": round(os.getloadavg()[0], 2),  # the machine is shared: read with it
        "rows": 5000,
        "columns": 30,
        "file_bytes": size,
        "bare_read_s": round(t_bare, 4),
        "import_s": round(t_full, 4),
        "ratio": round(t_full / t_bare, 2),
    }


_SHOWN = ("forms", "heading_rows", "entity", "sheet", "filter", "frequency", "precision",
          "recall", "same_field_precision", "same_field_recall", "same_field_f1",
          "aggregate_accuracy")  # fmt: skip


def _cell(v: object) -> str:
    return "-" if v is None else str(v)


def _print(result: dict) -> None:
    names = [n for n in SETS if "skipped" not in result[n]]
    print(f"{'':22}" + "".join(f"{n:>12}" for n in names))
    for key in _SHOWN:
        cells = []
        for n in names:
            v = result[n].get(key)
            cells.append(f"{'-' if v is None else v:>12}")
        print(f"{key:22}" + "".join(cells))


def main() -> None:
    if ARGS.src:  # the baseline run: figures only, as JSON on stdout
        print(json.dumps(figures(), ensure_ascii=False))
        return
    if ARGS.only:
        chosen = set(ARGS.only.split(","))
        if "test" in chosen:
            sys.exit("--only is for development sets; score the test set with a full run")
        got = figures(chosen)
        names = [n for n in SETS if n in got and "skipped" not in got[n]]
        print(f"{'':22}" + "".join(f"{n:>12}" for n in names))
        for key in _SHOWN:
            print(f"{key:22}" + "".join(f"{_cell(got[n].get(key)):>12}" for n in names))
        for n in names:
            for e in got[n]["errors"]:
                print(f"  {n} miss:", json.dumps(e, ensure_ascii=False))
        return
    result: dict[str, object] = figures()
    if ARGS.before:
        done = subprocess.run(
            [sys.executable, __file__, "--src", ARGS.before],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )  # fmt: skip
        before = json.loads(done.stdout)
        figs_only = {
            n: {k: v for k, v in figs.items() if k != "errors"} for n, figs in before.items()
        }
    old = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    for key in ("before", "baselines"):  # keep the recorded baselines
        if key in old:
            result[key] = old[key]
    if ARGS.before and ARGS.label == "before":
        result["before"] = figs_only
    elif ARGS.before:
        result.setdefault("baselines", {})[ARGS.label] = figs_only  # type: ignore[index]
    result["speed"] = timing()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if "before" in result:
        print("before:")
        _print(result["before"])  # type: ignore[arg-type]
    for label, figs in result.get("baselines", {}).items():  # type: ignore[union-attr]
        print(f"{label}:")
        _print(figs)
    print("now:")
    _print(result)
    s = result["speed"]
    print(f"{'import 30x5000':22} {s['import_s']}s vs bare read {s['bare_read_s']}s "
          f"(×{s['ratio']})")  # fmt: skip
    if ARGS.errors:
        for e in result["dev"]["errors"]:  # type: ignore[index]
            print("  dev miss:", json.dumps(e, ensure_ascii=False))


if __name__ == "__main__":
    main()
