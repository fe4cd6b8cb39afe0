"""``onesheet province``: the province layout (PostgreSQL partitions, a second cluster through
postgres_fdw), province counts and cross-county linkage — a shell over ``services/province``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from onesheet.cli.common import actor, console, fail, friendly_errors, open_store, print_json
from onesheet.services import province

app = typer.Typer(
    help="省级布局：按县分区、第二集群、跨县关联 (province: partitions, shards, linkage)",
    no_args_is_help=True,
)


@contextmanager
def _errors() -> Iterator[None]:
    with friendly_errors():
        try:
            yield
        except province.ProvinceError as exc:
            fail(str(exc))


@app.command("partition")
def partition() -> None:
    """把（已初始化、尚无数据的）库的对象表改为按县分区 (turn the entity tables into parents)."""
    with _errors():
        done = province.partition(open_store(), actor())
    console.print("已分区 partitioned: " + (", ".join(done) or "（已是分区表 already）"))


@app.command("add-shard")
def add_shard(
    name: Annotated[str, typer.Argument(help="集群名 (server name, e.g. shard_b)")],
    host: Annotated[str, typer.Option(help="主机")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口")] = 5432,
    dbname: Annotated[str, typer.Option(help="数据库名")] = "onesheet",
    user: Annotated[str, typer.Option(help="登录名")] = "postgres",
    password: Annotated[str | None, typer.Option(help="口令")] = None,
) -> None:
    """登记第二个 PostgreSQL 集群 (declare a second cluster: postgres_fdw server)."""
    with _errors():
        province.add_shard(
            open_store(), actor(), province.Shard(name, host, port, dbname, user, password)
        )
    console.print(f"集群 {name} 已登记 (shard declared)")


@app.command("add-county")
def add_county(
    county: Annotated[str, typer.Argument(help="县级代码")],
    shard: Annotated[str | None, typer.Option(help="放在哪个集群（默认本库）")] = None,
    shard_url: Annotated[
        str | None, typer.Option(help="该集群的数据库 URL：先在其上建本县的表")
    ] = None,
) -> None:
    """为一个县建分区：本库，或第二集群上的外部表 (attach a county's partitions)."""
    with _errors():
        made = province.add_county(open_store(), actor(), county, shard=shard, shard_url=shard_url)
    where = f"集群 {shard}" if shard else "本库 (coordinator)"
    console.print(f"县 {county}：新建分区 {len(made)} 个，位于 {where}")


@app.command("layout")
def layout(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """列出各县分区所在 (where each county's partitions live)."""
    with _errors():
        placed = province.layout(open_store(), actor())
    if as_json:
        print_json(placed)
        return
    for county, server in sorted(placed.items()):
        console.print(f"{county}\t{server or 'coordinator'}")


@app.command("counts")
def counts(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """全省各县人数、户数 (people and households per county)."""
    with _errors():
        rows = province.counts(open_store(), actor())
    if as_json:
        print_json([asdict(r) for r in rows])
        return
    t = Table("县", "人数", "户数")
    for r in rows:
        t.add_row(r.county_code, str(r.people), str(r.households))
    console.print(t)


@app.command("link")
def link(
    county: Annotated[
        list[str] | None, typer.Option("--county", help="参与的县（可重复；默认全部）")
    ] = None,
    engine: Annotated[
        str,
        typer.Option(help="打分引擎：duckdb（默认，本进程）或 spark（需 onesheet[spark] 与 JRE）"),
    ] = "duckdb",
    spark_master: Annotated[
        str, typer.Option(help="Spark master（默认 local[*]：本机所有核）")
    ] = province.SparkOptions.master,
    spark_memory: Annotated[
        str, typer.Option(help="Spark driver 内存（local 模式即 Spark 全部内存）")
    ] = province.SparkOptions.memory,
    spark_dir: Annotated[
        Path | None,
        typer.Option(help="Parquet 导出目录（集群模式须为各执行器可读的共享存储）"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """查找两县都有登记的人，列入两县各自的待办 (people in two counties: both queues)."""
    spark = province.SparkOptions(spark_master, spark_dir, spark_memory)
    with _errors(), console.status(f"跨县关联 linking counties ({engine})…"):
        s = province.link_counties(
            open_store(), actor(), counties=county or None, engine=engine, spark=spark
        )
    if as_json:
        print_json(asdict(s))
        return
    per = "，".join(f"{c} {n} 条" for c, n in sorted(s.queued.items())) or "无"
    console.print(
        f"{len(s.counties)} 个县共 {sum(s.people.values())} 人：疑似跨县同一人 {s.pairs_queued} 对"
        f"（已在待办 {s.already_queued}，身份证号不同而排除 {s.different_ids}）；"
        f"新增待办 {per}，用 onesheet link queue 查看 · {s.engine} {s.seconds} 秒"
    )
