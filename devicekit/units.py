"""Human units at the edges: parse ``140mM``, ``37degC``, ``10uA/cm2`` into SI numbers.

Inside devicekit every number is SI (V, A, S, F, s, K, m, mol/m^3). Quantities written by people
(on the command line, in model cards, in measurement headers) pass through :func:`parse_quantity`,
which knows the kind of quantity it expects and refuses a unit of another kind with a message
that names the value, the accepted units and an example.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from devicekit.errors import UnitError, quote

__all__ = [
    "KINDS",
    "Unit",
    "engineering",
    "engineering_unit",
    "format_quantity",
    "parse_quantity",
    "quantity_text",
    "unit_factor",
]

# Factors are exact fractions, rounded to float once, so that e.g. uA/cm2 is exactly 0.01
# (1e-6 / 1e-4 in floating point would be 0.009999999999999998).
_PREFIXES = {
    "": Fraction(1),
    "k": Fraction(10**3),
    "m": Fraction(1, 10**3),
    "u": Fraction(1, 10**6),
    "µ": Fraction(1, 10**6),
    "μ": Fraction(1, 10**6),
    "n": Fraction(1, 10**9),
    "p": Fraction(1, 10**12),
    "f": Fraction(1, 10**15),
    "a": Fraction(1, 10**18),
}
# areas by which a quantity can be divided, in m^2
_AREAS = {
    "m2": Fraction(1),
    "cm2": Fraction(1, 10**4),
    "mm2": Fraction(1, 10**6),
    "um2": Fraction(1, 10**12),
    "µm2": Fraction(1, 10**12),
}


@dataclass(frozen=True)
class Unit:
    """A unit symbol: ``value_SI = factor * value + offset``.

    For sub-units whose factor is 1/n (mV, ms, uA/cm2) the conversion divides by the integer n,
    which is correctly rounded: ``-18mV`` is exactly ``-18 / 1000``, the same float as -0.018,
    where ``-18 * 1e-3`` would be -0.018000000000000002."""

    kind: str
    factor: float
    offset: float = 0.0
    divisor: float | None = None

    @staticmethod
    def exact(kind: str, factor: Fraction) -> Unit:
        if factor.numerator == 1 and factor.denominator > 1:
            return Unit(kind, float(factor), divisor=float(factor.denominator))
        return Unit(kind, float(factor))

    def to_si(self, number: float) -> float:
        scaled = number / self.divisor if self.divisor else number * self.factor
        return scaled + self.offset

    def from_si(self, value: float) -> float:
        shifted = value - self.offset
        return shifted * self.divisor if self.divisor else shifted / self.factor


def _build_table() -> dict[str, Unit]:
    table: dict[str, Unit] = {}

    def prefixed(base, kind, scale=Fraction(1), prefixes=_PREFIXES):
        for prefix, factor in prefixes.items():
            table[prefix + base] = Unit.exact(kind, factor * scale)

    prefixed("V", "voltage")
    prefixed("A", "current")
    prefixed("S", "conductance")
    prefixed("F", "capacitance")
    prefixed("s", "time")
    prefixed(
        "Ohm", "resistance", prefixes={**_PREFIXES, "M": Fraction(10**6), "G": Fraction(10**9)}
    )
    for area, area_factor in _AREAS.items():
        prefixed(f"A/{area}", "current_density", 1 / area_factor)
        prefixed(f"S/{area}", "conductance_density", 1 / area_factor)
        prefixed(f"F/{area}", "capacitance_density", 1 / area_factor)
        table[area] = Unit.exact("area", area_factor)
    # concentration: M = mol/L = 1000 mol/m^3
    prefixed("M", "concentration", Fraction(10**3))
    prefixed("mol/L", "concentration", Fraction(10**3))
    table["mol/m3"] = Unit("concentration", 1.0)
    # volume: litres (1 L = 1e-3 m^3) and cubic lengths
    prefixed("L", "volume", Fraction(1, 10**3))
    for name, factor in (("m3", 1), ("cm3", Fraction(1, 10**6)), ("mm3", Fraction(1, 10**9))):
        table[name] = Unit.exact("volume", Fraction(factor))
    table["um3"] = table["µm3"] = Unit.exact("volume", Fraction(1, 10**18))
    # length and permeability
    for prefix in ("", "c", "m", "u", "µ", "n"):
        factor = Fraction(1, 100) if prefix == "c" else _PREFIXES[prefix]
        table[prefix + "m"] = Unit.exact("length", factor)
        table[prefix + "m/s"] = Unit.exact("permeability", factor)
    table["Å"] = Unit("length", 1e-10)
    # rates and frequencies
    for prefix in ("", "m", "u"):
        for name in (f"1/{prefix}s", f"/{prefix}s"):
            table[name] = Unit("frequency", float(1 / _PREFIXES[prefix]))
    for name, factor in (("1/V", 1.0), ("/V", 1.0), ("1/mV", 1e3), ("/mV", 1e3)):
        table[name] = Unit("inverse_voltage", factor)
    table["min"] = Unit("time", 60.0)
    table["Hz"] = Unit("frequency", 1.0)
    table["kHz"] = Unit("frequency", 1e3)
    # diffusion, viscosity, surface charge
    table["m2/s"] = Unit("diffusivity", 1.0)
    table["um2/ms"] = Unit("diffusivity", 1e-9)
    table["cm2/s"] = Unit("diffusivity", 1e-4)
    table["Pa*s"] = table["Pas"] = Unit("viscosity", 1.0)
    table["mPa*s"] = table["mPas"] = Unit("viscosity", 1e-3)
    table["C/m2"] = Unit("charge_density", 1.0)
    table["e/nm2"] = Unit("charge_density", 1.602176634e-19 * 1e18)
    table["uC/cm2"] = Unit("charge_density", 0.01)
    # temperature
    table["K"] = Unit("temperature", 1.0)
    table["degC"] = table["°C"] = Unit("temperature", 1.0, 273.15)
    # dimensionless
    table["1"] = table["-"] = Unit("dimensionless", 1.0)
    table["%"] = Unit("dimensionless", 0.01)
    return table


_UNITS = _build_table()

#: The SI unit and an example of each kind of quantity, for messages.
KINDS: dict[str, tuple[str, str]] = {
    "voltage": ("V", "-65mV"),
    "current": ("A", "10pA"),
    "current_density": ("A/m2", "10uA/cm2"),
    "conductance": ("S", "2nS"),
    "conductance_density": ("S/m2", "36mS/cm2"),
    "capacitance": ("F", "10pF"),
    "capacitance_density": ("F/m2", "1uF/cm2"),
    "resistance": ("Ohm", "1MOhm"),
    "concentration": ("mol/m3", "140mM"),
    "temperature": ("K", "37degC"),
    "time": ("s", "200ms"),
    "length": ("m", "10um"),
    "volume": ("m3", "4.19pL"),
    "permeability": ("m/s", "1e-6cm/s"),
    "frequency": ("1/s", "0.1/ms"),
    "area": ("m2", "1cm2"),
    "inverse_voltage": ("1/V", "-28.8/V"),
    "diffusivity": ("m2/s", "1e-9m2/s"),
    "viscosity": ("Pa*s", "1.01mPa*s"),
    "charge_density": ("C/m2", "-0.0015e/nm2"),
    "dimensionless": ("1", "0.04"),
}

_NUMBER = re.compile(
    r"^\s*([-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf))\s*(.*?)\s*$", re.IGNORECASE
)


def _normalise(unit: str) -> str:
    unit = unit.replace("^", "").replace("·", "*").replace(" ", "")
    return {"ohm": "Ohm", "Ω": "Ohm"}.get(unit, unit.replace("Ω", "Ohm"))


def _units_of(kind: str) -> list[str]:
    names = [name for name, unit in _UNITS.items() if unit.kind == kind]
    common = [n for n in names if not n.startswith(("µ", "μ", "f", "k"))]
    return common[:8]


def unit_factor(unit: str, kind: str | None = None) -> Unit:
    """Look up a unit symbol (``mV``, ``uA/cm2``...), optionally checking its kind."""
    key = _normalise(unit)
    found = _UNITS.get(key)
    if found is None:
        hint = (
            f"; units for a {kind.replace('_', ' ')}: {', '.join(_units_of(kind))}" if kind else ""
        )
        raise UnitError(f"unknown unit {quote(unit)}{hint}")
    if kind is not None and found.kind != kind:
        raise UnitError(
            f"{quote(unit)} is a unit of {found.kind.replace('_', ' ')}, not of "
            f"{kind.replace('_', ' ')}; use one of {', '.join(_units_of(kind))} "
            f"(for example {KINDS[kind][1]})"
        )
    return found


def parse_quantity(
    text: str | float, kind: str, *, name: str = "value", default_unit: str | None = None
) -> float:
    """Parse ``'140mM'`` (number followed by a unit) into an SI float of the given kind.

    Parameters
    ----------
    text : str or float
        The quantity as a person writes it. A bare number is accepted only for dimensionless
        quantities or when ``default_unit`` is given.
    kind : str
        The expected kind, a key of :data:`KINDS` (``concentration``, ``temperature``...).
    name : str
        What the value is (``--inside``, ``c_in``), for error messages.
    default_unit : str, optional
        Unit assumed for a bare number.

    Returns
    -------
    float
        The value in SI units (mol/m^3 for concentrations, K for temperatures).

    Raises
    ------
    UnitError
        For a missing, unknown or wrong-kind unit, naming the value, the units accepted and an
        example.
    """
    if kind not in KINDS:
        raise UnitError(f"unknown kind of quantity {kind!r}; known kinds: {', '.join(KINDS)}")
    example = KINDS[kind][1]
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        number, unit = float(text), ""
    else:
        match = _NUMBER.match(str(text))
        if match is None:
            raise UnitError(
                f"{name} = {quote(text)} is not a quantity; write a number followed by a unit, for "
                f"example {example}"
            )
        number, unit = float(match.group(1)), match.group(2)
    if not unit:
        if kind == "dimensionless":
            return number
        if default_unit is None:
            raise UnitError(
                f"{name} = {quote(text)} has no unit; write it with a unit of "
                f"{kind.replace('_', ' ')}, for example {example}"
            )
        unit = default_unit
    try:
        found = unit_factor(unit, kind)
    except UnitError as error:
        raise UnitError(f"{name} = {quote(text)}: {error}") from None
    return found.to_si(number)


def quantity_text(value: float, unit: str, kind: str) -> str:
    """The shortest ``"<number><unit>"`` that :func:`parse_quantity` reads back as exactly
    ``value`` (for files that must round-trip, such as model cards)."""
    found = Unit(kind, 1.0) if unit == "" else unit_factor(unit, kind)
    shown = found.from_si(value)
    for digits in range(6, 18):
        text = f"{shown:.{digits}g}{unit}"
        if parse_quantity(text, kind) == value:
            return text
    si = KINDS[kind][0]
    return f"{value!r}{'' if si == '1' else si}"


_ENGINEERING = (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3), ("", 1.0), ("m", 1e-3),
                ("u", 1e-6), ("n", 1e-9), ("p", 1e-12), ("f", 1e-15), ("a", 1e-18))  # fmt: skip


def engineering_prefix(value: float) -> tuple[str, float]:
    """The SI prefix (and its factor) that puts |value| in [1, 1000): 2.4e-12 -> ("p", 1e-12)."""
    size = abs(value)
    if size == 0 or not math.isfinite(size):
        return "", 1.0
    for prefix, factor in _ENGINEERING:
        if size >= factor:
            return prefix, factor
    return _ENGINEERING[-1]


def engineering(value: float, unit: str, digits: int = 4) -> str:
    """``engineering(2.4e-12, "S") == "2.4 pS"``: the value with the prefix that suits it."""
    prefix, factor = engineering_prefix(value)
    return f"{value / factor:.{digits}g} {prefix}{unit}"


def engineering_unit(value: float, unit: str, kind: str) -> str:
    """The prefixed unit that suits ``value`` and that :func:`parse_quantity` reads (``pS`` for
    2.4e-12 S), else ``unit`` itself."""
    prefix, _ = engineering_prefix(value)
    try:
        unit_factor(prefix + unit, kind)
    except UnitError:
        return unit
    return prefix + unit


def format_quantity(value: float, unit: str, digits: int = 4) -> str:
    """Format an SI value in a display unit: ``format_quantity(-0.08906, 'mV') == '-89.06 mV'``."""
    shown = unit_factor(unit).from_si(value)
    return f"{shown:.{digits}g} {unit}"
