"""devicekit.sweep with real ngspice: values cross-checked against direct simulations, the same
table from this process, a local pool and a Dask LocalCluster, failed points recorded, and
checkpoints resumed."""

import json
import os
import signal
import stat
import time

import numpy as np
import pandas as pd
import pytest

import devicekit as dk
from devicekit.errors import CheckpointWarning, DataFormatError, InvalidInput, SweepError
from devicekit.models.stimuli import Pulse
from devicekit.simulation import _analysis, as_membrane
from devicekit.spikes import summarize
from devicekit.sweeps import Normal, checkpoint_path
from devicekit.sweeps.measures import check_measures
from devicekit.sweeps.runner import SweepSpec, run_points

AMPLITUDES = np.array([0.0, 0.05, 0.1, 0.2])  # 0, 5, 10, 20 uA/cm^2
TRAN = dk.Transient(0.05, preset="fast")
FI = ("hh-squid", {"stimulus.amplitude": AMPLITUDES}, TRAN)


def _fi(**kwargs):
    return dk.sweep(*FI, stimuli=[Pulse(0.0)], progress=False, **kwargs)


@pytest.fixture(scope="module")
def serial():
    return _fi(workers=0)


def test_each_point_equals_a_direct_simulation(serial):
    assert list(serial.columns) == [
        "point", "stimulus.amplitude", "spike_count", "rate_hz", "first_spike_s", "peak_v",
        "rest_v", "error",
    ]  # fmt: skip
    for _, row in serial.iterrows():
        frame = dk.simulate("hh-squid", TRAN, stimuli=[Pulse(row["stimulus.amplitude"])])
        s = summarize(frame)
        # the same simulation in the same ngspice: identical numbers
        assert row["spike_count"] == s.count
        assert row["rate_hz"] == s.rate
        # peak_v is the largest voltage, with or without spikes
        assert row["peak_v"] == frame["v"].max()
        assert s.peak is None or s.peak == frame["v"].max()
        assert row["error"] == ""
    # HH at 10 uA/cm^2 fires repetitively (first spike 1.90 ms, the measured reference of
    # issue 3); at 0 it rests at -65.0 mV
    assert serial.loc[2, "spike_count"] >= 3
    assert serial.loc[2, "first_spike_s"] == pytest.approx(1.902e-3, abs=0.02e-3)
    assert serial.loc[0, "spike_count"] == 0
    assert np.isnan(serial.loc[0, "first_spike_s"])
    assert serial.loc[0, "rest_v"] == pytest.approx(-0.065, abs=5e-5)
    assert serial.attrs["ran_on"] == "this process"


def test_local_pool_and_dask_give_the_same_table(serial):
    from distributed import LocalCluster

    pool = _fi(workers=2)
    pd.testing.assert_frame_equal(pool, serial, rtol=1e-12, atol=0)
    assert pool.attrs["ran_on"] == "2 local worker processes"
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        dask = _fi(scheduler=cluster.scheduler_address)
    assert dask.attrs["ran_on"].startswith("Dask scheduler tcp://")
    # acceptance: the LocalCluster table equals the local pool's to 1e-12
    pd.testing.assert_frame_equal(dask, pool, rtol=1e-12, atol=0)


def test_scheduler_from_the_environment(monkeypatch):
    monkeypatch.setenv("DEVICEKIT_SCHEDULER", "tcp://127.0.0.1:1")  # nothing listens there
    with pytest.raises(
        InvalidInput, match=r"cannot reach a Dask scheduler at 'tcp://127\.0\.0\.1:1'"
    ):
        _fi()


def test_monte_carlo_is_reproducible_across_runs_and_worker_counts():
    kwargs = dict(
        parameters={"na.conductance": Normal(1200.0, 60.0), "k.conductance": Normal(360, 18)},
        analysis=dk.Transient(0.02, preset="fast"),
        stimuli=[Pulse(0.1)],
        samples=6,
        seed=2026,
        measures=["first_spike_s", "peak_v"],
        progress=False,
    )
    one = dk.sweep("hh-squid", workers=1, **kwargs)
    two = dk.sweep("hh-squid", workers=2, **kwargs)
    again = dk.sweep("hh-squid", workers=2, **kwargs)
    pd.testing.assert_frame_equal(one, two, rtol=1e-12, atol=0)
    pd.testing.assert_frame_equal(two, again, rtol=1e-12, atol=0)
    # the points are the seeded draws, and the spread of g_Na spreads the first spike time
    draws = np.random.default_rng(2026).normal(1200.0, 60.0, 6)
    assert np.array_equal(one["na.conductance"].to_numpy(), draws)
    assert one["first_spike_s"].std() > 0


