"""Fuzzing the two parsers that read a user's files: the measurement loader and the model-card
parser. Random and malformed input (random bytes, mutated real files, random TOML) must give a
result or a devicekit error: never another exception, never a hang. 1000 examples each."""

from __future__ import annotations

import contextlib
import signal
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
    max_examples=1000,
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


def _mutate(text: str, data) -> str:
    """Mutations of a real file: replace values, drop, repeat or swap lines, truncate."""
    lines = text.splitlines()
    for _ in range(data.draw(st.integers(1, 6), label="mutations")):
        if not lines:
            break
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        how = data.draw(
            st.sampled_from(["value", "raw", "drop", "repeat", "swap", "truncate", "bytes"]),
            label="how",
        )
        line = lines[i]
        if how == "value" and "=" in line:
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


@FUZZ
@given(data=st.data())
def test_card_parser_never_crashes(scratch, data):
    kind = data.draw(st.sampled_from(["mutated", "bytes", "toml", "dict"]), label="kind")
    path = scratch / "card.toml"
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
def test_measurement_loader_never_crashes(scratch, data):
    meta, data_file, body = data.draw(st.sampled_from(SETS), label="dataset")
    kind = data.draw(st.sampled_from(["data", "bytes", "metadata", "both"]), label="kind")
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
    (scratch / data_file).write_bytes(raw)
    metadata.write_text(meta, encoding="utf-8", errors="surrogatepass")
    target = metadata if data.draw(st.booleans(), label="via metadata") else scratch / data_file
    _survives(load_measurement, target)
