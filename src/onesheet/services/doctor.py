"""``onesheet doctor``: the configuration and the database checked, in plain words.

Each check answers ok / warn / fail with one sentence saying what is wrong and what to do.
It never changes anything.
"""

from __future__ import annotations

import shutil
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from onesheet.domain.access import Actor
from onesheet.services.base import Store, service, utcnow
from onesheet.settings import Settings
from onesheet.store import backup as copies
from onesheet.store import health
from onesheet.store.migrate import current_revision
from onesheet.store.migrations import head_revision

DEFAULT_SECRET = "change-me-in-production"
BACKUP_DAYS = 7


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail
    message: str


@service("doctor", permission="seed.run", audit=None)
def run_checks(store: Store, actor: Actor, settings: Settings) -> list[Check]:
    """Every check, in the order an administrator would fix them."""
    out: list[Check] = []
    engine = store.engine
    kind = copies.backend(engine)
    if settings.secret_key == DEFAULT_SECRET:
        out.append(
            Check("配置 secret_key", "warn", "ONESHEET_SECRET_KEY 仍是默认值；请设为随机长字符串")
        )
    else:
        out.append(Check("配置 secret_key", "ok", "已设置"))
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        out.append(
            Check(
                "监听地址",
                "warn",
                f"服务监听 {settings.host}；应只监听 127.0.0.1，由反向代理（HTTPS）对外",
            )
        )
    first = health.unreachable(engine)
    if first is not None:
        out.append(
            Check("数据库连接", "fail", f"连不上数据库（{first}）；请检查 ONESHEET_DATABASE_URL")
        )
        return out
    out.append(Check("数据库连接", "ok", f"{kind} 可连接"))
    revision, head = current_revision(engine), head_revision()
    if revision is None:
        out.append(Check("数据库结构", "fail", "数据库是空的；请运行 onesheet init"))
        return out
    if revision != head:
        out.append(
            Check(
                "数据库结构",
                "fail",
                f"数据库版本 {revision}，程序需要 {head}；请运行 onesheet init 升级",
            )
        )
        return out
    out.append(Check("数据库结构", "ok", f"版本 {revision}（最新）"))
    out += _sqlite_checks(engine) if kind == "sqlite" else _pg_checks(engine)
    out += _content_checks(store)
    return out


def _sqlite_checks(engine) -> list[Check]:  # type: ignore[no-untyped-def]
    out = []
    path = Path(engine.url.database or "")
    mode = health.sqlite_journal_mode(engine)
    out.append(Check("SQLite 日志模式", "ok" if mode == "wal" else "warn", f"journal_mode={mode}"))
    if path.exists():
        perms = stat.S_IMODE(path.stat().st_mode)
        if perms & 0o007:
            out.append(
                Check(
                    "数据库文件权限", "warn", f"{path} 其他用户可读（{oct(perms)}）；请 chmod 600"
                )
            )
        free = shutil.disk_usage(path.parent).free
        size = path.stat().st_size
        status = "ok" if free > 2 * size + (1 << 30) else "warn"
        out.append(
            Check(
                "磁盘空间",
                status,
                f"剩余 {free >> 20} MiB，数据库 {size >> 20} MiB"
                + ("" if status == "ok" else "；备份和升级需要至少两倍数据库大小的空间"),
            )
        )
    return out


def _pg_checks(engine) -> list[Check]:  # type: ignore[no-untyped-def]
    out = []
    version, shared = health.pg_server(engine)
    out.append(Check("PostgreSQL", "ok", f"服务器 {version}，shared_buffers={shared}"))
    try:
        tool = copies.pg_bin("pg_dump")
        out.append(Check("备份工具", "ok", f"{tool}"))
    except copies.BackupError as exc:
        out.append(Check("备份工具", "warn", str(exc)))
    return out


def _content_checks(store: Store) -> list[Check]:
    out = []
    held = health.contents(store.engine)
    counties, people = held.org_units_by_county, held.people
    admins, pending = held.enabled_admins, held.one_time_passwords
    if not counties:
        out.append(Check("行政区划", "warn", "尚未装入机构；请运行 onesheet orgs load"))
    else:
        text_ = "，".join(f"县 {c} 共 {n} 个机构" for c, n in counties)
        out.append(Check("行政区划", "ok", text_))
    out.append(
        Check(
            "人口",
            "ok" if people else "warn",
            f"{people} 人" if people else "尚无人口；请运行 onesheet bootstrap",
        )
    )
    out.append(
        Check(
            "管理员账号",
            "ok" if admins else "warn",
            f"{admins} 个启用的管理员"
            if admins
            else "没有可登录网页的管理员；请用 onesheet users add 添加",
        )
    )
    if pending:
        out.append(Check("待改密账号", "warn", f"{pending} 个账号仍在使用一次性初始密码"))
    out.append(_backup_check(held.last_backup))
    return out


def _backup_check(last: datetime | None) -> Check:
    if last is None:
        return Check(
            "备份", "warn", "从未用 onesheet backup 备份；请设置每日备份（见 docs/deploy.md）"
        )
    days = (utcnow() - last).days
    if days > BACKUP_DAYS:
        return Check("备份", "warn", f"最近一次备份在 {days} 天前")
    return Check("备份", "ok", f"最近一次备份 {last:%Y-%m-%d %H:%M} (UTC)")
