"""Reading one table of a model card, tracking where it is for error messages."""

from __future__ import annotations

from typing import Any, Literal, overload

from devicekit.errors import ModelCardError, UnitError
from devicekit.units import parse_quantity

__all__ = ["Reader"]


class Reader:
    """Reads one table of a card, tracking where it is for error messages."""

    def __init__(self, table: object, where: str, source: str) -> None:
        if not isinstance(table, dict):
            raise ModelCardError(f"{source}: {where} must be a table, not {table!r}")
        self.table, self.where, self.source = table, where, source

    def check_keys(self, allowed: set[str]) -> None:
        unknown = set(self.table) - allowed
        if unknown:
            raise ModelCardError(
                f"{self.source}: unknown key(s) {sorted(unknown)} in {self.where}; valid keys: "
                f"{sorted(allowed)}"
            )

    def required(self, key: str) -> Any:
        if key not in self.table:
            raise ModelCardError(f"{self.source}: {self.where} needs '{key}'")
        return self.table[key]

    @overload
    def text(self, key: str, default: str, required: bool = False) -> str: ...

    @overload
    def text(self, key: str, default: None = None, required: bool = False) -> str | None: ...

    def text(self, key: str, default: str | None = None, required: bool = False) -> str | None:
        value = self.required(key) if required else self.table.get(key, default)
        if value is not None and not isinstance(value, str):
            raise ModelCardError(f"{self.source}: {self.where}.{key} must be a string")
        return value

    @overload
    def quantity(self, key: str, kind: str, default: float, required: bool = False) -> float: ...

    @overload
    def quantity(
        self, key: str, kind: str, default: None = None, *, required: Literal[True]
    ) -> float: ...

    @overload
    def quantity(
        self, key: str, kind: str, default: None = None, required: bool = False
    ) -> float | None: ...

    def quantity(
        self, key: str, kind: str, default: float | None = None, required: bool = False
    ) -> float | None:
        if key not in self.table:
            if required:
                raise ModelCardError(f"{self.source}: {self.where} needs '{key}' ({kind})")
            return default
        value = self.table[key]
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ModelCardError(f"{self.source}: {self.where}.{key} must be a quantity string")
        try:
            return float(parse_quantity(value, kind, name=f"{self.source}: {self.where}.{key}"))
        except UnitError as error:
            raise ModelCardError(str(error)) from None

    def number(
        self,
        key: str,
        default: float | None = None,
        required: bool = False,
        integer: bool = False,
    ) -> float | None:
        if required and key not in self.table:
            raise ModelCardError(f"{self.source}: {self.where} needs '{key}' (a number)")
        value = self.table.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ModelCardError(f"{self.source}: {self.where}.{key} must be a number")
        if integer and not isinstance(value, int):
            raise ModelCardError(f"{self.source}: {self.where}.{key} must be a whole number")
        return value

    def quantities(self, key: str, kind: str, required: bool = False) -> tuple[float, ...]:
        """An array of quantity strings, such as ``times = ["10ms", "20ms"]``."""
        if required:
            self.required(key)
        values = self.table.get(key, [])
        if not isinstance(values, list):
            raise ModelCardError(f"{self.source}: {self.where}.{key} must be an array")
        out: list[float] = []
        for i, value in enumerate(values):
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise ModelCardError(
                    f"{self.source}: {self.where}.{key}[{i}] must be a quantity string"
                )
            try:
                out.append(parse_quantity(value, kind, name=f"{self.where}.{key}[{i}]"))
            except UnitError as error:
                raise ModelCardError(f"{self.source}: {error}") from None
        return tuple(out)

    def sub(self, key: str, index: int | None = None) -> Reader:
        value = self.table[key] if index is None else self.table[key][index]
        label = f"{self.where}.{key}" + ("" if index is None else f"[{index}]")
        return Reader(value, label, self.source)

    def array(self, key: str) -> list[Any]:
        value = self.table.get(key, [])
        if not isinstance(value, list):
            raise ModelCardError(f"{self.source}: {self.where}.{key} must be an array of tables")
        return value
