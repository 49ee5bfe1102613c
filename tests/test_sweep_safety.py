"""Sweeps survive concurrency and damage: a locked checkpoint, damaged and stray records, the
parent killed at random moments, bad scheduler addresses and services, impossible sizes."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import devicekit as dk
from devicekit.errors import CheckpointWarning, InvalidInput
from devicekit.models.stimuli import Pulse
from devicekit.sweeps import Normal, checkpoint_path

from .conftest import run_cli

# 12 points of HH's f-I curve, 50 ms each at the fast preset: about 1 s on 2 workers
POINTS = 12
SWEEP = (
    "sweep", "hh-squid", "--param", f"stimulus.amplitude=0:20uA/cm2:{POINTS}",
    "--tstop", "50ms", "--preset", "fast", "--measure", "spike_count,first_spike_s",
    "--workers", "2", "--no-progress",
)  # fmt: skip
ORPHAN_SECONDS = 5.0  # the bound on a worker outliving its parent


def _cli(*args, cwd=None):
    return run_cli(*args, cwd=cwd, timeout=180)


def _start(out: Path, *extra) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "devicekit", *SWEEP, "-o", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        out += [int(c) for c in children]
        todo += [int(c) for c in children]
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The same sweep, never interrupted."""
    out = tmp_path_factory.mktemp("ref") / "fi.csv"
    result = _cli(*SWEEP, "-o", str(out))
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out)
    assert len(table) == POINTS and table["spike_count"].iloc[-1] >= 1
    return table


# ------------------------------------------------------------------------------ the lock
def test_a_second_writer_is_refused_while_the_first_runs(tmp_path, reference):
    out = tmp_path / "fi.csv"
    first = _start(out)
    checkpoint = checkpoint_path(out)
    end = time.monotonic() + 60
    while not checkpoint.exists():
        assert first.poll() is None and time.monotonic() < end, first.communicate()
        time.sleep(0.02)
    try:
        for extra in ([], ["--resume"], ["--force"]):
            second = _cli(*SWEEP, "-o", str(out), *extra)
            if first.poll() is not None or out.exists():
                # the first finished meanwhile (its output is written before it exits, so
                # the file can appear while it still runs): nothing left to contend for
                break
            assert second.returncode == 2, second.stderr
            assert "in use by another sweep" in second.stderr or "holds an unfinished" in (
                second.stderr
            )
    finally:
        first.communicate(timeout=120)
    assert first.returncode == 0
    pd.testing.assert_frame_equal(pd.read_csv(out), reference, rtol=1e-12, atol=0)


# ------------------------------------------------------------------------ damaged records
def _api_sweep(**kwargs):
    return dk.sweep(
        "hh-squid",
        {"stimulus.amplitude": np.linspace(0.0, 0.2, 6)},
        dk.Transient(0.02, preset="fast"),
        stimuli=[Pulse(0.0)],
        measures=["spike_count"],
        workers=0,
        progress=False,
        **kwargs,
    )


def test_damaged_and_stray_records_are_skipped_and_rerun(tmp_path):
    reference = _api_sweep()
    out = tmp_path / "s.csv"
    checkpoint = checkpoint_path(out)
    # a finished sweep's checkpoint, rebuilt by running it and stopping before it is removed
    _api_sweep(checkpoint=checkpoint)
    lines = checkpoint.read_text().splitlines()
    header, records = lines[0], lines[1:]
    assert len(records) == 6
    damaged = [
        header,
        records[0],
        '{"point": 1, "rows": [{"spike_count": 0}], "err',  # cut in the middle: not JSON
        '{"point": "two", "rows": [], "error": null}',  # wrongly shaped
        records[3],
        '{"point": 4, "rows": "nope", "error": null}',  # wrongly shaped
        '{"point": 99, "rows": [{"spike_count": 1}], "error": null}',  # not in this sweep
        records[5],
    ]
    checkpoint.write_text("\n".join(damaged) + "\n")
    with pytest.warns(CheckpointWarning, match="skipped 4 damaged record"):
        frame = _api_sweep(checkpoint=checkpoint, resume=True, output=out)
    assert frame.attrs["resumed"] == 3  # points 0, 3 and 5 were kept
    assert frame.attrs["computed"] == 3  # points 1, 2 and 4 ran again
    pd.testing.assert_frame_equal(frame, reference, check_like=True)


# --------------------------------------------------------------- the parent dies at random
@pytest.mark.slow
def test_parent_killed_at_random_moments_then_resumed(tmp_path, reference):
    rng = np.random.default_rng(20261202)  # seeded: the same moments on every run
    for run in range(10):
        out = tmp_path / f"fi-{run}.csv"
        how = signal.SIGKILL if run % 2 == 0 else signal.SIGTERM
        process = _start(out)
        time.sleep(float(rng.uniform(0.5, 3.0)))  # start-up is ~1.5 s, the points ~1 s
        workers = _descendants(process.pid)
        process.send_signal(how)
        process.communicate(timeout=60)
        killed_at = time.monotonic()
        for pid in workers:
            while _alive(pid):
                assert time.monotonic() - killed_at < ORPHAN_SECONDS, (
                    f"run {run}: worker {pid} outlived its parent ({how!r}) by more than "
                    f"{ORPHAN_SECONDS} s"
                )
                time.sleep(0.05)
        if not out.exists():  # killed before the end: finish it
            result = _cli(*SWEEP, "-o", str(out), "--resume")
            assert result.returncode == 0, result.stderr
        pd.testing.assert_frame_equal(pd.read_csv(out), reference, rtol=1e-12, atol=0)
        assert not checkpoint_path(out).exists()


