"""Calculator commands: ``nernst``, ``ghk`` and ``rest`` (and the textbook table of the demo).

Quantities are written as people write them (``140mM``, ``37degC``) and converted to SI here, at
the edge; the physics functions below them only see SI numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from devicekit.errors import InvalidInput, UnitError
from devicekit.units import parse_quantity

_TEMPERATURE_DEFAULT = "37degC"


@dataclass
class IonSpec:
    """One ``--ion`` argument: symbol, valence, concentrations [mol/m^3], permeability."""

    symbol: str
    valence: int
    inside: float
    outside: float
    permeability: float | None = None
    permeability_absolute: bool = False


def _valence(symbol: str, explicit: str | None) -> int:
    from devicekit.models.ions import get_ion

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
    valence = _valence(symbol, fields[4] if len(fields) == 5 else None)
    inside = _concentration(fields[1], f"inside concentration of {symbol}")
    outside = _concentration(fields[2], f"outside concentration of {symbol}")
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


def _concentration(text: str, name: str) -> float:
    """A concentration from the command line, checked with the option's own name."""
    value = parse_quantity(text, "concentration", name=name)
    if not value > 0:  # also catches NaN
        raise InvalidInput(
            f"{name} = {text!r} is not a valid concentration: it must be finite and > 0, for "
            "example 140mM or 100nM"
        )
    return value


def _temperature(text: str) -> float:
    value = parse_quantity(text, "temperature", name="--temperature")
    if not value > 0:
        raise InvalidInput(
            f"--temperature {text!r} is {value:g} K, at or below absolute zero; give a "
            "temperature above 0 K, for example 37degC or 310.15K"
        )
    return value


def _constants(args):
    from devicekit.electrochem.constants import CODATA, Constants

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


def _mv(volts: float) -> str:
    return f"{volts * 1e3:+.2f}"


def _conc(value: float) -> str:
    """mol/m^3 shown in the unit a person would pick (mM, uM, nM)."""
    for unit, factor in (("mM", 1.0), ("uM", 1e-3), ("nM", 1e-6)):
        if abs(value) >= factor:
            return f"{value / factor:g} {unit}"
    return f"{value / 1e-9:g} pM"


# --------------------------------------------------------------------------- nernst
def _nernst(args) -> int:
    from devicekit.cli import emit
    from devicekit.electrochem import activity_coefficient, nernst_potential
    from devicekit.models.ions import get_ion, get_solution
    from devicekit.text import format_table

    temperature = _temperature(args.temperature)
    constants = _constants(args)
    if args.solution:
        if args.ion or args.z is not None or args.inside or args.outside:
            raise InvalidInput(
                "--solution lists a whole set; leave out --ion, --z, --inside and --outside"
            )
        solution = get_solution(args.solution)
        rows, records = [], []
        for ion in solution.ions():
            c_in, c_out = solution.inside[ion.symbol], solution.outside[ion.symbol]
            e = nernst_potential(c_in, c_out, ion.valence, temperature, constants=constants)
            rows.append([ion.name, _conc(c_in), _conc(c_out), _mv(e)])
            records.append(
                {
                    "ion": ion.symbol,
                    "valence": ion.valence,
                    "inside_mol_per_m3": c_in,
                    "outside_mol_per_m3": c_out,
                    "reversal_potential_V": e,
                }
            )
        text = (
            f"{solution.description} at {temperature:.2f} K\n"
            + format_table(["ion", "inside", "outside", "E [mV]"], rows)
            + f"\nsource: {solution.source}"
        )
        data = {"solution": solution.name, "temperature_K": temperature, "ions": records}
        emit(args, data, text, finite=True)
        return 0

    if (args.ion is None) == (args.z is None):
        raise InvalidInput(
            "give the ion by symbol (--ion K) or by valence (--z 2), not both or neither"
        )
    if args.inside is None or args.outside is None:
        raise InvalidInput("give both concentrations, for example --inside 140mM --outside 5mM")
    if args.ion is not None:
        ion = get_ion(args.ion)
        z, label, size = ion.valence, ion.name, ion.ion_size
    else:
        z, label, size = args.z, f"z={args.z:+d}", None
    c_in = _concentration(args.inside, "--inside")
    c_out = _concentration(args.outside, "--outside")
    gamma_in = gamma_out = 1.0
    if args.activity != "ideal":
        if args.ionic_strength_inside is None or args.ionic_strength_outside is None:
            raise InvalidInput(
                f"--activity {args.activity} needs --ionic-strength-inside and "
                "--ionic-strength-outside (for example 150mM)"
            )
        if size is None and args.activity == "debye-huckel-extended":
            raise InvalidInput(
                "--activity debye-huckel-extended needs the ion's size: name it with --ion"
            )
        strength_in = parse_quantity(
            args.ionic_strength_inside, "concentration", name="--ionic-strength-inside"
        )
        strength_out = parse_quantity(
            args.ionic_strength_outside, "concentration", name="--ionic-strength-outside"
        )
        gamma_in = activity_coefficient(args.activity, strength_in, z, temperature, size)
        gamma_out = activity_coefficient(args.activity, strength_out, z, temperature, size)
    e = nernst_potential(
        c_in,
        c_out,
        z,
        temperature,
        activity_coefficient_in=gamma_in,
        activity_coefficient_out=gamma_out,
        constants=constants,
    )
    data = {
        "ion": args.ion,
        "valence": z,
        "inside_mol_per_m3": c_in,
        "outside_mol_per_m3": c_out,
        "temperature_K": temperature,
        "activity_model": args.activity,
        "activity_coefficient_inside": gamma_in,
        "activity_coefficient_outside": gamma_out,
        "reversal_potential_V": e,
    }
    text = (
        f"E({label}) = {e * 1e3:+.2f} mV   "
        f"({_conc(c_in)} in, {_conc(c_out)} out, {temperature:.2f} K"
    )
    if args.activity != "ideal":
        text += f", gamma {gamma_in:.4f} in / {gamma_out:.4f} out ({args.activity})"
    emit(args, data, text + ")", finite=True)
    return 0


