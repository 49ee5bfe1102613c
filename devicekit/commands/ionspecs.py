"""Arguments of the calculator commands (``nernst``, ``ghk``, ``rest``): ion specifications
(``K:140mM:5mM:1``), quantities written as people write them (``140mM``, ``37degC``) converted
to SI, the constants they may override, and the arguments they share."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from devicekit.cli import add_json_flag
from devicekit.electrochem.constants import CODATA, Constants
from devicekit.errors import InvalidInput, UnitError
from devicekit.models.ions import get_ion, get_solution
from devicekit.units import parse_quantity

if TYPE_CHECKING:
    import argparse

__all__ = ["IonSpec", "common_arguments", "parse_ion_spec", "specs_from_args"]


TEMPERATURE_DEFAULT = "37degC"


@dataclass
class IonSpec:
    """One ``--ion`` argument: symbol, valence, concentrations [mol/m^3], permeability."""

    symbol: str
    valence: int
    inside: float
    outside: float
    permeability: float | None = None
    permeability_absolute: bool = False


def valence_of(symbol: str, explicit: str | None) -> int:

    if explicit is not None:
        try:
            return int(explicit)
        except ValueError:
            raise InvalidInput(
                f"valence {explicit!r} of ion {symbol!r} is not an integer; "
                "write e.g. X:1mM:2mM:1:2"
            ) from None
    return get_ion(symbol).valence


def parse_ion_spec(text: str, *, need_permeability: bool) -> IonSpec:
    """Parse ``SYMBOL:INSIDE:OUTSIDE[:PERMEABILITY[:VALENCE]]`` (``K:140mM:5mM:1``)."""
    fields = text.split(":")
    form = "SYMBOL:INSIDE:OUTSIDE:PERMEABILITY[:VALENCE], for example K:140mM:5mM:1"
    if not need_permeability:
        form = "SYMBOL:INSIDE:OUTSIDE[:PERMEABILITY[:VALENCE]], for example K:140mM:5mM"
    if len(fields) < (4 if need_permeability else 3) or len(fields) > 5:
        raise InvalidInput(f"--ion {text!r} is not of the form {form}")
    symbol = fields[0].strip()
    valence = valence_of(symbol, fields[4] if len(fields) == 5 else None)
    inside = concentration_arg(fields[1], f"inside concentration of {symbol}")
    outside = concentration_arg(fields[2], f"outside concentration of {symbol}")
    permeability, absolute = None, False
    if len(fields) >= 4 and fields[3].strip():
        try:
            permeability = parse_quantity(
                fields[3], "dimensionless", name=f"permeability of {symbol}"
            )
        except UnitError:
            permeability = parse_quantity(
                fields[3], "permeability", name=f"permeability of {symbol}"
            )
            absolute = True
        if permeability < 0:
            raise InvalidInput(f"permeability of {symbol} = {fields[3]!r} must be >= 0")
    return IonSpec(symbol, valence, inside, outside, permeability, absolute)


def concentration_arg(text: str, name: str) -> float:
    """A concentration from the command line, checked with the option's own name."""
    value = parse_quantity(text, "concentration", name=name)
    if not value > 0:  # also catches NaN
        raise InvalidInput(
            f"{name} = {text!r} is not a valid concentration: it must be finite and > 0, for "
            "example 140mM or 100nM"
        )
    return value


def temperature_arg(text: str) -> float:
    value = parse_quantity(text, "temperature", name="--temperature")
    if not value > 0:
        raise InvalidInput(
            f"--temperature {text!r} is {value:g} K, at or below absolute zero; give a "
            "temperature above 0 K, for example 37degC or 310.15K"
        )
    return value


def constants_arg(args):

    if args.boltzmann is None and args.elementary_charge is None:
        return CODATA
    given = {"boltzmann": args.boltzmann, "elementary_charge": args.elementary_charge}
    for name, value in given.items():  # 0 is a value given, refused, never ignored
        if value is not None and not (math.isfinite(value) and value > 0):
            raise InvalidInput(
                f"--{name.replace('_', '-')} {value!r} must be a finite positive number; leave "
                "it out to use the CODATA value"
            )
    return Constants(
        boltzmann=CODATA.boltzmann if args.boltzmann is None else args.boltzmann,
        elementary_charge=(
            CODATA.elementary_charge if args.elementary_charge is None else args.elementary_charge
        ),
    )


