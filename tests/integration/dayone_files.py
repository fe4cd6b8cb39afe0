"""Files a county brings on day one, written the way they are published.

The division codes are the real 安吉县 (330523) rows of the packaged ``divisions.csv`` (NBS
statistical codes, see ``src/onesheet/data/SOURCES.md``) in the NBS 12-digit layout. The
sample carries no 城乡分类代码, so the classes here are made up for the tests (社区 111, 村
220). Grids, households, people and accounts are invented.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from onesheet.domain.synth.reference import divisions

COUNTY = "330523"


def division_rows(county: str = COUNTY) -> list[tuple[str, str, str]]:
    """(12-digit code, name, class) in the published layout, county row first."""
    out = []
    for code, d in divisions().items():
        if not code.startswith(county):
            continue
        klass = ""
        if d.level == "village":
            klass = "111" if d.name.endswith(("居委会", "居民委员会")) else "220"
        out.append((code.ljust(12, "0"), d.name, klass))
    return out


def write_divisions(
    path: Path, rows: list[tuple[str, str, str]] | None = None, encoding: str = "utf-8"
) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["统计用区划代码", "城乡分类代码", "名称"])
    for code, name, klass in rows if rows is not None else division_rows():
        w.writerow([code, klass, name])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def villages(county: str = COUNTY) -> list[str]:
    return [c for c, _, _ in division_rows(county) if not c.endswith("000")]


def write_grids(path: Path, per_village: int = 2) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["网格编码", "网格名称", "所属村（社区）代码"])
        for v in villages():
            for i in range(1, per_village + 1):
                w.writerow([f"{v}{i:03d}", f"第{i}网格", v])
    return path


DEPARTMENTS = ("公安局", "民政局", "人社局", "卫健局", "残联")


def account_rows(total: int = 600) -> list[list[str]]:
    """[姓名, 手机, 角色, 机构代码, 部门]: mostly village cadres, then town staff, then
    department staff, spread over the sample's villages and towns."""
    vs = villages()
    towns = sorted({v[:9] for v in vs})
    rows = []
    for i in range(total):
        phone = f"139{i:08d}"
        name = f"干部{i:04d}"
        if i < total - total // 10:
            rows.append([name, phone, "村干部", vs[i % len(vs)], ""])
        elif i < total - total // 40:
            rows.append([name, phone, "乡镇", towns[i % len(towns)], ""])
        else:
            rows.append([name, phone, "部门", COUNTY, DEPARTMENTS[i % len(DEPARTMENTS)]])
    return rows


def write_accounts(path: Path, rows: list[list[str]] | None = None) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["姓名", "手机", "角色", "机构代码", "部门"])
        w.writerows(rows if rows is not None else account_rows())
    return path


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂"
RELATIONS = ("配偶", "长子", "长女", "次子", "母亲", "孙子")


def household_rows(households: int = 60, county: str = COUNTY) -> list[list[str]]:
    """[户号, 户主, 与户主关系, 姓名, 身份证号, 住址, 所属村/社区]: 1–4 people a household,
    the head first, spread over the sample's villages; a third name their village only in
    the address (the village column left empty)."""
    from datetime import date

    from onesheet.domain.synth.orgs import village_name
    from onesheet.domain.values.idnumber import make_id_number

    vs = [(c, d.name) for c, d in divisions().items() if c.startswith(county) and len(c) == 12]
    towns = {c: d.name for c, d in divisions().items() if c.startswith(county) and len(c) == 9}
    rows = []
    seq = 0
    for h in range(households):
        code, committee = vs[h % len(vs)]
        place, _ = village_name(committee)
        address = f"浙江省湖州市安吉县{towns[code[:9]]}{place}{h % 7 + 1}组{h + 1}号"
        size = 1 + h % 4
        head = ""
        for m in range(size):
            seq += 1
            name = SURNAMES[h % len(SURNAMES)] + GIVEN[(h + m) % len(GIVEN)]
            birth = date(1950 + (h * 7 + m * 11) % 60, 1 + m % 12, 1 + h % 28)
            number = make_id_number(county, birth, seq % 999 + 1)
            if m == 0:
                head = name
            relation = "户主" if m == 0 else RELATIONS[(m - 1) % len(RELATIONS)]
            column = "" if h % 3 == 2 else committee
            rows.append([f"33052300{h:05d}", head, relation, name, number, address, column])
    return rows


def write_households(path: Path, rows: list[list[str]] | None = None, encoding="utf-8") -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["户号", "户主", "与户主关系", "姓名", "身份证号", "住址", "所属村/社区"])
    w.writerows(rows if rows is not None else household_rows())
    path.write_bytes(buf.getvalue().encode(encoding))
    return path
