"""Shared test helpers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

#: the repository's measured data sets
MEASUREMENTS = Path(__file__).resolve().parents[1] / "measurements"

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# The Ctrl-C tests play a user's terminal: they send SIGINT to this process and to CLI
# subprocesses. A shell that starts a job in the background without job control (``make test
# &`` in a script, some CI runners) hands it SIGINT *ignored*, Python then installs no
# KeyboardInterrupt handler, and every child inherits the ignore. Restore the terminal's
# default here; children get the default disposition back across exec.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def run_cli(
    *args: str, check: bool = False, cwd=None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run the real ``devicekit`` command in a subprocess (as a user would)."""
    result = subprocess.run(
        [sys.executable, "-m", "devicekit", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )
    if check and result.returncode != 0:
        pytest.fail(f"devicekit {' '.join(args)} failed:\n{result.stderr}")
    return result


# ------------------------------------------------------------ the measured data stay unchanged
def chromium_dom(page: Path) -> str:
    """The DOM of a local page after headless Chromium loaded it (scripts run, images
    fetched), as ``--dump-dom`` prints it; no network, a fresh profile."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "headless Chromium is needed: make test installs Debian's chromium"
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-sync",
                "--disable-component-update", f"--user-data-dir={profile}",
                "--virtual-time-budget=10000", "--dump-dom", page.as_uri(),
            ],
            capture_output=True, text=True, timeout=120,
        ).stdout  # fmt: skip


def measurement_digests() -> dict[str, str]:
    """sha256 of every file in measurements/ (the manifest itself excepted)."""
    import hashlib

    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(MEASUREMENTS.iterdir())
        if p.is_file() and p.name != "SHA256SUMS"
    }


def published_digests() -> dict[str, str]:
    """The manifest measurements/SHA256SUMS (``sha256sum`` format), checked into the repository."""
    lines = (MEASUREMENTS / "SHA256SUMS").read_text().splitlines()
    return {name.strip(): digest for digest, name in (line.split(maxsplit=1) for line in lines)}


def pytest_sessionfinish(session, exitstatus):
    """After the whole suite, whatever order it ran in: every measurement is as published."""
    if measurement_digests() != published_digests():
        session.exitstatus = 1
        print("\nERROR: a file in measurements/ changed during the test run", file=sys.stderr)
