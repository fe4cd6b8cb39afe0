"""Browser fixtures: a real ``onesheet serve`` on loopback and Debian's headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def served_county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a server over a freshly seeded SQLite county."""
    folder = tmp_path_factory.mktemp("web")
    env = {**os.environ, "ONESHEET_DATABASE_URL": f"sqlite:///{folder}/web.db"}
    cli = [sys.executable, "-m", "onesheet.cli.main"]
    subprocess.run([*cli, "init"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*cli, "seed", "--people", "2000", "--seed", "5"], env=env, check=True, capture_output=True
    )
    password = folder / "password.txt"
    password.write_text(WEB_PASSWORD + "\n")
    for name, role, org in _web_users(env, cli):
        subprocess.run(
            [*cli, "users", "add", name, "--role", role, "--org", org, "--password-file", password],
            env=env,
            check=True,
            capture_output=True,
        )
    port = _free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not answer")
        yield base
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: `make test` installs Debian's chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()