def mv(volts: float) -> str:
    return f"{volts * 1e3:+.2f}"


def conc(value: float) -> str:
    """mol/m^3 shown in the unit a person would pick (mM, uM, nM)."""
    for unit, factor in (("mM", 1.0), ("uM", 1e-3), ("nM", 1e-6)):
        if abs(value) >= factor:
            return f"{value / factor:g} {unit}"
    return f"{value / 1e-9:g} pM"


def ion_arrays(specs):
    import numpy as np

    return (
        np.array([s.inside for s in specs]),
        np.array([s.outside for s in specs]),
        np.array([s.valence for s in specs], dtype=float),
    )


def specs_from_args(args: argparse.Namespace, need_permeability: bool) -> Any:

    if args.solution:
        if args.ion:
            raise InvalidInput("give either --solution or --ion, not both")
        solution = get_solution(args.solution)
        specs = []
        for symbol, p in solution.permeability.items():
            ion = get_ion(symbol)
            specs.append(
                IonSpec(symbol, ion.valence, solution.inside[symbol], solution.outside[symbol], p)
            )
        if not specs:
            raise InvalidInput(
                f"concentration set {solution.name!r} has no permeabilities; use --ion"
            )
        return specs
    if not args.ion:
        raise InvalidInput("give at least one --ion, for example --ion K:140mM:5mM:1")
    specs = [parse_ion_spec(text, need_permeability=need_permeability) for text in args.ion]
    symbols = [s.symbol for s in specs]
    if len(set(symbols)) != len(symbols):
        raise InvalidInput(f"an ion is given twice in {symbols}; give each ion once")
    return specs


def parse_conductances(items, specs):
    """--conductance K=36mS/cm2 -> ({'K': 360.0}, per_area)"""
    known = {s.symbol for s in specs}
    values, per_area = {}, set()
    for item in items:
        symbol, sep, quantity = item.partition("=")
        symbol = symbol.strip()
        if not sep:
            raise InvalidInput(
                f"--conductance {item!r} is not of the form ION=VALUE, e.g. K=36mS/cm2"
            )
        if symbol not in known:
            raise InvalidInput(
                f"--conductance names ion {symbol!r}, which has no --ion; known: {sorted(known)}"
            )
        try:
            values[symbol] = parse_quantity(
                quantity, "conductance_density", name=f"--conductance {symbol}"
            )
            per_area.add(True)
        except UnitError:
            values[symbol] = parse_quantity(quantity, "conductance", name=f"--conductance {symbol}")
            per_area.add(False)
        if values[symbol] < 0:
            raise InvalidInput(f"--conductance {item!r} is negative; a conductance must be >= 0")
    if len(per_area) > 1:
        raise InvalidInput(
            "give every conductance per area (mS/cm2) or every one absolute (nS), not a mix"
        )
    missing = known - set(values)
    if values and missing:
        raise InvalidInput(f"ions {sorted(missing)} have no --conductance; give one for every ion")
    return values, per_area == {True}


def common_arguments(
    parser: argparse.ArgumentParser, json_flag: bool = True, temperature: bool = True
) -> None:

    if temperature:
        parser.add_argument(
            "--temperature",
            default=TEMPERATURE_DEFAULT,
            metavar="T",
            help="temperature, e.g. 37degC or 310.15K (default: %(default)s)",
        )
        parser.add_argument(
            "--boltzmann",
            type=float,
            metavar="J/K",
            help="override k_B (e.g. 1.4e-23 to reproduce a textbook)",
        )
        parser.add_argument(
            "--elementary-charge", type=float, metavar="C", help="override e (e.g. 1.6e-19)"
        )
    if json_flag:
        add_json_flag(parser)
