"""A throwaway PostgreSQL cluster for the test run (Debian's initdb/pg_ctl, a temp folder,
a loopback port). As root, the server runs as the ``postgres`` user, since initdb refuses root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if not candidates:
        raise RuntimeError(
            "PostgreSQL server not found under /usr/lib/postgresql; `make test` installs it "
            "(apt-get install postgresql), or set ONESHEET_TEST_POSTGRES_URL"
        )
    return Path(candidates[-1]).parent


def _version(path: str) -> int:
    return int(path.split("/")[4]) if path.split("/")[4].isdigit() else 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _url(port: int) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


PORT_ATTEMPTS = 5


def _port_taken(log: Path, since: int) -> bool:
    """Whether the server's log, from byte ``since`` on, says its port was in use."""
    with log.open("rb") as f:
        f.seek(since)
        text = f.read().decode(errors="replace")
    return "Address already in use" in text


class Cluster:
    """Start with ``start()``, stop with ``stop()``; ``url`` is the superuser's URL."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="onesheet-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        self.url = _url(self.port)

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, text=True)

    def start(self) -> None:
        if self.as_root:
            pg = pwd.getpwnam("postgres")
            os.chmod(self.root, 0o755)
            os.chown(self.root, pg.pw_uid, pg.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
        )
        # The port was free when picked, but another process (a parallel test worker starting
        # its own cluster or server) may bind it before the postmaster does: then start again
        # on a new port. The socket folder is this cluster's own, so only the port can clash.
        for attempt in range(PORT_ATTEMPTS):
            log = self.root / "log"
            logged = log.stat().st_size if log.exists() else 0
            opts = (
                f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            try:
                self._run(
                    "pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(log), "-w", "start",
                )  # fmt: skip
                return
            except subprocess.CalledProcessError:
                if attempt == PORT_ATTEMPTS - 1 or not _port_taken(log, logged):
                    raise
                self.port = _free_port()
                self.url = _url(self.port)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
