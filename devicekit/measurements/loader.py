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

import io
import itertools
import re
from array import array
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from devicekit.errors import DataFormatError, UnitError, quote
from devicekit.io import read_regular, regular_file
from devicekit.measurements.catalogue import card_path, looks_like_name
from devicekit.tomltext import load_toml
from devicekit.units import KINDS, unit_factor

if TYPE_CHECKING:
    import os

    import pandas as pd

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
    # a clamp step given as its change from rest (Hodgkin and Huxley's "depolarization")
    "depolarization": "voltage",
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
#: the largest data file read [bytes]; memory stays proportional to the file (8 bytes a value)
MAX_BYTES = 200_000_000
_BLOCK = 1 << 20  # values read before they are moved into a numpy block
#: the largest metadata file read [bytes]
MAX_META_BYTES = 1_000_000
#: text encodings a data file may declare in ``[format] encoding``
ENCODINGS = ("utf-8", "latin-1", "cp1252", "utf-16")


def _toml(path: Path) -> dict:
    raw = read_regular(path, what="metadata file", max_bytes=MAX_META_BYTES, error=DataFormatError)
    return load_toml(raw, str(path), DataFormatError, what="metadata file")


# the metadata's shape: table -> {key: allowed types}; checked before anything is read from it
_META_SCHEMA = {
    "dataset": {"data": (str,)},
    "format": {
        "delimiter": (str,),
        "header": (bool,),
        "comment": (str,),
        "decimal": (str,),
        "encoding": (str,),
    },
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
    decimal = meta.get("format", {}).get("decimal")
    if decimal is not None and decimal not in (".", ","):
        raise DataFormatError(f"{path}: format.decimal = {quote(decimal)} must be '.' or ','")
    encoding = meta.get("format", {}).get("encoding")
    if encoding is not None and encoding.lower() not in ENCODINGS:
        raise DataFormatError(
            f"{path}: format.encoding = {quote(encoding)} must be one of {', '.join(ENCODINGS)}"
        )
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


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long for the filesystem
        return False


def _resolve(path: Path) -> tuple[Path, Path | None, dict]:
    """(data file, metadata file or None, metadata)."""
    if not _exists(path) and not path.is_symlink():
        raise DataFormatError(f"{quote(path)}: no such file")
    if path.suffix.lower() == ".toml":
        meta = _check_metadata(_toml(path), path)
        name = meta.get("dataset", {}).get("data")
        if not isinstance(name, str) or not name.strip():
            raise DataFormatError(f"{path}: [dataset] needs 'data', the data file's name")
        data = path.parent / name
        if not _exists(data):
            raise DataFormatError(f"{path}: its data file {quote(name)} does not exist")
        return data, path, meta
    sibling = path.with_suffix(".toml")
    if _exists(sibling):
        return path, sibling, _check_metadata(_toml(sibling), sibling)
    return path, None, {}


def _split(line: str, delimiter: str | None) -> list[str]:
    return line.split() if delimiter is None else [c.strip() for c in line.split(delimiter)]


def _rows(text, source: Path, comment: str, encoding: str, seen: list):
    """(line number, text) of every line that is not blank or a comment, streamed; ``seen``
    gets an entry at the first line that is not blank."""
    read = 0
    try:
        for number, line in enumerate(text, start=1):
            read += len(line)
            if read > MAX_BYTES:  # the file grew while it was read
                raise DataFormatError(f"{source}: larger than the limit of {MAX_BYTES:,} bytes")
            stripped = line.strip().lstrip("\ufeff")
            if stripped and not seen:
                seen.append(number)
            if stripped and not stripped.startswith(comment):
                yield number, line.rstrip("\r\n")
    except UnicodeDecodeError as error:
        raise DataFormatError(
            f"{source}: not {encoding} text (byte {error.start} of a block); give the file's "
            "encoding in the metadata: [format] encoding = 'latin-1'"
        ) from None


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
        if match:
            label, unit = match.group(1).strip(), match.group(2)
            name = label.lower().replace(" ", "_")
            columns.append({"header": cell, "name": _ALIASES.get(name, name), "unit": unit})
            continue
        suffixed = _unit_suffix(cell)
        if suffixed is None:
            raise DataFormatError(
                f"{source}: header cell {cell!r} has no unit; write the metadata file "
                f"{source.with_suffix('.toml').name} (see measurements/) or put the unit in "
                "the header: 'voltage [mV]' or 'voltage_mV'"
            )
        columns.append({"header": cell, "name": suffixed[0], "unit": suffixed[1]})
    return columns


def _unit_suffix(cell: str) -> tuple[str, str] | None:
    """``voltage_mV`` -> (``voltage``, ``mV``): a known column name, an underscore and a unit of
    that column's quantity; None for anything else (so ``drain_current`` alone is no unit)."""
    if "_" not in cell:
        return None
    label, unit = cell.strip().rsplit("_", 1)
    name = _ALIASES.get(label.lower(), label.lower())
    kind = CANONICAL_COLUMNS.get(name)
    if kind is None or kind == "dimensionless":
        return None
    try:
        unit_factor(unit, kind)
    except UnitError:
        return None
    return name, unit


def load_measurement(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Load a measured data set.

    Parameters
    ----------
    path : str or Path
        The metadata file (``.toml``), or the data file (its ``.toml`` sibling is used when
        there is one; otherwise the header must carry units), or the name of a packaged data
        set (:func:`devicekit.datasets.list`).

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

    if looks_like_name(path) and not _exists(Path(path)):  # a packaged data set, by name
        path = card_path(path)  # or an error that lists the names
    data_path, meta_path, meta = _resolve(Path(path))
    fmt = meta.get("format", {})
    comment = fmt.get("comment", "#")
    decimal = fmt.get("decimal", ".")
    encoding = fmt.get("encoding", "utf-8").lower()
    encoding = "utf-8-sig" if encoding == "utf-8" else encoding
    handle = regular_file(data_path, what="data file", max_bytes=MAX_BYTES, error=DataFormatError)
    with io.TextIOWrapper(handle, encoding=encoding, newline=None) as text:
        seen: list[int] = []
        rows = _rows(text, data_path, comment, encoding, seen)
        first = next(rows, None)
        if first is None:
            raise DataFormatError(
                f"{data_path}: no data rows (only comments or blank lines)"
                if seen
                else f"{data_path}: the file is empty"
            )
        delimiter = _delimiter(fmt, data_path, meta_path, first[1])
        has_header = fmt.get("header")
        if has_header is None:  # a header is a first line that does not parse as numbers
            try:
                [float(_number_text(c, decimal)) for c in _split(first[1], delimiter)]
                has_header = False
            except ValueError:
                has_header = True
        header = _split(first[1], delimiter) if has_header else None
        if header is not None:
            repeated = sorted({c for c in header if header.count(c) > 1})
            if repeated:
                raise DataFormatError(
                    f"{data_path}: the header names {quote(repeated[0])} more than once; "
                    "give every column its own name"
                )
        columns = meta.get("columns") or (
            _columns_from_header(header, data_path) if header else None
        )
        if not columns:
            raise DataFormatError(
                f"{data_path}: no header and no metadata; write "
                f"{data_path.with_suffix('.toml').name} with a [[columns]] map (name and unit of "
                "each column), see measurements/"
            )
        positions, converters, names = _column_map(columns, header, data_path, meta_path)
        if len(set(names)) != len(names):
            raise DataFormatError(f"{meta_path or data_path}: column names {names} repeat")
        positional = header is None and not any("index" in c for c in columns)
        width = len(header) if header is not None else (len(columns) if positional else None)
        body = rows if has_header else itertools.chain([first], rows)
        values = _read_values(body, delimiter, decimal, positions, names, width, data_path)
    for k, converter in enumerate(converters):
        if converter is not None:
            values[:, k] = converter.to_si(values[:, k])
    frame = pd.DataFrame(values, columns=names, copy=False)
    if frame.empty:
        raise DataFormatError(f"{data_path}: no data rows after the header")
    for name in names:
        if frame[name].isna().all():
            raise DataFormatError(f"{data_path}: column {name!r} is all NaN")
    if not np.any(np.nan_to_num(values)):
        raise DataFormatError(
            f"{data_path}: every value in every row is 0; the file holds no measurement"
        )
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


def _number_text(cell: str, decimal: str) -> str:
    return cell.replace(",", ".") if decimal == "," else cell


def _delimiter(fmt: dict, data_path: Path, meta_path, line: str) -> str | None:
    name = fmt.get("delimiter")
    if name is None:  # by extension, else by what the first line contains
        by_suffix = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
        delimiter = by_suffix.get(data_path.suffix.lower())
        if delimiter == "," and line.count(";") >= max(1, line.count(",")):
            delimiter = ";"  # a European "CSV": fields between semicolons
        if delimiter is None:
            delimiter = next((d for d in ("\t", ";", ",") if d in line), None)
        return delimiter
    if name in _DELIMITERS:
        return _DELIMITERS[name]
    raise DataFormatError(
        f"{meta_path}: format.delimiter {quote(name)} is unknown; use one of {sorted(_DELIMITERS)}"
    )


def _column_map(columns, header, data_path: Path, meta_path):
    """(positions, unit converters, canonical names) of the columns to read."""
    positions, converters, names = [], [], []
    for index, column in enumerate(columns):
        name, unit = column.get("name"), column.get("unit", "")
        if name not in CANONICAL_COLUMNS:
            raise DataFormatError(
                f"{meta_path or data_path}: column name {quote(name)} is not one of "
                f"{sorted(CANONICAL_COLUMNS)}"
            )
        kind = CANONICAL_COLUMNS[name]
        where = f"{meta_path or data_path}: column {name!r}"
        converter = _unit_of(str(unit), kind, where)
        if header is not None and "header" in column:
            if column["header"] not in header:
                shown = ", ".join(quote(h, 40) for h in header[:8])
                raise DataFormatError(
                    f"{data_path}: missing column {quote(column['header'])} "
                    f"(metadata column {name!r}); the header has {shown}"
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
    return positions, converters, names


def _read_values(body, delimiter, decimal, positions, names, width, source: Path):
    """The numbers of the wanted columns, as a (rows, columns) array, read row by row into a
    flat array of doubles in blocks of 1 MiB values (memory: 8 bytes a value, and as much again
    while the blocks are joined, whatever the file's size)."""
    blocks: list[np.ndarray] = []
    flat = array("d")
    expected = width
    for number, line in body:
        cells = _split(line, delimiter)
        if expected is None:
            expected = len(cells)
        if len(cells) != expected:
            raise DataFormatError(f"{source}: row {number} has {len(cells)} fields, not {expected}"
                                  + _decimal_hint(cells, delimiter, decimal))  # fmt: skip
        for position, name in zip(positions, names, strict=True):
            if position >= len(cells):
                raise DataFormatError(
                    f"{source}: row {number}, column {name!r}: missing "
                    f"(the row has {len(cells)} fields)"
                )
            cell = cells[position]
            try:
                flat.append(float(_number_text(cell, decimal)))
            except ValueError:
                raise DataFormatError(
                    f"{source}: row {number}, column {name!r}: {quote(cell)} is not a number"
                    + _decimal_hint([cell], delimiter, decimal)
                ) from None
        if len(flat) >= _BLOCK:
            blocks.append(np.frombuffer(flat, dtype=float))  # shares the array's memory
            flat = array("d")
    blocks.append(np.frombuffer(flat, dtype=float))
    return np.concatenate(blocks).reshape(-1, len(names))


def _decimal_hint(cells, delimiter, decimal) -> str:
    if decimal == "," or not any("," in c or ";" in c for c in cells):
        return ""
    return (
        "; if the file writes numbers with a decimal comma (0,5), say so in its metadata: "
        '[format] decimal = "," and delimiter = ";"'
    )


def column_unit(name: str) -> str:
    """The SI unit of a canonical column (``current`` -> ``A``); ``""`` for any other name."""

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