# --------------------------------------------------------------------------- ghk / rest
def _ion_arrays(specs):
    import numpy as np

    return (
        np.array([s.inside for s in specs]),
        np.array([s.outside for s in specs]),
        np.array([s.valence for s in specs], dtype=float),
    )


def _nernst_rows(specs, temperature, constants):
    from devicekit.electrochem import nernst_potential

    return [
        nernst_potential(s.inside, s.outside, s.valence, temperature, constants=constants)
        for s in specs
    ]


def _specs_from_args(args, need_permeability):
    from devicekit.models.ions import get_ion, get_solution

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


def _ghk(args) -> int:
    import numpy as np

    from devicekit.cli import emit
    from devicekit.electrochem import ghk_voltage
    from devicekit.text import format_table

    temperature = _temperature(args.temperature)
    constants = _constants(args)
    specs = _specs_from_args(args, need_permeability=True)
    if len({s.permeability_absolute for s in specs}) > 1:
        raise InvalidInput(
            "give every permeability as a ratio (1, 0.04) or every one with a unit (cm/s)"
        )
    c_in, c_out, z = _ion_arrays(specs)
    p = np.array([s.permeability for s in specs])
    v = ghk_voltage(p, c_in, c_out, z, temperature, constants=constants)
    nernst = _nernst_rows(specs, temperature, constants)
    rows = [
        [
            s.symbol,
            f"{s.valence:+d}",
            _conc(s.inside),
            _conc(s.outside),
            f"{s.permeability:g}",
            _mv(e),
        ]
        for s, e in zip(specs, nernst, strict=True)
    ]
    text = (
        format_table(["ion", "z", "inside", "outside", "P", "E_ion [mV]"], rows)
        + f"\nGHK reversal potential: {v * 1e3:+.2f} mV at {temperature:.2f} K"
    )
    data = {
        "temperature_K": temperature,
        "ghk_voltage_V": v,
        "ions": [
            {
                "ion": s.symbol,
                "valence": s.valence,
                "inside_mol_per_m3": s.inside,
                "outside_mol_per_m3": s.outside,
                "permeability": s.permeability,
                "permeability_unit": "m/s" if s.permeability_absolute else "relative",
                "nernst_potential_V": e,
            }
            for s, e in zip(specs, nernst, strict=True)
        ],
    }
    emit(args, data, text, finite=True)
    return 0


def _parse_conductances(items, specs):
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


