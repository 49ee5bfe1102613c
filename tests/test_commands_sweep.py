"""``devicekit sweep`` as a user runs it, and its faults: a killed worker, Ctrl-C, a read-only
or full output folder. Every interrupted sweep keeps its finished points, and --resume computes
each missing point exactly once."""

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from devicekit.sweeps import checkpoint_path

from .conftest import run_cli

# 40 points of HH's f-I curve, 200 ms each at the fast preset: about 5 s on 2 workers
POINTS = 40
SWEEP = (
    "sweep", "hh-squid", "--param", f"stimulus.amplitude=0:20uA/cm2:{POINTS}",
    "--tstop", "200ms", "--preset", "fast", "--measure", "spike_count,rate_hz,first_spike_s",
    "--workers", "2", "--no-progress",
)  # fmt: skip


def _start(out: Path, *extra: str, preexec=None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "devicekit", *SWEEP, "-o", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal job is
        preexec_fn=preexec,
    )


def _records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text().splitlines()[1:] if x.endswith("}")]


def _wait_for_points(process, path: Path, n: int, timeout: float = 90.0) -> None:
    end = time.monotonic() + timeout
    while len(_records(path)) < n:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < end, "the sweep made no progress"
        time.sleep(0.05)


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(x) for x in text.split()]


def _worker_pids(pid: int) -> list[int]:
    return [c for c in _children(pid) if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def _resume_and_check(out: Path, done_before: int) -> pd.DataFrame:
    result = run_cli(*SWEEP, "-o", str(out), "--resume", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    # only the missing points ran, each once
    assert summary["resumed"] == done_before
    assert summary["computed"] == POINTS - done_before
    table = pd.read_parquet(out)
    assert list(table["point"]) == list(range(POINTS))
    assert (table["error"] == "").all()
    assert not checkpoint_path(out).exists()
    return table


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The same sweep, never interrupted."""
    out = tmp_path_factory.mktemp("ref") / "fi.parquet"
    result = run_cli(*SWEEP, "-o", str(out), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["points"] == POINTS and data["failed"] == 0
    return pd.read_parquet(out)


def test_the_reference_sweep_is_hh_f_i(reference):
    # HH: no spikes at 0, repetitive firing at 20 uA/cm^2 (last row)
    assert reference.loc[0, "spike_count"] == 0
    assert reference.loc[POINTS - 1, "spike_count"] > 10
    assert reference["rate_hz"].iloc[-1] > reference["rate_hz"].iloc[-10]


def test_killed_worker_then_resume(tmp_path, reference):
    out = tmp_path / "fi.parquet"
    process = _start(out)
    _wait_for_points(process, checkpoint_path(out), 8)
    workers = _worker_pids(process.pid)
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert len(err.strip().splitlines()) == 1, err
    assert "a worker process died" in err and "--resume" in err
    saved = _records(checkpoint_path(out))
    assert len({r["point"] for r in saved}) == len(saved) < POINTS
    table = _resume_and_check(out, len(saved))
    pd.testing.assert_frame_equal(table, reference, rtol=1e-12, atol=0)


def test_ctrl_c_then_resume(tmp_path, reference):
    out = tmp_path / "fi.parquet"
    process = _start(out)
    _wait_for_points(process, checkpoint_path(out), 6)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "interrupted" in err and "--resume" in err
    assert len(err.strip().splitlines()) == 1, err
    time.sleep(0.2)
    with pytest.raises(FileNotFoundError):  # no worker outlives the interrupted sweep
        _children(process.pid)
    saved = _records(checkpoint_path(out))
    table = _resume_and_check(out, len(saved))
    pd.testing.assert_frame_equal(table, reference, rtol=1e-12, atol=0)


def _limit_file_size():
    # a full disk: files may not grow beyond 3 kB (a checkpoint of about ten points); the
    # signal the kernel sends for that is ignored, so the write fails with EFBIG instead
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))


def test_full_output_folder_then_resume(tmp_path, reference):
    out = tmp_path / "fi.parquet"
    process = _start(out, preexec=_limit_file_size)
    _, err = process.communicate(timeout=90)
    assert process.returncode == 1
    assert "cannot write the checkpoint" in err and "File too large" in err
    assert len(err.strip().splitlines()) == 1, err
    assert not out.exists()
    saved = _records(checkpoint_path(out))
    assert 0 < len(saved) < POINTS
    table = _resume_and_check(out, len(saved))  # space freed: the rest completes
    pd.testing.assert_frame_equal(table, reference, rtol=1e-12, atol=0)


def test_read_only_output_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:  # root ignores permission bits: make the folder immutable instead
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
    try:
        result = run_cli(*SWEEP, "-o", str(folder / "fi.parquet"))
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)
    assert result.returncode == 1
    assert "cannot write the checkpoint" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(folder.iterdir()) == []


def test_monte_carlo_and_errors_on_the_command_line(tmp_path):
    out = tmp_path / "mc.csv"
    args = (
        "sweep", "hh-squid", "--param", "na.conductance=normal(120mS/cm2,6mS/cm2)",
        "--samples", "4", "--seed", "3", "--stim", "10uA/cm2", "--tstop", "20ms",
        "--preset", "fast", "--measure", "first_spike_s", "--no-progress", "-o", str(out),
    )  # fmt: skip
    first = run_cli(*args, "--workers", "1")
    assert first.returncode == 0, first.stderr
    a = pd.read_csv(out)
    second = run_cli(*args, "--workers", "2", "--force")
    assert second.returncode == 0, second.stderr
    pd.testing.assert_frame_equal(pd.read_csv(out), a, rtol=1e-12, atol=0)
    assert "4 points, 0 failed" in second.stdout
    # mistakes: one line, exit 2, nothing written over
    for bad, message in [
        (("--param", "na.conductance=1:2"), "start:stop:n"),
        (("--param", "na.nosuch=1,2"), "has no field 'nosuch'"),
        (("--param", "na.conductance=1,2", "--samples", "3"), "samples is only"),
        (("--param", "na.conductance=1,2", "--measure", "iv"), "needs a dc analysis"),
    ]:
        result = run_cli("sweep", "hh-squid", *bad, "-o", str(tmp_path / "x.csv"))
        assert result.returncode == 2, result.stderr
        assert message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    exists = run_cli("sweep", "hh-squid", "--param", "na.conductance=1,2", "-o", str(out))
    assert exists.returncode == 2 and "exists" in exists.stderr
    pd.testing.assert_frame_equal(pd.read_csv(out), a)
