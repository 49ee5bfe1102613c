"""Measured data sets: a data file plus TOML metadata, loaded into pandas with SI columns."""

from devicekit.measurements.loader import CANONICAL_COLUMNS, column_unit, load_measurement

__all__ = ["CANONICAL_COLUMNS", "column_unit", "load_measurement"]
