"""The measurement loader and the card reader are bounded: regular files only, limited sizes,
nesting, keys, expressions and names, short quotes of bad cells; and they do not misread."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import devicekit as dk
from devicekit.errors import DataFormatError, ModelCardError
from devicekit.measurements import loader
from devicekit.models.cards import card_text, load_model
from devicekit.tomltext import MAX_KEY_LENGTH, MAX_NESTING

FAST = 5.0  # [s] "refused at once": far below any hang, far above a refusal's milliseconds


def _meta(folder, data_name, extra=""):
    path = folder / "set.toml"
    path.write_text(
        f'[dataset]\ndata = "{data_name}"\n{extra}\n'
        '[[columns]]\nname = "voltage"\nunit = "mV"\n[[columns]]\nname = "current"\nunit = "pA"\n'
    )
    return path


# ----------------------------------------------------------------------- special files
@pytest.mark.parametrize("reader", ["measurement", "card"])
@pytest.mark.parametrize("kind", ["fifo", "directory", "socket"])
def test_special_files_are_refused_at_once(tmp_path, reader, kind):
    target = tmp_path / ("x.toml" if reader == "card" else "x.csv")
    server = None
    if kind == "fifo":
        os.mkfifo(target)  # nobody writes to it: opening it blocking would hang
    elif kind == "directory":
        target.mkdir()
    else:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(target))
    start = time.monotonic()
    try:
        error = DataFormatError if reader == "measurement" else ModelCardError
        with pytest.raises(error, match=r"not a regular file|folder|pipe|socket"):
            if reader == "measurement":
                dk.load_measurement(target)
            else:
                load_model(target)
    finally:
        if server is not None:
            server.close()
    assert time.monotonic() - start < FAST


def test_a_directory_named_as_the_data_file_is_refused(tmp_path):
    (tmp_path / "data").mkdir()
    with pytest.raises(DataFormatError, match="folder"):
        dk.load_measurement(_meta(tmp_path, "data"))


def test_a_fifo_named_as_the_data_file_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.csv")
    result = subprocess.run(
        [sys.executable, "-m", "devicekit", "fit", str(_meta(tmp_path, "pipe.csv")),
         "--model", "ohmic"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "pipe" in result.stderr


def test_size_limits(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "MAX_BYTES", 1000)
    data = tmp_path / "iv.csv"
    data.write_text("voltage [V], current [A]\n" + "1.0, 2.0\n" * 200)
    with pytest.raises(DataFormatError, match="limit of 1,000 bytes"):
        dk.load_measurement(data)
    card = tmp_path / "big.toml"
    card.write_text("# " + "x" * 1_000_001)
    with pytest.raises(ModelCardError, match="limit"):
        load_model(card)


def test_memory_stays_proportional_to_the_file(tmp_path):
    # 20 MB of CSV (1e6 rows); the loader used to hold every line, split, as Python objects
    # (7.6 GB for 188 MB). Measured here: peak RSS minus the same process before loading.
    path = tmp_path / "big.csv"
    rng = np.random.default_rng(1)
    values = np.column_stack([rng.normal(size=1_000_000), rng.normal(size=1_000_000)])
    with open(path, "w") as handle:
        handle.write("voltage [V], current [A]\n")
        np.savetxt(handle, values, delimiter=",", fmt="%.12g")
    size = path.stat().st_size
    script = textwrap.dedent(f"""
        import resource, devicekit as dk, pandas
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        frame = dk.load_measurement({str(path)!r})
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(len(frame), (after - before) * 1024)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, check=True).stdout.split()  # fmt: skip
    assert int(out[0]) == 1_000_000
    # the result is 16 MB of doubles; three times the file's size bounds the copies made
    assert int(out[1]) < 3 * size, f"{int(out[1]) / 1e6:.0f} MB for a {size / 1e6:.0f} MB file"


# ----------------------------------------------------------------------- messages
def test_a_long_bad_cell_is_quoted_short(tmp_path):
    data = tmp_path / "iv.csv"
    data.write_text("voltage [V], current [A]\n1.0, " + "x" * 10_000 + "\n")
    with pytest.raises(DataFormatError) as caught:
        dk.load_measurement(data)
    assert "row 2" in str(caught.value)
    assert len(str(caught.value)) < 300


def test_duplicated_header_zero_rows_and_ragged_rows(tmp_path):
    data = tmp_path / "iv.csv"
    data.write_text("voltage [V], voltage [V]\n1, 2\n")
    with pytest.raises(DataFormatError, match="more than once"):
        dk.load_measurement(data)
    data.write_text("voltage [V], current [A]\n0, 0\n0.0, -0\n")
    with pytest.raises(DataFormatError, match="every value in every row is 0"):
        dk.load_measurement(data)
    data.write_text("voltage [V], current [A]\n1, 2\n3, 4, 5\n")
    with pytest.raises(DataFormatError, match="row 3 has 3 fields, not 2"):
        dk.load_measurement(data)


# ----------------------------------------------------------------------- decimal commas
EUROPEAN = "# Spannung [mV]; Strom [pA]\n-10,5;-2,25\n0,0;0,125\n10,5;2,25\n"


def test_decimal_commas_are_refused_with_the_fix(tmp_path):
    (tmp_path / "iv.csv").write_text(EUROPEAN)
    for extra in ("", '[format]\ndelimiter = ";"'):
        with pytest.raises(DataFormatError, match='decimal = ","'):
            dk.load_measurement(_meta(tmp_path, "iv.csv", extra))


