"""Shared test helpers."""

from __future__ import annotations

import os
import subprocess
import sys
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


def run_cli(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    """Run the real ``devicekit`` command in a subprocess (as a user would)."""
    result = subprocess.run(
        [sys.executable, "-m", "devicekit", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        pytest.fail(f"devicekit {' '.join(args)} failed:\n{result.stderr}")
    return result
