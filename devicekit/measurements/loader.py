"""Load a measured data set into a DataFrame with canonical SI columns.

A data set is a data file (CSV, TSV or whitespace-separated) and a TOML metadata file beside it
(see measurements/ for examples). The metadata names the source, citation and licence, the
device and conditions, the protocol, and a column map with units; the loader copes with what real
files contain: a byte-order mark, CRLF line ends, comment lines, no header at all, units in the
header (``Drain Current (A)``, ``V [mV]``) and scale prefixes (mV, pA, nS).

Bad data raises :class:`~devicekit.errors.DataFormatError` naming the file, the row (its line
number in the file) and the column. Files are only ever opened for reading.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

from devicekit.errors import DataFormatError, UnitError
from devicekit.units import unit_factor

__all__ = ["CANONICAL_COLUMNS", "column_unit", "load_measurement"]

#: canonical column name -> kind of quantity (its unit in the DataFrame is the SI unit)
CANONICAL_COLUMNS = {
    "voltage": "voltage",
    "current": "current",
    "conductance": "conductance",
    "conductance_ratio": "dimensionless",
    "open_probability": "dimensionless",
    "time": "time",
    "current_density": "current_density",
    "conductance_density": "conductance_density",
    "drain_voltage": "voltage",
    "drain_current": "current",
    "gate_voltage": "voltage",
    "gate_current": "current",
    "reversal_potential": "voltage",
    "temperature": "temperature",
}
_ALIASES = {
    "v": "voltage",
    "i": "current",
    "g": "conductance",
    "t": "time",
    "vm": "voltage",
    "u": "voltage",
}
_HEADER_UNIT = re.compile(r"^(.*?)\s*[\[(]\s*([^\])]*?)\s*[\])]\s*$")
_DELIMITERS = {
    ",": ",",
    "comma": ",",
    "tab": "\t",
    "\t": "\t",
    ";": ";",
    "semicolon": ";",
    "whitespace": None,
    "space": None,
}
MAX_BYTES = 200_000_000


def _toml(path: Path) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise DataFormatError(f"{path}: metadata is not valid TOML: {error}") from None


# the metadata's shape: table -> {key: allowed types}; checked before anything is read from it
_META_SCHEMA = {
    "dataset": {"data": (str,)},
    "format": {"delimiter": (str,), "header": (bool,), "comment": (str,)},
    "protocol": {"kind": (str,), "sweep": (str,)},
}
_COLUMN_SCHEMA = {"name": (str,), "unit": (str,), "header": (str,), "index": (int,)}


def _check_metadata(meta: dict, path: Path) -> dict:
    """Refuse metadata whose tables or values have the wrong type, naming the key."""
    for table in ("dataset", "device", "conditions", "protocol", "format"):
        if table in meta and not isinstance(meta[table], dict):
            raise DataFormatError(f"{path}: [{table}] must be a table")
    for table, keys in _META_SCHEMA.items():
        for key, types in keys.items():
            value = meta.get(table, {}).get(key)
            if value is not None and (not isinstance(value, types) or _is_bool(value, types)):
                raise DataFormatError(
                    f"{path}: {table}.{key} = {value!r} must be a {types[0].__name__}"
                )
    comment = meta.get("format", {}).get("comment")
    if comment is not None and not comment.strip():
        raise DataFormatError(f"{path}: format.comment must not be empty; use '#'")
    columns = meta.get("columns")
    if columns is not None:
        if not isinstance(columns, list) or not all(isinstance(c, dict) for c in columns):
            raise DataFormatError(f"{path}: columns must be an array of tables ([[columns]])")
        for i, column in enumerate(columns):
            for key, types in _COLUMN_SCHEMA.items():
                value = column.get(key)
                if value is not None and (not isinstance(value, types) or _is_bool(value, types)):
                    raise DataFormatError(
                        f"{path}: columns[{i}].{key} = {value!r} must be a {types[0].__name__}"
                    )
            if isinstance(column.get("index"), int) and not 0 <= column["index"] < 10_000:
                raise DataFormatError(
                    f"{path}: columns[{i}].index = {column['index']} must be 0 to 9999"
                )
    return meta


def _is_bool(value, types) -> bool:
    return isinstance(value, bool) and bool not in types


def _resolve(path: Path) -> tuple[Path, Path | None]:
    """(data file, metadata file or None)."""
    if not path.exists():
        raise DataFormatError(f"{path}: no such file")
    if path.suffix.lower() == ".toml":
        meta = _check_metadata(_toml(path), path)
        name = meta.get("dataset", {}).get("data")
        if not isinstance(name, str):
            raise DataFormatError(f"{path}: [dataset] needs 'data', the data file's name")
        data = (path.parent / name).resolve()
        if not data.is_file():
            raise DataFormatError(f"{path}: its data file {name!r} does not exist")
        return data, path
    sibling = path.with_suffix(".toml")
    return path, (sibling if sibling.exists() else None)


def _split(line: str, delimiter: str | None) -> list[str]:
    return line.split() if delimiter is None else [c.strip() for c in line.split(delimiter)]


def _unit_of(unit: str, kind: str, where: str):
    if kind == "dimensionless" and unit in ("", "1", "-"):
        return None
    try:
        return unit_factor(unit, kind)
    except UnitError as error:
        raise DataFormatError(f"{where}: {error}") from None


def _columns_from_header(header: list[str], source: Path) -> list[dict]:
    """Without metadata: infer the columns from a header such as 'V [mV], I (pA)'."""
    columns = []
    for cell in header:
        match = _HEADER_UNIT.match(cell)
        if not match:
            raise DataFormatError(
                f"{source}: header cell {cell!r} has no unit; write the metadata file "
                f"{source.with_suffix('.toml').name} (see measurements/) or put the unit in "
                "brackets, e.g. 'voltage [mV]'"
            )
        label, unit = match.group(1).strip(), match.group(2)
        name = label.lower().replace(" ", "_")
        columns.append({"header": cell, "name": _ALIASES.get(name, name), "unit": unit})
    return columns


def load_measurement(path):
    """Load a measured data set.

    Parameters
    ----------
    path : str or Path
        The metadata file (``.toml``), or the data file (its ``.toml`` sibling is used when
        there is one; otherwise the header must carry units).

    Returns
    -------
    pandas.DataFrame
        Canonical columns in SI units (``voltage`` [V], ``current`` [A], ``time`` [s]...).
        ``df.attrs`` holds the metadata (``dataset``, ``device``, ``conditions``, ``protocol``),
        ``units`` (column -> SI unit) and ``source_file``. A transfer curve also gets ``sweep``
        (``forward``/``backward``) and ``segment`` columns, one segment per sweep direction.

    Raises
    ------
    DataFormatError
        Naming the file, row and column: a missing column, a non-numeric cell, all-NaN data,
        a unit that contradicts the metadata, an empty file.
    """
    import pandas as pd

    data_path, meta_path = _resolve(Path(path))
    meta = _check_metadata(_toml(meta_path), meta_path) if meta_path else {}
    fmt = meta.get("format", {})
    raw = data_path.read_bytes()
    if len(raw) > MAX_BYTES:
        raise DataFormatError(f"{data_path}: larger than {MAX_BYTES} bytes")
    if not raw.strip(b"\xef\xbb\xbf \t\r\n"):
        raise DataFormatError(f"{data_path}: the file is empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataFormatError(f"{data_path}: not UTF-8 text (byte {error.start})") from None
    comment = fmt.get("comment", "#")
    lines = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith(comment)
    ]
    if not lines:
        raise DataFormatError(f"{data_path}: no data rows (only comments or blank lines)")
    delimiter_name = fmt.get("delimiter")
    if delimiter_name is None:  # by extension, else by what the first line contains
        by_suffix = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
        delimiter = by_suffix.get(data_path.suffix.lower())
        if delimiter is None:
            delimiter = next((d for d in ("\t", ",", ";") if d in lines[0][1]), None)
    elif delimiter_name in _DELIMITERS:
        delimiter = _DELIMITERS[delimiter_name]
    else:
        raise DataFormatError(
            f"{meta_path}: format.delimiter {delimiter_name!r} is unknown; "
            f"use one of {sorted(_DELIMITERS)}"
        )
    has_header = fmt.get("header")
    if has_header is None:  # a header is a first line that does not parse as numbers
        try:
            [float(c) for c in _split(lines[0][1], delimiter)]
            has_header = False
        except ValueError:
            has_header = True
    header = _split(lines[0][1], delimiter) if has_header else None
    body = lines[1:] if has_header else lines
    columns = meta.get("columns") or (_columns_from_header(header, data_path) if header else None)
    if not columns:
        raise DataFormatError(
            f"{data_path}: no header and no metadata; write {data_path.with_suffix('.toml').name} "
            "with a [[columns]] map (name and unit of each column), see measurements/"
        )
    positions, converters, names = [], [], []
    for index, column in enumerate(columns):
        name, unit = column.get("name"), column.get("unit", "")
        if name not in CANONICAL_COLUMNS:
            raise DataFormatError(
                f"{meta_path or data_path}: column name {name!r} is not one of "
                f"{sorted(CANONICAL_COLUMNS)}"
            )
        kind = CANONICAL_COLUMNS[name]
        where = f"{meta_path or data_path}: column {name!r}"
        converter = _unit_of(str(unit), kind, where)
        if header is not None and "header" in column:
            if column["header"] not in header:
                raise DataFormatError(
                    f"{data_path}: missing column {column['header']!r} "
                    f"(metadata column {name!r}); the header has {header}"
                )
            position = header.index(column["header"])
            match = _HEADER_UNIT.match(column["header"])
            if match:  # the unit written in the header must agree with the metadata
                written = _unit_of(
                    match.group(2), kind, f"{data_path}: header {column['header']!r}"
                )
                if (written and converter and written != converter) or (
                    bool(written) != bool(converter)
                ):
                    raise DataFormatError(
                        f"{data_path}: column {column['header']!r} is in {match.group(2)!r} but "
                        f"the metadata says {unit!r}; correct the metadata"
                    )
        else:
            position = column.get("index", index)
        positions.append(position)
        converters.append(converter)
        names.append(name)
    values = np.empty((len(body), len(names)))
    for row, (number, line) in enumerate(body):
        cells = _split(line, delimiter)
        for k, (position, name) in enumerate(zip(positions, names, strict=True)):
            if position >= len(cells):
                raise DataFormatError(
                    f"{data_path}: row {number}, column {name!r}: missing "
                    f"(the row has {len(cells)} fields)"
                )
            try:
                values[row, k] = float(cells[position])
            except ValueError:
                raise DataFormatError(
                    f"{data_path}: row {number}, column {name!r}: "
                    f"{cells[position]!r} is not a number"
                ) from None
    for k, converter in enumerate(converters):
        if converter is not None:
            values[:, k] = converter.to_si(values[:, k])
    frame = pd.DataFrame(values, columns=names)
    if frame.empty:
        raise DataFormatError(f"{data_path}: no data rows after the header")
    for name in names:
        if frame[name].isna().all():
            raise DataFormatError(f"{data_path}: column {name!r} is all NaN")
    protocol = meta.get("protocol", {})
    if protocol.get("kind") == "transfer":
        _label_sweeps(frame, protocol.get("sweep", names[0]), data_path)
    frame.attrs.update(
        {key: meta.get(key, {}) for key in ("dataset", "device", "conditions", "protocol")},
        units={n: column_unit(n) for n in names},
        source_file=str(data_path),
        metadata_file=str(meta_path) if meta_path else None,
    )
    return frame


def column_unit(name: str) -> str:
    """The SI unit of a canonical column (``current`` -> ``A``); ``""`` for any other name."""
    from devicekit.units import KINDS

    kind = CANONICAL_COLUMNS.get(name)
    return KINDS[kind][0] if kind else ""


def _label_sweeps(frame, column: str, source: Path) -> None:
    """Mark each row with its sweep direction; a repeated turning point belongs to the sweep
    that leaves it."""
    if column not in frame:
        raise DataFormatError(f"{source}: protocol.sweep names {column!r}, which is not a column")
    x = frame[column].to_numpy()
    step = np.sign(np.diff(x))
    into = np.concatenate([[0.0], step])
    out = np.concatenate([step, [0.0]])
    direction = np.where(into != 0, into, out)
    for i in range(direction.size - 2, -1, -1):  # runs of zero steps take the next direction
        if direction[i] == 0:
            direction[i] = direction[i + 1]
    frame["sweep"] = np.where(direction >= 0, "forward", "backward")
    frame["segment"] = np.concatenate(
        [[0], np.cumsum(frame["sweep"].to_numpy()[1:] != frame["sweep"].to_numpy()[:-1])]
    )