def test_decimal_commas_are_read_when_the_metadata_says_so(tmp_path):
    (tmp_path / "iv.csv").write_bytes(("# Größe\n" + EUROPEAN).encode("latin-1"))
    meta = _meta(
        tmp_path, "iv.csv", '[format]\ndecimal = ","\ndelimiter = ";"\nencoding = "latin-1"'
    )
    frame = dk.load_measurement(meta)
    # -10,5 mV = -0.0105 V, 0,125 pA = 1.25e-13 A
    np.testing.assert_allclose(frame["voltage"], [-0.0105, 0.0, 0.0105], rtol=1e-15)
    np.testing.assert_allclose(frame["current"], [-2.25e-12, 1.25e-13, 2.25e-12], rtol=1e-15)


def test_latin1_without_its_encoding_is_a_clear_error(tmp_path):
    (tmp_path / "iv.csv").write_bytes("# Größe\n1;2\n".encode("latin-1"))
    with pytest.raises(DataFormatError, match="encoding"):
        dk.load_measurement(_meta(tmp_path, "iv.csv", '[format]\ndelimiter = ";"'))


def test_a_positional_row_with_extra_fields_is_not_read_silently(tmp_path):
    # "1,5" with a decimal comma would otherwise be read as two columns 1 and 5
    (tmp_path / "iv.csv").write_text("1,5,2,5\n3,5,4,5\n")
    with pytest.raises(DataFormatError, match="4 fields, not 2"):
        dk.load_measurement(_meta(tmp_path, "iv.csv", "[format]\nheader = false"))


# ----------------------------------------------------------------------- TOML bounds
def _card_with(tmp_path, text: str):
    path = tmp_path / "c.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a = " + "[" * 5000 + "]" * 5000, "nested deeper"),
        ("a = " + "{b = " * 5000 + "1" + "}" * 5000, "nested deeper"),
        (".".join(["k"] * (MAX_NESTING + 5)) + " = 1", "nested deeper"),
        ("k" * (MAX_KEY_LENGTH + 1) + " = 1", "longer than the limit"),
        ("a = '" + "[" * 5000 + "'", "unknown key"),  # brackets in a string are only text
    ],
)
def test_toml_bounds(tmp_path, text, message):
    start = time.monotonic()
    with pytest.raises(ModelCardError, match=message):
        load_model(_card_with(tmp_path, text))
    assert time.monotonic() - start < FAST


def test_metadata_toml_is_bounded_too(tmp_path):
    (tmp_path / "iv.csv").write_text("1,2\n")
    meta = tmp_path / "set.toml"
    meta.write_text("x = " + "[" * 3000 + "]" * 3000)
    with pytest.raises(DataFormatError, match="nested deeper"):
        dk.load_measurement(meta)


def _hh_card(**changes) -> str:
    text = card_text(dk.load_model("hh-squid"))
    for old, new in changes.items():
        text = text.replace(old, new, 1)
    return text


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('name = "na"', 'name = "' + "n" * 600 + '"', "1 to 32"),
        ('name = "m"', 'name = "' + "g" * 40 + '"', "1 to 32"),
        ('name = "na"', 'name = "nä"', "ASCII"),
        ('name = "hh-squid"', 'name = "' + "x" * 100 + '"', "1 to 64"),
        (
            'description = "',
            'description = "\\n.control\\nshell touch pwned\\n.endc\\n',
            "one line",
        ),
    ],
)
def test_names_and_text_that_reach_spice_are_bounded(tmp_path, old, new, message):
    with pytest.raises(ModelCardError, match=message):
        load_model(_card_with(tmp_path, _hh_card(**{old: new})))


def test_a_600_character_channel_name_no_longer_aborts_the_process(tmp_path):
    # libngspice used to abort the whole process ("stack smashing detected") on this card
    path = _card_with(tmp_path, _hh_card(**{'name = "na"': 'name = "' + "n" * 600 + '"'}))
    result = subprocess.run(
        [sys.executable, "-m", "devicekit", "simulate", str(path), "--tstop", "1ms"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "1 to 32" in result.stderr


@pytest.mark.parametrize(
    "expression",
    [
        "-" * 3000 + "v",
        "(" * 100 + "v" + ")" * 100,
        "exp(" * 80 + "v" + ")" * 80,
        "v" + "*v" * 3000,
    ],
)
def test_expression_length_and_depth_are_bounded(expression):
    from devicekit.expr import parse_expression

    with pytest.raises(ModelCardError, match=r"nested deeper|longer than|cannot be parsed"):
        parse_expression(expression, {"v"})


@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "hh-squid", "--stim", "1" + "x" * 5000],
        ["nernst", "--ion", "K" * 5000, "--inside", "1mM", "--outside", "2mM"],
        ["fit", "UNIT.csv", "--model", "ohmic"],
    ],
    ids=["stim", "ion", "header-unit"],
)
def test_long_values_make_short_one_line_errors(tmp_path, args):
    (tmp_path / "UNIT.csv").write_text("voltage [" + "x" * 5000 + "], current [A]\n1,2\n")
    result = subprocess.run(
        [sys.executable, "-m", "devicekit", *args],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert len(result.stderr) < 400, result.stderr[:200]