# --------------------------------------------------------------------------- schedulers
BAD_ADDRESSES = ["127.0.0.1", "tcp://", "tcp://127.0.0.1:abc", "tcp://127.0.0.1:99999",
                 "http//x:1", "tcp://a b:1"]  # fmt: skip


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_malformed_scheduler_addresses_are_one_line(tmp_path, address):
    result = _cli(*SWEEP, "-o", str(tmp_path / "x.csv"), "--scheduler", address)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "scheduler" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no checkpoint left behind


class _NotDask:
    """A local TCP service that is not a Dask scheduler: it answers every connection with
    bytes that mean nothing to Dask (a length field of eight 0xFF bytes first, the input that
    made distributed try to allocate 3.07 EiB), or with nothing at all."""

    def __init__(self, reply: bytes):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.port = self.server.getsockname()[1]
        self.reply = reply
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.server.settimeout(0.2)
        held = []
        while not self.stop.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            if self.reply:
                connection.sendall(self.reply)
            held.append(connection)
        for connection in held:
            connection.close()

    def close(self):
        self.stop.set()
        self.thread.join()
        self.server.close()


@pytest.mark.parametrize(
    "reply", [b"\xff" * 8 + b"garbage" * 100, b"HTTP/1.1 400 Bad\r\n\r\n", b""]
)
def test_a_service_that_is_not_a_dask_scheduler_is_a_clear_error(tmp_path, reply):
    from devicekit.sweeps.runner import CONNECT_TIMEOUT

    service = _NotDask(reply)
    try:
        start = time.monotonic()
        result = _cli(*SWEEP, "-o", str(tmp_path / "x.csv"),
                      "--scheduler", f"tcp://127.0.0.1:{service.port}")  # fmt: skip
        elapsed = time.monotonic() - start
    finally:
        service.close()
    assert result.returncode == 2, result.stderr
    assert "Dask scheduler" in result.stderr and "MemoryError" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert elapsed < CONNECT_TIMEOUT + 20  # the connect timeout, plus start-up, not a hang
    assert list(tmp_path.iterdir()) == []  # a failed connection leaves no checkpoint


# ------------------------------------------------------------------------------- sizes
def test_a_negative_seed_is_refused(tmp_path):
    result = _cli("sweep", "hh-squid", "--param", "na.conductance=normal(1200,60)",
                  "--samples", "3", "--seed", "-1", "--analysis", "op",
                  "--workers", "0", "-o", str(tmp_path / "x.csv"))  # fmt: skip
    assert result.returncode == 2 and "seed" in result.stderr


@pytest.mark.parametrize(
    "params",
    [
        ["--param", "temperature=280:300:100000", "--param", "na.conductance=1000:1400:1000"],
        ["--param", "temperature=280:300:1000000000000"],
        ["--param", "na.conductance=normal(1200,60)", "--samples", "100000000", "--seed", "1"],
    ],
)
def test_sweeps_too_large_for_memory_are_refused_up_front(params, tmp_path):
    start = time.monotonic()
    result = _cli("sweep", "hh-squid", *params, "--analysis", "op", "--workers", "0",
                  "-o", str(tmp_path / "x.csv"))  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "limit" in result.stderr
    assert time.monotonic() - start < 30
    assert list(tmp_path.iterdir()) == []


def test_a_script_on_stdin_with_workers_is_told_why(tmp_path):
    script = (
        "import devicekit as dk\n"
        "dk.sweep('hh-squid', {'temperature': [280.0, 290.0]}, 'op', workers=2, progress=False)\n"
    )
    result = subprocess.run([sys.executable, "-"], input=script, capture_output=True,
                            text=True, timeout=120, cwd=tmp_path)  # fmt: skip
    assert result.returncode != 0
    assert "importable __main__ module" in result.stderr
    assert "a worker process died" not in result.stderr


def test_a_checkpoint_of_another_kind_of_record_is_not_trusted(tmp_path):
    # a header of the right sweep, and a line of valid JSON that is not a record at all
    out = tmp_path / "s.csv"
    checkpoint = checkpoint_path(out)
    _api_sweep(checkpoint=checkpoint)
    header = checkpoint.read_text().splitlines()[0]
    checkpoint.write_text(header + "\n" + json.dumps([1, 2, 3]) + "\n")
    with pytest.warns(CheckpointWarning):
        frame = _api_sweep(checkpoint=checkpoint, resume=True)
    assert frame.attrs["computed"] == 6


def test_sizes_and_seeds_from_python():
    with pytest.raises(InvalidInput, match="seed"):
        dk.sweep("hh-squid", {"na.conductance": Normal(1200.0, 60.0)}, "op", samples=2,
                 seed=-1, workers=0, progress=False)  # fmt: skip
    with pytest.raises(InvalidInput, match="limit"):
        dk.sweep("hh-squid", {"na.conductance": Normal(1200.0, 60.0)}, "op", samples=10**9,
                 seed=1, workers=0, progress=False)  # fmt: skip
