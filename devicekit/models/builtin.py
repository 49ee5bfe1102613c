"""The built-in models, with their sources. Numbers are converted to SI here once:
1 uF/cm^2 = 0.01 F/m^2, 1 mS/cm^2 = 10 S/m^2, 1/ms = 1000/s, 1 mV = 0.001 V."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np

from devicekit.electrochem.constants import thermal_voltage
from devicekit.errors import InvalidInput
from devicekit.models.channels import GHKChannel, HHChannel, OhmicChannel
from devicekit.models.iontronic import ConicalChannel
from devicekit.models.kinetics import Gate, RateFunction
from devicekit.models.membrane import Membrane
from devicekit.models.pools import Pool, Pump

__all__ = ["BUILTIN_MODELS", "builtin_model", "conical_memristor", "hh_squid", "morris_lecar"]

MS_CM2 = 10.0  # S/m^2 per mS/cm^2
PER_MS = 1000.0  # 1/s per 1/ms
HH_TEMPERATURE = 279.45  # 6.3 degC


def mv(value: float) -> float:
    """mV -> V, correctly rounded (value / 1000, not value * 1e-3)."""
    return value / 1000.0


def hh_squid() -> Membrane:
    """Hodgkin-Huxley 1952 squid giant axon, modern convention (rest near -65 mV), 6.3 degC.

    References
    ----------
    .. [1] A. L. Hodgkin and A. F. Huxley, "A quantitative description of membrane current and
       its application to conduction and excitation in nerve", J. Physiol. 117, 500 (1952).
       doi:10.1113/jphysiol.1952.sp004764 (rates shifted to V_rest = -65 mV, as in NEURON's hh)
    """
    m = Gate(
        "m",
        3,
        alpha=RateFunction("exp_linear", 1.0 * PER_MS, mv(-40), mv(10)),
        beta=RateFunction("exp", 4.0 * PER_MS, mv(-65), mv(-18)),
    )
    h = Gate(
        "h",
        1,
        alpha=RateFunction("exp", 0.07 * PER_MS, mv(-65), mv(-20)),
        beta=RateFunction("sigmoid", 1.0 * PER_MS, mv(-35), mv(10)),
    )
    n = Gate(
        "n",
        4,
        alpha=RateFunction("exp_linear", 0.1 * PER_MS, mv(-55), mv(10)),
        beta=RateFunction("exp", 0.125 * PER_MS, mv(-65), mv(-80)),
    )
    q10 = {"q10": 3.0, "q10_temperature": HH_TEMPERATURE}
    return Membrane(
        name="hh-squid",
        capacitance=1.0e-2,  # 1 uF/cm^2
        area=1e-4,  # 1 cm^2, the unit of HH's current densities
        channels=(
            HHChannel("na", 120 * MS_CM2, (m, h), reversal_potential=mv(50), ion="Na", **q10),
            HHChannel("k", 36 * MS_CM2, (n,), reversal_potential=mv(-77), ion="K", **q10),
            OhmicChannel("leak", 0.3 * MS_CM2, reversal_potential=mv(-54.387)),
        ),
        temperature=HH_TEMPERATURE,
        description="Hodgkin-Huxley 1952 squid giant axon, 6.3 degC",
        reference="A. L. Hodgkin and A. F. Huxley, J. Physiol. 117, 500 (1952), "
        "doi:10.1113/jphysiol.1952.sp004764; modern convention with rest at -65 mV",
    )


def morris_lecar(kind: str = "I") -> Membrane:
    """Morris-Lecar model with the type I (SNIC onset) or type II (Hopf) parameter set.

    m_inf = 0.5 (1 + tanh((V - V1)/V2)) is written as the equal logistic 1/(1 + exp(-(V - V1)/
    (V2/2))); w likewise; tau_w = 1 / (phi cosh((V - V3)/(2 V4))).

    References
    ----------
    .. [1] J. Rinzel and G. B. Ermentrout, "Analysis of neural excitability and oscillations",
       in *Methods in Neuronal Modeling*, MIT Press (1989).
    .. [2] E. M. Izhikevich, *Dynamical Systems in Neuroscience*, MIT Press (2007).
    """
    if kind not in ("I", "II"):
        raise InvalidInput(f"Morris-Lecar kind {kind!r} must be 'I' or 'II'")
    v1, v2 = -1.2, 18.0
    if kind == "I":
        g_ca, v3, v4, phi = 4.0, 12.0, 17.4, 1.0 / 15.0
    else:
        g_ca, v3, v4, phi = 4.4, 2.0, 30.0, 0.04
    m = Gate("m", 1, inf=RateFunction("sigmoid", 1.0, mv(v1), mv(v2 / 2)))
    tau = f"{1 / phi!r}ms / cosh((v - {v3!r}mV) / {2 * v4!r}mV)"
    w = Gate(
        "w",
        1,
        inf=RateFunction("sigmoid", 1.0, mv(v3), mv(v4 / 2)),
        tau=RateFunction("expression", expression=tau),
    )
    return Membrane(
        name="morris-lecar" if kind == "I" else "morris-lecar-ii",
        capacitance=20e-2,  # 20 uF/cm^2
        area=1e-4,
        channels=(
            HHChannel("ca", g_ca * MS_CM2, (m,), reversal_potential=mv(120), ion="Ca"),
            HHChannel("k", 8.0 * MS_CM2, (w,), reversal_potential=mv(-84), ion="K"),
            OhmicChannel("leak", 2.0 * MS_CM2, reversal_potential=mv(-60)),
        ),
        temperature=310.15,
        description=f"Morris-Lecar, type {kind} parameters",
        reference="J. Rinzel and G. B. Ermentrout, Methods in Neuronal Modeling (1989); "
        "parameter sets as in E. M. Izhikevich, Dynamical Systems in Neuroscience (2007)",
    )


def conical_memristor(geometry: ConicalChannel | None = None, battery: float = 0.0) -> Membrane:
    """The conical fluidic memristor of Kamsma et al. (PRL 130, 268401, 2023), published
    parameters: a channel of conductance g = g0 x, where x relaxes to g_inf(V)/g0 with
    tau = L^2/(12 D) = 8.3 ms, in series with ``battery`` [V] (0 for the bare device).

    A two-terminal device in its own units (S, F, A), with a negligible 1 aF across it.
    """

    geometry = geometry or ConicalChannel()
    gate = Gate("x", 1, inf=geometry.rate(), tau=RateFunction("constant", geometry.tau))
    return Membrane(
        name="conical-memristor",
        capacitance=1e-18,
        area=1.0,
        channels=(
            HHChannel("cone", geometry.bulk_conductance, (gate,), reversal_potential=battery),
        ),
        temperature=geometry.temperature,
        description="conical fluidic memristor (Kamsma et al. 2023), published geometry",
        device="memristor",
        per_area=False,
        reference="T. M. Kamsma, W. Q. Boon, T. ter Rele, C. Spitoni, R. van Roij, Phys. Rev. "
        "Lett. 130, 268401 (2023), doi:10.1103/PhysRevLett.130.268401",
    )


def memristor_from_sigmoid(
    values: Mapping[str, float], geometry: ConicalChannel | None = None, battery: float = 0.0
) -> Membrane:
    """A conical memristor whose g_inf(V)/g0 is a fitted 4-parameter sigmoid (``low``,
    ``high``, ``v_mid`` [V], ``width`` [V]; see devicekit.fit.models), with the published
    channel's g0 and tau: the "accurate smooth fit" for a device the geometry does not match."""
    import dataclasses

    def num(value: float) -> str:
        return repr(float(value))

    base = conical_memristor(geometry, battery)
    expression = (
        f"{num(values['low'])} + ({num(values['high'])} - {num(values['low'])}) / "
        f"(1 + exp(-(v - {num(values['v_mid'])}) / {num(values['width'])}))"
    )
    channel = base.channels[0]
    assert isinstance(channel, HHChannel)  # conical_memristor's one gated channel
    gate = dataclasses.replace(
        channel.gates[0], inf=RateFunction("expression", expression=expression)
    )
    return dataclasses.replace(
        base,
        name="conical-memristor-fitted",
        channels=(dataclasses.replace(channel, gates=(gate,)),),
        description="conical memristor with a fitted sigmoid g_inf(V)",
    )


def iontronic_neuron() -> Membrane:
    """An iontronic Hodgkin-Huxley-like neuron built from conical memristors (after Kamsma et
    al., PRL 130, 268401, 2023): a 1 fF capacitor in parallel with two branches, each a conical
    channel in series with a battery.

    * fast, excitatory branch ("na"): one published cone (L = 10 um, tau = 8.3 ms) with
      E = +6 V; its conductance rises with V, so depolarisation opens it further;
    * slow, restoring branch ("k"): twelve parallel cones of L = 60 um (tau = 300 ms, each
      g0/6, together 2 g0) with E = -4 V.

    devicekit's own design (the paper's circuit values are not in its reference code): the
    batteries and the branch ratio were chosen so that the fast subsystem is bistable with rest
    on its lower branch (rest -0.667 V), which makes the response all-or-none. The rest is
    weakly unstable: a pulse of 1% of the threshold grows as a slow oscillation (about 1.6-fold
    per second) into repetitive firing after about 11 s, so a pulse's threshold depends on how
    long one waits for the spike (``find_threshold``'s ``duration``).
    """

    fast, slow = ConicalChannel(length=10e-6), ConicalChannel(length=60e-6)
    g0 = fast.bulk_conductance
    gate = {
        c: Gate("x", 1, inf=c.rate(), tau=RateFunction("constant", c.tau)) for c in (fast, slow)
    }
    return Membrane(
        name="iontronic-neuron",
        capacitance=1e-15,  # 1 fF: a device in its own units (S, F, A)
        area=1.0,
        channels=(
            HHChannel("na", g0, (gate[fast],), reversal_potential=6.0),
            HHChannel("k", 12 * slow.bulk_conductance, (gate[slow],), reversal_potential=-4.0),
        ),
        temperature=fast.temperature,
        description="iontronic HH-like neuron: two conical memristors with batteries",
        reference="after T. M. Kamsma et al., Phys. Rev. Lett. 130, 268401 (2023); circuit "
        "values chosen by devicekit for all-or-none firing",
        per_area=False,
    )


def pump_leak_cell() -> Membrane:
    """A spherical cell, 20 um in diameter, whose Na+ and K+ leak through GHK channels and are
    pumped back by the Na/K-ATPase; Na_in and K_in are states, the bath is fixed.

    * solutions: the mammalian-neuron set of :data:`devicekit.models.ions.STANDARD_SOLUTIONS`
      (Purves et al., Neuroscience, Table 2.1): K 140/5 mM, Na 15/145 mM in/out, 37 degC;
    * leaks: P_K = 1e-6 cm/s, of the order of resting K permeabilities (Hille, Ion Channels of
      Excitable Membranes, 3rd ed., ch. 14), and P_Na = 0.05 P_K, the ratio of that same set;
    * pump: I_max = 1 uA/cm2, K_Na = 10 mM (inside) and K_K = 1.5 mM (outside), of the order
      measured for the Na/K-ATPase (Glitsch, Physiol. Rev. 81, 1791, 2001); with these values
      the cell starts near its pumped steady state (the Mullins-Noda potential, -71 mV);
    * C_m = 1 uF/cm2 over the sphere's area; the pools fill its volume.

    The pools have no relaxation, so ``C V - F Vol (Na_in + K_in)`` is conserved and the steady
    state depends on the initial values.
    """
    radius = 10e-6
    volume = 4.0 / 3.0 * np.pi * radius**3
    p_k = 1e-8  # 1e-6 cm/s
    return Membrane(
        name="pump-leak-cell",
        capacitance=1e-2,
        area=4.0 * np.pi * radius**2,
        channels=(GHKChannel("k", "K", p_k), GHKChannel("na", "Na", 5e-10)),  # P_Na = 0.05 P_K
        temperature=310.15,
        inside={"K": 140.0, "Na": 15.0},
        outside={"K": 5.0, "Na": 145.0},
        pools=(Pool("Na", "inside", volume=volume), Pool("K", "inside", volume=volume)),
        pumps=(Pump("na-k-pump", max_current=1e-2, km_na=10.0, km_k=1.5),),
        description="20 um spherical cell: GHK Na and K leaks, Na/K pump, dynamic Na_in, K_in",
        reference="pump-leak model (Tosteson and Hoffman, J. Gen. Physiol. 44, 169, 1960); "
        "solutions from Purves et al., Neuroscience, Table 2.1; pump constants of the order "
        "in Glitsch, Physiol. Rev. 81, 1791 (2001)",
    )


#: the periaxonal space of Frankenhaeuser and Hodgkin (J. Physiol. 131, 341, 1956)
PERIAXONAL_DEPTH = 30e-9  # m
PERIAXONAL_TAU = 30e-3  # s


def hh_squid_kacc() -> Membrane:
    """hh-squid whose K+ battery comes from concentrations: K_in is fixed at 400 mM, and K+
    accumulates in a periaxonal space 30 nm thick that drains to the bath with tau = 30 ms
    (Frankenhaeuser and Hodgkin, J. Physiol. 131, 341, 1956). The bath K+ is set so that
    E_K = -77 mV at rest, as in hh-squid."""
    base = hh_squid()
    k_in = 400.0
    k_bath = k_in * float(np.exp(mv(-77) / thermal_voltage(base.temperature)))
    channels = tuple(
        replace(c, reversal_potential=None) if c.name == "k" else c for c in base.channels
    )
    return replace(
        base,
        name="hh-squid-kacc",
        channels=channels,
        inside={"K": k_in},
        outside={"K": k_bath},
        pools=(Pool("K", "outside", depth=PERIAXONAL_DEPTH, tau=PERIAXONAL_TAU),),
        description="hh-squid with K+ accumulation in a 30 nm periaxonal space (tau 30 ms)",
        reference=base.reference + "; periaxonal K+ space of B. Frankenhaeuser and A. L. "
        "Hodgkin, J. Physiol. 131, 341 (1956), doi:10.1113/jphysiol.1956.sp005467",
    )


#: name -> (factory, one-line description)
BUILTIN_MODELS: dict[str, tuple[Callable[[], Membrane], str]] = {
    "hh-squid": (hh_squid, "Hodgkin-Huxley 1952 squid giant axon, 6.3 degC"),
    "morris-lecar": (lambda: morris_lecar("I"), "Morris-Lecar, type I (SNIC onset)"),
    "morris-lecar-ii": (lambda: morris_lecar("II"), "Morris-Lecar, type II (Hopf onset)"),
    "conical-memristor": (conical_memristor, "conical fluidic memristor, Kamsma et al. 2023"),
    "iontronic-neuron": (iontronic_neuron, "two conical memristors with batteries across 1 fF"),
    "pump-leak-cell": (pump_leak_cell, "20 um cell: GHK leaks, Na/K pump, dynamic Na and K"),
    "hh-squid-kacc": (hh_squid_kacc, "hh-squid with periaxonal K+ accumulation (FH 1956)"),
}


#: the built-in models made so far: a Membrane is immutable, so one object serves every call,
#: and what it has worked out once (its equations, rest and time scale) is not worked out again
_MADE: dict[str, Membrane] = {}


def builtin_model(name: str) -> Membrane:
    try:
        factory = BUILTIN_MODELS[name][0]
    except KeyError:
        raise InvalidInput(
            f"unknown model {name!r}; built-in models: {', '.join(BUILTIN_MODELS)}, or give the "
            "path of a model card (.toml)"
        ) from None
    if name not in _MADE:
        _MADE[name] = factory()
    return _MADE[name]