def _rest(args) -> int:
    import numpy as np

    from devicekit.cli import emit
    from devicekit.electrochem import (
        chord_conductance_potential,
        ghk_voltage,
        mullins_noda_potential,
        pump_resting_potential,
    )
    from devicekit.text import format_table

    temperature = _temperature(args.temperature)
    constants = _constants(args)
    specs = _specs_from_args(args, need_permeability=False)
    conductances, per_area = _parse_conductances(args.conductance or [], specs)
    symbols = [s.symbol for s in specs]
    nernst = dict(zip(symbols, _nernst_rows(specs, temperature, constants), strict=True))
    pump = None
    if args.pump is not None:
        if not conductances:
            raise InvalidInput(
                "--pump needs the conductances to balance it: "
                "add --conductance ION=VALUE for every ion"
            )
        kind = "current_density" if per_area else "current"
        pump = parse_quantity(args.pump, kind, name="--pump")

    if args.balanced_pump:
        if args.pump is not None:
            raise InvalidInput("--balanced-pump finds the pump current itself; leave out --pump")
        bysym = {s.symbol: s for s in specs}
        if set(bysym) != {"Na", "K"}:
            raise InvalidInput(
                "--balanced-pump needs exactly the two pumped ions, --ion Na:... and --ion K:..."
            )
        if conductances:
            method = "Na/K pump balancing ohmic leaks (3:2)"
            v = pump_resting_potential(
                conductances["Na"], conductances["K"], nernst["Na"], nernst["K"]
            )
        else:
            if any(s.permeability is None for s in specs):
                raise InvalidInput(
                    "--balanced-pump needs a permeability (4th field) or --conductance for Na and K"
                )
            method = "Mullins-Noda GHK with Na/K pump (3:2)"
            v = mullins_noda_potential(
                bysym["K"].permeability,
                bysym["Na"].permeability,
                bysym["K"].inside,
                bysym["K"].outside,
                bysym["Na"].inside,
                bysym["Na"].outside,
                temperature,
                constants=constants,
            )
    elif conductances:
        method = "chord conductance" + (" with pump current" if pump else "")
        g = np.array([conductances[s.symbol] for s in specs])
        e = np.array([nernst[s.symbol] for s in specs])
        v = chord_conductance_potential(g, e, pump or 0.0)
    else:
        if any(s.permeability is None for s in specs):
            raise InvalidInput(
                "give a permeability for every ion (K:140mM:5mM:1) or --conductance ION=VALUE"
            )
        method = "Goldman-Hodgkin-Katz"
        c_in, c_out, z = _ion_arrays(specs)
        v = ghk_voltage(
            np.array([s.permeability for s in specs]),
            c_in,
            c_out,
            z,
            temperature,
            constants=constants,
        )

    # display units: 1 S/m2 = 0.1 mS/cm2 and 1 A/m2 = 100 uA/cm2
    g_unit, i_unit, g_scale, i_scale = (
        ("mS/cm2", "uA/cm2", 0.1, 100.0) if per_area else ("nS", "nA", 1e9, 1e9)
    )
    rows, records = [], []
    for s in specs:
        row = [s.symbol, _conc(s.inside), _conc(s.outside), _mv(nernst[s.symbol])]
        record = {"ion": s.symbol, "nernst_potential_V": nernst[s.symbol]}
        if conductances:
            g = conductances[s.symbol]
            current = g * (v - nernst[s.symbol])
            row += [f"{g * g_scale:g}", f"{current * i_scale:+.4g}"]
            record.update(conductance=g, current_at_rest=current)
        rows.append(row)
        records.append(record)
    headers = ["ion", "inside", "outside", "E [mV]"]
    if conductances:
        headers += [f"g [{g_unit}]", f"I at rest [{i_unit}]"]
    text = format_table(headers, rows) + f"\nresting potential ({method}): {v * 1e3:+.2f} mV"
    if pump:
        text += f"\npump current {pump * i_scale:+.4g} {i_unit} (outward)"
    data = {
        "method": method,
        "temperature_K": temperature,
        "resting_potential_V": v,
        "pump_current": pump,
        "per_area": per_area if conductances else None,
        "ions": records,
    }
    emit(args, data, text, finite=True)
    return 0


# --------------------------------------------------------------------------- demo
def textbook_table():
    """The textbook cases as rows (case, computed volts, expected mV, source), for the demo."""
    from devicekit.electrochem import Constants, ghk_voltage, nernst_potential

    textbook = Constants(boltzmann=1.4e-23, elementary_charge=1.6e-19)
    return [
        ("E_K   140/5 mM, 37 degC", nernst_potential(140, 5, 1, 310.15), -89.06),
        ("E_Na  15/150 mM, 310 K", nernst_potential(15, 150, 1, 310.0), 61.51),
        ("E_Ca  100 nM/2 mM, 37 degC", nernst_potential(1e-4, 2, 2, 310.15), 132.3),
        ("E_Cl  10/110 mM, 37 degC", nernst_potential(10, 110, -1, 310.15), -64.09),
        (
            "E_Na  10/145 mM, 298 K, k=1.4e-23, q=1.6e-19",
            nernst_potential(10, 145, 1, 298, constants=textbook),
            69.7,
        ),
        (
            "E_K   140/5 mM, 298 K, k=1.4e-23, q=1.6e-19",
            nernst_potential(140, 5, 1, 298, constants=textbook),
            -86.9,
        ),
        ("E_Na  10/145 mM, 298 K, CODATA", nernst_potential(10, 145, 1, 298), 68.67),
        ("E_K   140/5 mM, 298 K, CODATA", nernst_potential(140, 5, 1, 298), -85.57),
        (
            "GHK squid K:Na:Cl 1:0.04:0.45, 6.3 degC",
            ghk_voltage([1, 0.04, 0.45], [400, 50, 40], [20, 440, 560], [1, 1, -1], 279.45),
            -59.36,
        ),
    ]


