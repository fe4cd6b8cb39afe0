"""Browser fixtures: a real ``onesheet serve`` on loopback and Debian's headless Chromium."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


WEB_PASSWORD = "web-test-pass-1"


def _web_users(env: dict[str, str], cli: list[str]) -> list[tuple[str, str, str]]:
    """A cadre for the first village that has people, and a town user above it."""
    out = subprocess.run(
        [*cli, "orgs", "list", "--json"], env=env, check=True, capture_output=True, text=True
    )
    import json

    villages = [u["code"] for u in json.loads(out.stdout) if u["level"] == "village"]
    return [("cadre1", "village", villages[0]), ("town1", "town", villages[0][:9])]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listens(pid: int, port: int) -> bool:
    """Whether process ``pid`` itself holds the listening socket on loopback ``port`` (not
    another worker's server that took the port first). True where /proc cannot tell."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return True
    inodes = set()
    for fd in fds:
        with contextlib.suppress(OSError):  # closed meanwhile
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    for line in lines:
        cols = line.split()
        local, state, inode = cols[1], cols[3], cols[9]
        if state == "0A" and int(local.split(":")[1], 16) == port and inode in inodes:
            return True
    return False


@dataclass(frozen=True)
class ServedEnv:
    """The served county's database: its URL, the environment the CLI and server run with,
    and the CLI's command line (``[python, -m, onesheet.cli.main]``)."""

    url: str
    env: dict[str, str]
    cli: list[str]

    @classmethod
    def at(cls, url: str) -> ServedEnv:
        """The CLI of this interpreter (``python -m onesheet.cli.main``) on database ``url``."""
        return cls(
            url,
            {**os.environ, "ONESHEET_DATABASE_URL": url},
            [sys.executable, "-m", "onesheet.cli.main"],
        )

    def run(self, *args: str) -> str:
        """Run the real CLI against the served database; its standard output."""
        done = subprocess.run(
            [*self.cli, *args], env=self.env, check=True, capture_output=True, text=True
        )
        return done.stdout


@pytest.fixture(scope="session")
def served_env(tmp_path_factory: pytest.TempPathFactory) -> ServedEnv:
    """A freshly seeded SQLite county with a cadre and a town user (the server's database)."""
    folder = tmp_path_factory.mktemp("web")
    served = ServedEnv.at(f"sqlite:///{folder}/web.db")
    seed_served(served, folder)
    return served


def seed_served(served: ServedEnv, folder: Path, people: int = 2000) -> None:
    """``init``, ``seed`` (seed 5) and the cadre and town users (password ``WEB_PASSWORD``)."""
    served.run("init")
    served.run("seed", "--people", str(people), "--seed", "5")
    password = folder / "password.txt"
    password.write_text(WEB_PASSWORD + "\n")
    for name, role, org in _web_users(served.env, served.cli):
        served.run(
            "users", "add", name, "--role", role, "--org", org, "--password-file", str(password)
        )


@pytest.fixture(scope="session")
def served_county(served_env: ServedEnv) -> Iterator[str]:
    """Base URL of a server over ``served_env``'s county."""
    log = Path(served_env.url.removeprefix("sqlite:///")).parent / "server.log"
    server, base = start_server(served_env, log)
    try:
        yield base
    finally:
        server.terminate()
        server.wait(10)


def start_server(
    served: ServedEnv, log: Path, *, cli: list[str] | None = None, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """``onesheet serve`` (or ``cli`` + ``serve``) on a free loopback port, output appended to
    ``log``, once ``/healthz`` answers: the process and its base URL.

    The port is free when picked but another process (a parallel test worker's server or
    PostgreSQL) may take it before the server binds it: then the server exits saying so and
    is started again on another port."""
    for _ in range(5):
        logged = log.stat().st_size if log.exists() else 0
        port = _free_port()
        with log.open("ab") as out:
            server = subprocess.Popen(
                [*(cli or served.cli), "serve", "--port", str(port)],
                env=env or served.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            if server.poll() is not None:
                break
            try:
                answered = httpx.get(f"{base}/healthz", timeout=1).status_code == 200
                if answered and _listens(server.pid, port):
                    return server, base
                if answered:  # another process's server holds the port: ours will exit
                    time.sleep(0.1)
            except httpx.HTTPError:
                time.sleep(0.1)
        server.kill()
        server.wait(10)
        with log.open("rb") as f:
            f.seek(logged)
            said = f.read().decode(errors="replace").lower()
        if "address already in use" not in said:
            break
    raise RuntimeError(f"server did not answer (log: {log})")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: `make test` installs Debian's chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


# Department and reviewer sign-ins for the browser tests of forms, the Gate and
# eligibility; defined here once so the session fixture is made once per run.
DEPARTMENT_USER = "mz1"
REVIEWER_USER = "rev1"


def add_county_users(
    served: ServedEnv, folder: Path, users: tuple[tuple[str, ...], ...]
) -> list[dict[str, str]]:
    """Add county-wide ``users`` — ``(name, role, *more users-add options)`` — with the
    password ``WEB_PASSWORD``; returns the served county's org units."""
    units = json.loads(served.run("orgs", "list", "--json"))
    county = county_of(units)
    password = folder / "password.txt"
    password.write_text(WEB_PASSWORD + "\n")
    for name, role, *extra in users:
        served.run("users", "add", name, "--role", role, "--org", county,
                   "--password-file", str(password), *extra)  # fmt: skip
    return units


def county_of(units: list[dict[str, str]]) -> str:
    return next(u["code"] for u in units if u["level"] == "county")


def villages_of(units: list[dict[str, str]]) -> list[str]:
    return [u["code"] for u in units if u["level"] == "village"]


@pytest.fixture(scope="session")
def forms_users(served_env: ServedEnv, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """``mz1`` (civil affairs, county-wide) and ``rev1`` (reviewer); returns the county code."""
    users = (
        (DEPARTMENT_USER, "department", "--department", "civil_affairs"),
        (REVIEWER_USER, "reviewer"),
    )
    units = add_county_users(served_env, tmp_path_factory.mktemp("forms-users"), users)
    return {"county": county_of(units), "department": DEPARTMENT_USER, "reviewer": REVIEWER_USER}


def sign_in(
    page, base: str, username: str, password: str = WEB_PASSWORD, *, at: str = "/login",
    button: str = "button[type=submit]",
) -> None:  # fmt: skip
    """Sign in on ``page`` as a person does: open the login page (``at``, with its ``next``),
    type the name and password, press the button, wait for the page it leads to."""
    page.goto(base + at)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click(button)
