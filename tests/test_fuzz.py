"""Fuzzing the two parsers that read a user's files: the measurement loader and the model-card
parser. Random and malformed input (random bytes, mutated real files, random TOML, deep nesting,
long names and keys, huge and tiny numbers, and files that are not regular files) must give a
result or a devicekit error: never another exception, never a hang (each example is bounded by
an alarm), never a process abort, and memory stays bounded. 2000 examples each."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import string
from contextlib import contextmanager
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devicekit.errors import DevicekitError
from devicekit.measurements import load_measurement
from devicekit.models.builtin import BUILTIN_MODELS, builtin_model
from devicekit.models.cards import card_text, load_model, parse_card

from .conftest import MEASUREMENTS

FUZZ = settings(
    max_examples=int(os.environ.get("DEVICEKIT_FUZZ_EXAMPLES", "2000")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
HANG_SECONDS = 10  # one parse takes milliseconds; ten seconds is a hang


@contextmanager
def _no_hang():
    def alarm(signum, frame):
        raise AssertionError(f"the parser took more than {HANG_SECONDS} s: a hang")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _survives(parse, *args):
    """Run ``parse``: any result, or a DevicekitError, passes; anything else fails the test."""
    with _no_hang(), contextlib.suppress(DevicekitError):
        parse(*args)


# ------------------------------------------------------------------------- building blocks
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
_NASTY = st.sampled_from(
    [
        "", "nan", "inf", "-inf", "1e309", "-1e-400", "0", "-0", "1e-300mV", "NaNmV", "1/0",
        "10uA/cm2", "120mS/cm2", "-65mV", "6.3degC", "-300degC", "1e999K", "exp(1e6)",
        "__import__('os').system('true')", "v ** v ** v ** v", "exprel(v/0)", "(" * 200,
        "a" * 5000, "sigmoid", "exp_linear", "hh", "ghk", "ohmic", "conical", "\x00", "\ufeff",
        "1" * 400, "[]", "{}", "v if v else v", "lambda: 0", "open('/etc/passwd')",
    ]
)  # fmt: skip
_SCALARS = st.one_of(
    _TEXT,
    _NASTY,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.text(string.ascii_letters + "_", min_size=1, max_size=12), inner, max_size=4
        ),
    ),
    max_leaves=12,
)


def _toml_value(value) -> str:
    """``value`` as a TOML right-hand side."""
    text = tomli_w.dumps({"k": value})
    return text.split("=", 1)[1].strip() if text.startswith("k =") else '"x"'


_NUMBERS = st.sampled_from(
    ["1e308", "-1e308", "1e309", "5e-324", "1e-400", "2.2250738585072014e-308", "1e999999",
     "123456789012345678901234567890", "0.0000000000000000000001", "-0", "1e308mV", "5e-324mM",
     "1e300uA/cm2", "1e-320mS/cm2", "1e30degC", "-273.15degC", "1e-300K"]
)  # fmt: skip


def _deep(data) -> str:
    depth = data.draw(st.sampled_from([2, 17, 100, 1000, 20000]), label="depth")
    form = data.draw(st.sampled_from(["array", "table", "dotted", "header"]), label="nesting")
    if form == "array":
        return "deep = " + "[" * depth + "]" * depth
    if form == "table":
        return "deep = " + "{a = " * depth + "1" + "}" * depth
    if form == "dotted":
        return ".".join(["d"] * depth) + " = 1"
    return "[" + ".".join(["h"] * depth) + "]"


def _long(data) -> str:
    return data.draw(st.sampled_from(["n", "K", "x_", "é", "-"]), label="char") * data.draw(
        st.sampled_from([33, 65, 300, 600, 100_000]), label="length"
    )


def _mutate(text: str, data) -> str:
    """Mutations of a real file: replace values, drop, repeat or swap lines, truncate; deep
    nesting, long keys and names, extreme numbers."""
    lines = text.splitlines()
    for _ in range(data.draw(st.integers(1, 6), label="mutations")):
        if not lines:
            break
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        how = data.draw(
            st.sampled_from(["value", "raw", "drop", "repeat", "swap", "truncate", "bytes",
                             "deep", "longkey", "longname", "number"]),
            label="how",
        )  # fmt: skip
        line = lines[i]
        if how == "deep":
            lines.insert(i, _deep(data))
        elif how == "longkey":
            lines.insert(i, f"{_long(data)} = 1")
        elif how == "longname" and "=" in line:
            lines[i] = f'{line.split("=", 1)[0]}= "{_long(data)}"'
        elif how == "number" and ("=" in line or "," in line):
            number = data.draw(_NUMBERS, label="number")
            lines[i] = (
                f'{line.split("=", 1)[0]}= "{number}"' if "=" in line else f"{number},{number}"
            )
        elif how == "value" and "=" in line:
            key = line.split("=", 1)[0]
            lines[i] = f"{key}= {_toml_value(data.draw(_VALUES, label='value'))}"
        elif how == "raw":
            cut = data.draw(st.integers(0, len(line)), label="at")
            lines[i] = line[:cut] + data.draw(st.one_of(_TEXT, _NASTY), label="text")
        elif how == "drop":
            del lines[i]
        elif how == "repeat":
            lines.insert(i, line)
        elif how == "swap":
            j = data.draw(st.integers(0, len(lines) - 1), label="other")
            lines[i], lines[j] = lines[j], lines[i]
        elif how == "truncate":
            lines = [*lines[:i], line[: len(line) // 2]]
        else:
            lines[i] = data.draw(st.binary(max_size=30), label="bytes").decode("latin-1")
    return "\n".join(lines) + data.draw(st.sampled_from(["\n", "", "\r\n"]), label="end")


# ------------------------------------------------------------------------- model cards
CARDS = [card_text(builtin_model(name)) for name in sorted(BUILTIN_MODELS)]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _special(path: Path, kind: str):
    """Make ``path`` a FIFO, a folder or a socket (never a real device); returns what to
    close."""
    if path.is_dir():
        path.rmdir()
    else:
        path.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        return server
    return None


def _regular(path: Path) -> None:
    """Undo :func:`_special`, so that the next example can write a file there."""
    if path.is_dir() and not path.is_symlink():
        path.rmdir()
    elif path.exists() or path.is_symlink() or os.path.lexists(path):
        path.unlink()


@contextmanager
def _bounded_memory():
    """Peak memory may grow by at most 1 GB over a whole fuzz run (an unbounded reader
    allocated 7.6 GB for 188 MB)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    yield
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
    assert grown < 1e9, f"peak memory grew by {grown / 1e6:.0f} MB"