# --------------------------------------------------------------------------- registration
def _common(parser, json_flag=True, temperature=True):
    from devicekit.cli import add_json_flag

    if temperature:
        parser.add_argument(
            "--temperature",
            default=_TEMPERATURE_DEFAULT,
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


def register(commands, formatter) -> None:
    p = commands.add_parser(
        "nernst",
        help="Nernst (equilibrium) potential of one ion",
        formatter_class=formatter,
        description="Nernst potential E = RT/(zF) ln(a_out/a_in), with V = phi_in - phi_out.",
        epilog="Examples:\n"
        "  devicekit nernst --ion K --inside 140mM --outside 5mM --temperature 37degC\n"
        "  devicekit nernst --z 2 --inside 100nM --outside 2mM\n"
        "  devicekit nernst --solution mammalian-neuron\n"
        "  devicekit nernst --ion Na --inside 15mM --outside 145mM --activity davies \\\n"
        "      --ionic-strength-inside 150mM --ionic-strength-outside 160mM",
    )
    p.add_argument("--ion", metavar="SYMBOL", help="ion symbol: K, Na, Cl, Ca, Mg, H, ...")
    p.add_argument("--z", type=int, metavar="Z", help="valence, for an ion not in the table")
    p.add_argument("--inside", metavar="C", help="inside concentration, e.g. 140mM")
    p.add_argument("--outside", metavar="C", help="outside concentration, e.g. 5mM")
    p.add_argument(
        "--solution",
        metavar="NAME",
        help="tabulate a named set: mammalian-neuron, squid-giant-axon, textbook",
    )
    p.add_argument(
        "--activity",
        default="ideal",
        choices=["ideal", "davies", "debye-huckel-limiting", "debye-huckel-extended"],
        help="activity-coefficient model (default: ideal)",
    )
    p.add_argument("--ionic-strength-inside", metavar="I", help="ionic strength inside, e.g. 150mM")
    p.add_argument("--ionic-strength-outside", metavar="I", help="ionic strength outside")
    _common(p)
    p.set_defaults(handler=_nernst)

    ion_help = (
        "SYMBOL:INSIDE:OUTSIDE:P[:Z]; P is a relative permeability (0.04) or has a unit "
        "(1e-6cm/s); repeat for each ion"
    )
    p = commands.add_parser(
        "ghk",
        help="Goldman-Hodgkin-Katz reversal potential of several ions",
        formatter_class=formatter,
        description="Zero-current potential of the GHK current equation (closed form for "
        "monovalent ions, numerical root with Ca2+ or Mg2+).",
        epilog="Examples:\n"
        "  devicekit ghk --ion K:140mM:5mM:1 --ion Na:10mM:145mM:0.04 --ion Cl:10mM:110mM:0.45\n"
        "  devicekit ghk --solution squid-giant-axon --temperature 6.3degC",
    )
    p.add_argument("--ion", action="append", metavar="SPEC", help=ion_help)
    p.add_argument("--solution", metavar="NAME", help="use a named set with its permeabilities")
    _common(p)
    p.set_defaults(handler=_ghk)

    p = commands.add_parser(
        "rest",
        help="resting potential: chord conductance, GHK, or with a Na/K pump",
        formatter_class=formatter,
        description="Resting potential as a steady state. With --conductance: the chord-"
        "conductance equation sum g_i (V - E_i) + I_pump = 0. Without: GHK from the "
        "permeabilities. --balanced-pump: the 3Na/2K pump balances the leaks.",
        epilog="Examples:\n"
        "  devicekit rest --ion K:140mM:5mM --ion Na:15mM:145mM \\\n"
        "      --conductance K=0.5mS/cm2 --conductance Na=0.025mS/cm2 --pump 1uA/cm2\n"
        "  devicekit rest --ion K:400mM:20mM:1 --ion Na:50mM:440mM:0.04 --temperature 6.3degC\n"
        "  devicekit rest --ion K:140mM:5mM:1 --ion Na:15mM:145mM:0.05 --balanced-pump",
    )
    p.add_argument(
        "--ion",
        action="append",
        metavar="SPEC",
        help="SYMBOL:INSIDE:OUTSIDE[:P[:Z]]; repeat for each ion",
    )
    p.add_argument("--solution", metavar="NAME", help="use a named set with its permeabilities")
    p.add_argument(
        "--conductance",
        action="append",
        metavar="ION=G",
        help="conductance of an ion's pathway, e.g. K=36mS/cm2 or K=2nS; repeat",
    )
    p.add_argument(
        "--pump", metavar="I", help="net outward pump current, e.g. 1uA/cm2 (per area) or 10pA"
    )
    p.add_argument(
        "--balanced-pump",
        action="store_true",
        help="steady state where a 3Na:2K pump balances the Na and K leaks",
    )
    _common(p)
    p.set_defaults(handler=_rest)
