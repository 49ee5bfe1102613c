"""One definition, three evaluations: numpy, ngspice and Verilog-A (verilogae) agree.

For every device type, hypothesis draws parameter values, gate states and membrane voltages,
including exactly 0 V (the GHK 0/0 point) and the midpoint of every exp_linear rate (the HH 0/0
points). Each sample is evaluated

* in numpy, from :meth:`Definition.bind` with the drawn parameters;
* in ngspice, by an operating point of the exported library with its parameters on the instance
  line, the membrane and every gate state held by voltage sources: the clamp's current is the
  ionic current and each state source's current is d(state)/dt (gmin is 1e-30 S, so that no
  conductance to ground adds to them);
* in Verilog-A, through verilogae's evaluation of the module's ``(*retrieve*)`` variables.

They agree to 1e-9 relative (the issue's bound; the three differ only by rounding).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devicekit.export import write_export
from devicekit.expr import evaluate
from devicekit.models.builtin import builtin_model
from devicekit.models.channels import GHKChannel, HHChannel, OhmicChannel
from devicekit.models.kinetics import Gate, RateFunction
from devicekit.models.membrane import Membrane
from devicekit.spice.compiler import spice_name
from devicekit.spice.engine import engine

RELATIVE = 1e-9

FORMS = [
    RateFunction("exp_linear", 1000.0, -0.04, 0.01),
    RateFunction("exp", 4000.0, -0.065, -0.018),
    RateFunction("sigmoid", 1000.0, -0.035, 0.01),
    RateFunction("exp_linear", 100.0, -0.055, 0.01),
    RateFunction("expression", expression="15ms/cosh((v - 12mV)/34.8mV)"),
]


def _powers() -> Membrane:
    """Gate powers 1 to 8, each rate form, alpha/beta, inf/tau and an instantaneous gate."""
    channels = []
    for power in range(1, 9):
        if power % 3 == 0:
            gate = Gate("x", power, inf=RateFunction("sigmoid", 1.0, -0.03, 0.008), tau=FORMS[4])
        else:
            gate = Gate("x", power, alpha=FORMS[power % 4], beta=FORMS[(power + 1) % 4])
        gates = (gate,)
        if power == 8:
            gates += (Gate("y", 2, inf=RateFunction("sigmoid", 1.0, -0.05, -0.007)),)
        channels.append(
            HHChannel(
                f"c{power}",
                10.0 * power,
                gates,
                reversal_potential=-0.08 + 0.02 * power,
                q10=3.0 if power % 2 else 1.0,
                q10_temperature=279.45 if power % 2 else None,
            )
        )
    return Membrane("powers", 0.01, 1e-4, tuple(channels), temperature=290.0)


def _ghk() -> Membrane:
    return Membrane(
        "ghk",
        0.01,
        1e-4,
        (
            GHKChannel("k", "K", 1e-6),
            GHKChannel("na", "Na", 2e-8),
            GHKChannel("ca", "Ca", 1e-9),
            OhmicChannel("leak", 3.0, reversal_potential=-0.06),
        ),
        temperature=300.0,
        inside={"K": 140.0, "Na": 10.0, "Ca": 1e-4},
        outside={"K": 5.0, "Na": 145.0, "Ca": 2.0},
    )


DEVICES = {
    "powers": _powers,
    "ghk": _ghk,
    "hh-squid": lambda: builtin_model("hh-squid"),
    "morris-lecar": lambda: builtin_model("morris-lecar"),
    "conical-memristor": lambda: builtin_model("conical-memristor"),
    "iontronic-neuron": lambda: builtin_model("iontronic-neuron"),
}


def _special_voltages(model) -> list[float]:
    """0 V and the midpoint of every exp_linear rate: the 0/0 points."""
    points = [0.0]
    for channel in model.channels:
        for gate in channel.gates:
            for rate in (gate.alpha, gate.beta):
                if rate is not None and rate.form == "exp_linear":
                    points.append(rate.midpoint)
    return points


@functools.cache
def _library(name: str, folder: str):
    model = DEVICES[name]()
    path = f"{folder}/{spice_name(name)}"
    write_export(model, "spice", path + ".lib", force=True)
    write_export(model, "verilog-a", path + ".va", force=True)
    import verilogae

    return model, path + ".lib", verilogae.load(path + ".va")


@st.composite
def _samples(draw, model):
    """A batch of samples: parameter values, voltage and states."""
    d = model.definition()
    span = 2.0 if "conical" in model.name or "iontronic" in model.name else 0.15
    batch = []
    specials = _special_voltages(model)
    for _ in range(6):
        params = {}
        for key, p in d.parameters.items():
            if key.startswith("e_"):
                params[key] = draw(st.floats(-0.1, 0.1))
            elif key == "temp_k":
                params[key] = draw(st.floats(275.0, 320.0))
            elif key.startswith("tref_"):
                params[key] = p.value
            else:  # sizes, area, capacitance, concentrations, q10: positive, a decade around
                params[key] = p.value * draw(st.floats(0.3, 3.0))
        v = draw(st.one_of(st.sampled_from(specials), st.floats(-span, span)))
        states = {s: draw(st.floats(0.0, 1.0)) for s in d.states}
        batch.append((params, v, states))
    return batch


def _numpy(model, params, v, states):
    """The ionic current [A], each state's derivative [1/s], and the size of the terms each
    derivative is the difference of (alpha + beta, or (|x_inf| + 1) / tau), for the
    tolerance where they cancel."""
    d = model.definition()
    eq = d.bind(params)
    env = {"v": v, **states}
    current = params.get("area", 1.0) * float(evaluate(eq.ionic_current, env))
    rates = {s: float(evaluate(eq.derivatives[s], env)) for s in eq.states}
    values = d.values(params)
    terms = {}
    for state, rate in d.rates.items():
        first, second = (
            abs(float(evaluate(e, {**values, "v": v}))) for e in (rate.first, rate.second)
        )
        terms[state] = first + second if rate.form == "alpha_beta" else (first + 1.0) / second
    return current, rates, terms


def _ngspice(model, library, batch):
    sub = spice_name(model.name)
    lines = ["* backends agree", f".include {library}"]
    for k, (params, v, states) in enumerate(batch):
        values = " ".join(f"{key}={value!r}" for key, value in params.items())
        lines += [f"X{k} m{k} 0 {sub} {values}", f"Vc{k} m{k} 0 DC {v!r}"]
        for j, (state, x) in enumerate(states.items()):
            lines.append(f"Vs{k}_{j} x{k}.{state.lower()} 0 DC {x!r}")
    lines += [".options gmin=1e-30 reltol=1e-12", ".op", ".end"]
    vectors = [f"i(vc{k})" for k in range(len(batch))]
    vectors += [f"i(vs{k}_{j})" for k, (_, _, s) in enumerate(batch) for j in range(len(s))]
    run = engine().run("\n".join(lines) + "\n", vectors)
    out = []
    for k, (_, _, states) in enumerate(batch):
        # the clamp sources the ionic current (its branch current is minus it); a state source
        # takes the B-source's dx/dt out of its node
        current = -float(np.asarray(run.vectors[f"i(vc{k})"])[0])
        rates = {
            state: float(np.asarray(run.vectors[f"i(vs{k}_{j})"])[0])
            for j, state in enumerate(states)
        }
        out.append((current, rates))
    return out


def _verilog_a(model, compiled, params, v, states):
    voltages = {"br_vmref": np.array([v])}
    voltages.update({f"br_{s.lower()}": np.array([x]) for s, x in states.items()})
    current = sum(
        float(
            compiled.functions[f"i_{c.name.lower()}"].eval(
                temperature=300.0, voltages=voltages, **params
            )
        )
        for c in model.channels
    )
    rates = {
        s: float(
            compiled.functions[f"dxdt_{s.lower()}"].eval(
                temperature=300.0, voltages=voltages, **params
            )
        )
        for s in states
    }
    return current, rates


def _close(got, expected, scale):
    # 1e-9 relative to the value, or to the size of the terms it is a difference of, where
    # they cancel (a current at its battery, a gate at its steady state)
    return abs(got - expected) <= RELATIVE * max(abs(expected), scale)


@pytest.mark.parametrize("name", sorted(DEVICES))
def test_numpy_ngspice_and_verilog_a_agree(name, tmp_path_factory):
    folder = str(tmp_path_factory.getbasetemp())
    model, library, compiled = _library(name, folder)

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(_samples(model))
    def check(batch):
        spice = _ngspice(model, library, batch)
        for (params, v, states), (s_current, s_rates) in zip(batch, spice, strict=True):
            n_current, n_rates, terms = _numpy(model, params, v, states)
            a_current, a_rates = _verilog_a(model, compiled, params, v, states)
            # the largest channel current this size could carry over the sample's voltages
            scale = (
                1e-3
                * params.get("area", 1.0)
                * max(abs(p) for k, p in params.items() if k.startswith(("g_", "p_")))
            )
            assert np.isfinite(n_current), (params, v, states)
            assert _close(s_current, n_current, scale), ("ngspice", v, s_current, n_current)
            assert _close(a_current, n_current, scale), ("verilog-a", v, a_current, n_current)
            for state, rate in n_rates.items():
                assert _close(s_rates[state], rate, terms[state]), ("ngspice", state, v)
                assert _close(a_rates[state], rate, terms[state]), ("verilog-a", state, v)

    check()