@pytest.fixture(scope="module")
def memory():
    with _bounded_memory():
        yield


@FUZZ
@given(data=st.data())
def test_card_parser_never_crashes(scratch, memory, data):
    kind = data.draw(st.sampled_from(["mutated", "bytes", "toml", "dict", "special"]), label="kind")
    path = scratch / "card.toml"
    _regular(path)
    if kind == "special":
        server = _special(path, data.draw(st.sampled_from(["fifo", "folder", "socket"])))
        try:
            _survives(load_model, path)
        finally:
            if server is not None:
                server.close()
            _regular(path)
        return
    if kind == "dict":  # the parser behind the TOML reader, given any structure at all
        document = data.draw(st.dictionaries(st.sampled_from(
            ["devicekit", "model", "membrane", "channels", "stimuli", "inside", "outside",
             "fit", "junk"]), _VALUES, max_size=6), label="document")  # fmt: skip
        _survives(parse_card, document, "fuzz")
        return
    if kind == "mutated":
        raw = _mutate(data.draw(st.sampled_from(CARDS), label="card"), data).encode()
    elif kind == "bytes":
        raw = data.draw(st.binary(max_size=2000), label="bytes")
    else:
        document = data.draw(st.dictionaries(_TEXT, _VALUES, max_size=6), label="document")
        document.setdefault("devicekit", 1)
        raw = tomli_w.dumps(document).encode()
    path.write_bytes(raw)
    _survives(load_model, path)


def test_the_unmutated_inputs_load(tmp_path):
    # the fuzzer starts from valid files, so it reaches past the first checks
    for number, text in enumerate(CARDS):
        (tmp_path / f"{number}.toml").write_text(text)
        assert load_model(tmp_path / f"{number}.toml").channels
    for meta, data_file, body in SETS:
        (tmp_path / data_file).write_text(body)
        (tmp_path / (Path(data_file).stem + ".toml")).write_text(meta)
        assert len(load_measurement(tmp_path / data_file)) > 10


# ------------------------------------------------------------------------- measurements
DATASETS = sorted(p for p in MEASUREMENTS.glob("*.toml"))


def _dataset(name: Path) -> tuple[str, str, str]:
    import tomllib

    meta = name.read_text()
    data_file = tomllib.loads(meta)["dataset"]["data"]
    return meta, data_file, (MEASUREMENTS / data_file).read_text(encoding="utf-8-sig")


SETS = [_dataset(p) for p in DATASETS]


@FUZZ
@given(data=st.data())
def test_measurement_loader_never_crashes(scratch, memory, data):
    meta, data_file, body = data.draw(st.sampled_from(SETS), label="dataset")
    kind = data.draw(
        st.sampled_from(["data", "bytes", "metadata", "both", "special"]), label="kind"
    )
    if kind in ("data", "both"):
        body = _mutate(body, data)
        if data.draw(st.booleans(), label="bom"):
            body = "\ufeff" + body
    if kind in ("metadata", "both"):
        meta = _mutate(meta, data)
    raw = body.encode("utf-8", "surrogatepass")
    if kind == "bytes":
        raw = data.draw(st.binary(max_size=3000), label="bytes")
    metadata = scratch / (Path(data_file).stem + ".toml")
    _regular(scratch / data_file)
    _regular(metadata)
    (scratch / data_file).write_bytes(raw)
    metadata.write_text(meta, encoding="utf-8", errors="surrogatepass")
    server = None
    if kind == "special":  # the data file or the metadata is a FIFO, folder or socket
        victim = data.draw(st.sampled_from([scratch / data_file, metadata]), label="victim")
        server = _special(victim, data.draw(st.sampled_from(["fifo", "folder", "socket"])))
    target = metadata if data.draw(st.booleans(), label="via metadata") else scratch / data_file
    try:
        _survives(load_measurement, target)
    finally:
        if server is not None:
            server.close()
        if kind == "special":
            _regular(scratch / data_file)
            _regular(metadata)