def test_a_failing_point_is_recorded_and_the_rest_goes_on():
    # 1e15 A/m^2 drives ngspice to "Timestep too small" (a real ngspice failure, in the middle)
    frame = dk.sweep(
        "hh-squid",
        {"stimulus.amplitude": [0.1, 1e15, 0.2]},
        TRAN,
        stimuli=[Pulse(0.0)],
        workers=2,
        progress=False,
    )
    assert frame.attrs["failed"] == 1
    assert frame.loc[1, "error"].startswith("SimulationError: ngspice failed")
    assert "Timestep too small" in frame.loc[1, "error"]
    assert frame.loc[1, ["spike_count", "rate_hz", "peak_v"]].isna().all()
    assert (frame.loc[[0, 2], "error"] == "").all()
    assert (frame.loc[[0, 2], "spike_count"] > 0).all()


def test_iv_and_op_measures_match_simulate():
    iv = dk.sweep("hh-squid", {"k.conductance": [300.0, 360.0]}, dk.DCSweep(-0.1, 0.05, 0.01),
                  workers=0, progress=False)  # fmt: skip
    assert list(iv.columns) == ["point", "k.conductance", "voltage", "current", "error"]
    direct = dk.simulate("hh-squid", dk.DCSweep(-0.1, 0.05, 0.01))
    mine = iv[iv["k.conductance"] == 360.0]
    assert np.array_equal(mine["voltage"].to_numpy(), direct.index.to_numpy())
    assert np.array_equal(mine["current"].to_numpy(), direct["current"].to_numpy())
    op = dk.sweep("hh-squid", {"leak.conductance": [3.0]}, "op", workers=0, progress=False)
    assert op.loc[0, "v"] == dk.simulate("hh-squid", "op").loc[0, "v"]


def test_native_backend_agrees_with_spice():
    kwargs = dict(stimuli=[Pulse(0.0)], measures=["first_spike_s"], progress=False, workers=0)
    spice = dk.sweep("hh-squid", {"stimulus.amplitude": [0.1, 0.2]}, dk.Transient(0.01), **kwargs)
    native = dk.sweep(
        "hh-squid", {"stimulus.amplitude": [0.1, 0.2]}, dk.Transient(0.01), backend="native",
        **kwargs,
    )  # fmt: skip
    # the accurate preset's spike-time error is below 0.004 ms (bench/README.md)
    assert np.allclose(spice["first_spike_s"], native["first_spike_s"], rtol=0, atol=4e-6)


def test_custom_measure_function(serial):
    frame = _fi(workers=0, measures=[_peak_to_rest])
    assert np.allclose(frame["swing_v"], serial["peak_v"] - serial["rest_v"], rtol=1e-15, atol=0)


def _peak_to_rest(frame):
    return {"swing_v": float(frame["v"].max() - frame["v"].iloc[0])}


def _die_when_stimulated(frame):
    """A measure that kills its own worker process (SIGKILL) at a stimulated point."""
    if frame["stimulus"].abs().max() > 0:
        os.kill(os.getpid(), signal.SIGKILL)
    return {"peak_v": float(frame["v"].max())}


def test_a_pool_broken_before_the_next_submission_is_a_sweep_error():
    # the pool may break between one result and the next submission, not only inside a
    # result: point 1 kills the only worker while the slow result handler holds the loop, so
    # the refill submits into a broken pool; that too must end as the sweep's own error
    membrane = as_membrane("hh-squid").with_stimuli(Pulse(0.0))
    analysis = _analysis(TRAN, {})
    spec = SweepSpec(membrane, analysis, "spice", check_measures([_die_when_stimulated], "tran"))
    todo = [(i, {"stimulus.amplitude": 0.1 if i == 1 else 0.0}) for i in range(6)]
    seen = []

    def slow(record):
        seen.append(record["point"])
        time.sleep(3.0)  # point 1 runs and kills the worker meanwhile

    with pytest.raises(SweepError, match="a worker process died"):
        run_points(spec, todo, workers=1, scheduler=None, on_result=slow)
    assert seen == [0]  # the point before the fault was delivered


