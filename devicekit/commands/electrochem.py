"""Calculator commands: ``nernst``, ``ghk`` and ``rest`` (and the textbook table of the demo).

Quantities are written as people write them (``140mM``, ``37degC``) and converted to SI here, at
the edge; the physics functions below them only see SI numbers.
"""

from __future__ import annotations

from devicekit.cli import emit
from devicekit.commands.ionspecs import (
    common_arguments,
    conc,
    concentration_arg,
    constants_arg,
    ion_arrays,
    mv,
    parse_conductances,
    specs_from_args,
    temperature_arg,
)
from devicekit.electrochem import (
    activity_coefficient,
    chord_conductance_potential,
    ghk_voltage,
    mullins_noda_potential,
    nernst_potential,
    pump_resting_potential,
)
from devicekit.electrochem.constants import Constants
from devicekit.errors import InvalidInput
from devicekit.models.ions import get_ion, get_solution
from devicekit.text import format_table
from devicekit.units import parse_quantity


# --------------------------------------------------------------------------- nernst
def _nernst(args) -> int:

    temperature = temperature_arg(args.temperature)
    constants = constants_arg(args)
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
            rows.append([ion.name, conc(c_in), conc(c_out), mv(e)])
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
    c_in = concentration_arg(args.inside, "--inside")
    c_out = concentration_arg(args.outside, "--outside")
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
        f"E({label}) = {e * 1e3:+.2f} mV   ({conc(c_in)} in, {conc(c_out)} out, {temperature:.2f} K"
    )
    if args.activity != "ideal":
        text += f", gamma {gamma_in:.4f} in / {gamma_out:.4f} out ({args.activity})"
    emit(args, data, text + ")", finite=True)
    return 0


# --------------------------------------------------------------------------- ghk / rest


def _nernst_rows(specs, temperature, constants):

    return [
        nernst_potential(s.inside, s.outside, s.valence, temperature, constants=constants)
        for s in specs
    ]


def _ghk(args) -> int:
    import numpy as np

    temperature = temperature_arg(args.temperature)
    constants = constants_arg(args)
    specs = specs_from_args(args, need_permeability=True)
    if len({s.permeability_absolute for s in specs}) > 1:
        raise InvalidInput(
            "give every permeability as a ratio (1, 0.04) or every one with a unit (cm/s)"
        )
    c_in, c_out, z = ion_arrays(specs)
    p = np.array([s.permeability for s in specs])
    v = ghk_voltage(p, c_in, c_out, z, temperature, constants=constants)
    nernst = _nernst_rows(specs, temperature, constants)
    rows = [
        [
            s.symbol,
            f"{s.valence:+d}",
            conc(s.inside),
            conc(s.outside),
            f"{s.permeability:g}",
            mv(e),
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


def _rest(args) -> int:
    import numpy as np

    temperature = temperature_arg(args.temperature)
    constants = constants_arg(args)
    specs = specs_from_args(args, need_permeability=False)
    conductances, per_area = parse_conductances(args.conductance or [], specs)
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
        c_in, c_out, z = ion_arrays(specs)
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
        row = [s.symbol, conc(s.inside), conc(s.outside), mv(nernst[s.symbol])]
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
    common_arguments(p)
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
    common_arguments(p)
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
    common_arguments(p)
    p.set_defaults(handler=_rest)
