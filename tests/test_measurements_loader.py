"""The measured data sets in measurements/ load into canonical SI columns; bad files raise
DataFormatError naming the file, row and column, and are left untouched."""

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

import devicekit as dk
from devicekit.errors import DataFormatError

FOLDER = Path(__file__).resolve().parents[1] / "measurements"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_nanopore_no_header_mv_pa():
    df = dk.load_measurement(FOLDER / "howorka_dna_nanopore_iv.toml")
    assert list(df.columns) == ["voltage", "current"] and len(df) == 21
    # first row of the file: "-100.83, -46.872" in mV and pA
    assert df.voltage.iloc[0] == pytest.approx(-0.10083, rel=1e-15)
    assert df.current.iloc[0] == pytest.approx(-46.872e-12, rel=1e-15)
    assert df.attrs["dataset"]["licence"] == "MIT"
    assert df.attrs["units"] == {"voltage": "V", "current": "A"}


def test_conical_channel_tab_separated_without_final_newline():
    df = dk.load_measurement(FOLDER / "kamsma_conical_channel_ginf.tsv")  # via its .toml
    assert len(df) == 95 and df.voltage.is_monotonic_increasing
    assert df.conductance_ratio.iloc[-1] == pytest.approx(4.803131768932589, rel=1e-15)
    assert "Phys. Rev. Lett. 130, 268401" in df.attrs["dataset"]["citation"]


def test_oect_bom_crlf_header_units_and_sweeps():
    path = FOLDER / "bongartz_oect_transfer.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # the quirks are really there
    df = dk.load_measurement(FOLDER / "bongartz_oect_transfer.toml")
    assert len(df) == 122
    assert df.drain_voltage.unique().tolist() == [-0.2]
    forward = df[df.sweep == "forward"]
    backward = df[df.sweep == "backward"]
    # both directions separated: -1.5 -> 1.5 V up, then 1.5 -> -1.5 V down, 61 points each
    assert len(forward) == len(backward) == 61
    assert forward.gate_voltage.is_monotonic_increasing
    assert backward.gate_voltage.is_monotonic_decreasing
    assert (
        forward.gate_voltage.iloc[[0, -1]].tolist(),
        backward.gate_voltage.iloc[[0, -1]].tolist(),
    ) == ([-1.5, 1.5], [1.5, -1.5])
    assert df.segment.nunique() == 2
    # hysteresis: the two sweeps differ at the same gate voltage
    at_zero = df[np.isclose(df.gate_voltage, 0.0)].groupby("sweep").drain_current.first()
    assert abs(at_zero["forward"] - at_zero["backward"]) > 1e-5


def test_data_files_are_never_modified():
    before = {p.name: _digest(p) for p in FOLDER.glob("*.*sv")}
    for meta in FOLDER.glob("*.toml"):
        dk.load_measurement(meta)
    assert {p.name: _digest(p) for p in FOLDER.glob("*.*sv")} == before


def test_header_units_without_metadata(tmp_path):
    path = tmp_path / "iv.csv"
    path.write_text("# probe station export\nV [mV], I (pA)\n-10, -2.5\n# mid comment\n10, 2.5\n")
    df = dk.load_measurement(path)
    assert df.voltage.tolist() == [-0.01, 0.01] and df.current.tolist() == [-2.5e-12, 2.5e-12]


def _dataset(tmp_path, text: str, header=True, unit="A", name="drain_current"):
    data = tmp_path / "bad.csv"
    data.write_text(text)
    header_line = 'header = "Drain Current (A)"\n' if header else ""
    (tmp_path / "bad.toml").write_text(
        f'[dataset]\ndata = "bad.csv"\n[format]\nheader = {str(header).lower()}\n'
        f'[[columns]]\n{header_line}name = "{name}"\nunit = "{unit}"\n'
    )
    return data


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("Other (A)\n1.0\n", {}, r"missing column 'Drain Current \(A\)'"),
        ("Drain Current (A)\n1.0\nabc\n", {}, r"row 3, column 'drain_current': 'abc'"),
        ("Drain Current (A)\nnan\nnan\n", {}, "all NaN"),
        ("Drain Current (A)\n1.0\n", {"unit": "mA"}, "the metadata says 'mA'"),
        ("", {}, "empty"),
        ("\ufeff\r\n\r\n", {}, "empty"),
        ("# only a comment\n", {}, "no data rows"),
        ("1.0\n", {"header": False, "name": "resistance"}, "not one of"),
    ],
)
def test_bad_data(tmp_path, text, kwargs, message):
    data = _dataset(tmp_path, text, **kwargs)
    before = data.read_bytes()
    with pytest.raises(DataFormatError, match=message) as caught:
        dk.load_measurement(tmp_path / "bad.toml")
    assert "bad." in str(caught.value)  # names the file
    assert data.read_bytes() == before


def test_read_only_copy_loads(tmp_path):
    for name in ("howorka_dna_nanopore_iv.toml", "howorka_dna_nanopore_iv.csv"):
        shutil.copy(FOLDER / name, tmp_path / name)
        (tmp_path / name).chmod(0o444)
    assert len(dk.load_measurement(tmp_path / "howorka_dna_nanopore_iv.toml")) == 21


def test_missing_metadata_and_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("1, 2\n3, 4\n")
    with pytest.raises(DataFormatError, match="no header and no metadata"):
        dk.load_measurement(path)
    with pytest.raises(DataFormatError, match="no such file"):
        dk.load_measurement(tmp_path / "nope.toml")