def test_output_files_and_checkpoint_lifecycle(tmp_path, serial):
    out = tmp_path / "fi.parquet"
    frame = _fi(workers=0, output=out)
    assert not checkpoint_path(out).exists()  # removed once the table is written
    pd.testing.assert_frame_equal(pd.read_parquet(out), frame, check_exact=True)
    with pytest.raises(InvalidInput, match="exists"):
        _fi(workers=0, output=out)
    csv = tmp_path / "fi.csv"
    _fi(workers=0, output=csv)
    back = pd.read_csv(csv, keep_default_na=False, na_values=[""])
    assert np.allclose(back["rate_hz"], serial["rate_hz"], rtol=1e-15, atol=0)
    with pytest.raises(InvalidInput, match=r"\.parquet or \.csv"):
        _fi(workers=0, output=tmp_path / "fi.xlsx")


def test_resume_runs_only_the_missing_points_and_drops_a_torn_line(tmp_path, serial):
    ckpt = tmp_path / "fi.partial.jsonl"
    # a sweep interrupted after two points: write its checkpoint as the sweep would, then tear
    # the last line as a crash mid-write would
    full = _fi(workers=0, checkpoint=ckpt)
    lines = ckpt.read_text().splitlines()
    assert len(lines) == 1 + len(AMPLITUDES)
    ckpt.write_text("\n".join(lines[:3]) + "\n" + lines[3][:20])
    resumed = _fi(workers=0, checkpoint=ckpt, resume=True)
    assert resumed.attrs["resumed"] == 2
    assert resumed.attrs["computed"] == 2
    pd.testing.assert_frame_equal(resumed, full, rtol=1e-12, atol=0)
    # the checkpoint now holds every point exactly once, each line whole
    points = [json.loads(line)["point"] for line in ckpt.read_text().splitlines()[1:]]
    assert sorted(points) == list(range(len(AMPLITUDES)))


def test_a_checkpoint_is_not_resumed_by_another_sweep(tmp_path):
    ckpt = tmp_path / "c.jsonl"
    _fi(workers=0, checkpoint=ckpt)
    with pytest.raises(InvalidInput, match="unfinished sweep"):
        _fi(workers=0, checkpoint=ckpt)
    with pytest.raises(InvalidInput, match="different sweep"):
        dk.sweep(
            "hh-squid", {"stimulus.amplitude": [0.3]}, TRAN, stimuli=[Pulse(0.0)],
            checkpoint=ckpt, resume=True, workers=0, progress=False,
        )  # fmt: skip
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    with pytest.raises(DataFormatError, match="not a devicekit sweep checkpoint"):
        _fi(workers=0, checkpoint=bad, resume=True)
    header = json.loads(ckpt.read_text().splitlines()[0])
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text(json.dumps(header) + "\n{broken\n" + '{"point": 1}\n')
    # damaged records are skipped with a warning and their points run again
    with pytest.warns(CheckpointWarning, match="line 2 .not JSON., line 3"):
        frame = _fi(workers=0, checkpoint=damaged, resume=True)
    assert frame.attrs["computed"] == len(frame)


def test_a_checkpoint_is_never_a_special_file(tmp_path):
    # a FIFO stands in for a device (a full disk is test_commands_sweep's RLIMIT_FSIZE test);
    # the sweep is refused before it starts, and the pipe stays a pipe
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(InvalidInput, match="not a regular file"):
        _fi(workers=0, checkpoint=pipe, force=True)
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"workers": -1}, "workers = -1"),
        ({"workers": 1.5}, "workers = 1.5"),
        ({"backend": "xyce"}, "backend 'xyce'"),
        ({"measures": ["v"]}, "needs a op analysis"),
        ({"measures": ["nosuch"]}, "unknown"),
        ({"resume": True}, "resume needs the checkpoint"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(InvalidInput, match=match):
        _fi(**kwargs)


def test_absurd_values_fail_or_finish_but_never_hang():
    # found while fuzzing sweeps: a 1e6 V battery made the rest scan allocate 4e12 points, and
    # 1e5 K overflowed the Q10 factor with a bare OverflowError
    frame = dk.sweep("hh-squid", {"temperature": [279.45, 1e5]}, "op", workers=0, progress=False)
    assert frame.loc[0, "v"] == pytest.approx(-0.065, abs=5e-5)  # HH rest, -65.0 mV
    assert frame.loc[1, "error"].startswith("InvalidInput: temperature 100000.0 K")
    far = dk.sweep("hh-squid", {"k.reversal_potential": [1e6]}, "op", workers=0, progress=False)
    assert len(far) == 1  # finished, with a value or a recorded error


def test_progress_bar_counts_points(capsys):
    dk.sweep(*FI, stimuli=[Pulse(0.0)], workers=0, progress=True)
    err = capsys.readouterr().err
    # tqdm's bar on stderr: the model, and all four points done
    assert "sweep hh-squid" in err and "4/4" in err
