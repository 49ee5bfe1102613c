"""``devicekit.simulate``: run an analysis of a model in ngspice (default) or natively.

Both backends return a :class:`pandas.DataFrame` in SI units with the same named columns:

* transient: index ``time`` [s]; ``v`` [V]; one column per gate state (``na_m``); ``stimulus``
  [A] injected current, or ``clamp_current`` [A] (the membrane current, outward positive) under a
  voltage clamp;
* DC sweep: index ``voltage`` [V]; ``current`` [A], the steady-state membrane current, outward
  positive; the steady-state gates;
* operating point: one row with ``v`` and the gates.

``df.attrs`` records the model, the analysis, the backend and (for SPICE) the netlist.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from devicekit.analyses import DCSweep, Op, Transient, check_timeout
from devicekit.circuits import Circuit, CurrentSource, VoltageSource, simulate_circuit
from devicekit.circuits.vacask import run_circuit_vacask
from devicekit.errors import ImplausibleValueWarning, InvalidInput, warn
from devicekit.expr import evaluate
from devicekit.models.cards import load_model
from devicekit.models.membrane import Membrane
from devicekit.models.paths import apply_values
from devicekit.models.stimuli import DC
from devicekit.native import check_pools, clamped_pools, integrate, steady_state
from devicekit.spice.engine import engine
from devicekit.spice.netlist import testbench

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pandas as pd

    from devicekit.analyses import Analysis
    from devicekit.models.channels import Channel
    from devicekit.models.stimuli import Stimulus
    from devicekit.spice.compiler import Formulation

#: what names a model: a built-in name, a card path, or a Membrane
ModelLike: TypeAlias = "str | os.PathLike[str] | Membrane"

__all__ = ["as_membrane", "simulate"]


def as_membrane(
    model: ModelLike | Channel,
    *,
    area: float = 1e-4,
    temperature: float | None = None,
    inside: Mapping[str, float] | None = None,
    outside: Mapping[str, float] | None = None,
) -> Membrane:
    """A Membrane from a Membrane, a single channel (wrapped in a membrane of ``area``, default
    1 cm^2) or a model name / card path."""

    if isinstance(model, str):
        model = load_model(model)
    if isinstance(model, Membrane):
        return model
    if hasattr(model, "current") and hasattr(model, "kind"):
        return Membrane(
            name=f"channel-{model.name}",
            capacitance=0.01,
            area=area,
            channels=(model,),
            temperature=310.15 if temperature is None else temperature,
            inside=inside or {},
            outside=outside or {},
            description=f"test membrane around the {model.kind} channel {model.name}",
        )
    raise InvalidInput(
        f"cannot simulate {type(model).__name__}; give a model name (see 'devicekit models'), a "
        "card path, a Membrane or a channel"
    )


def _analysis(analysis, kwargs):
    if isinstance(analysis, (Op, DCSweep, Transient)):
        if kwargs:
            raise InvalidInput(f"give analysis options inside the analysis object, not {kwargs}")
        return analysis
    factories = {"op": Op, "dc": DCSweep, "tran": Transient, "transient": Transient}
    if analysis not in factories:
        raise InvalidInput(f"analysis {analysis!r} is unknown; choose op, dc or tran")
    try:
        return factories[analysis](**kwargs)
    except TypeError as error:
        raise InvalidInput(f"analysis {analysis!r}: {error}") from None


def simulate(
    model: ModelLike | Circuit,
    analysis: Analysis | str = "tran",
    *,
    stimuli: Sequence[Stimulus] | None = None,
    backend: str = "spice",
    formulation: Formulation | None = None,
    timeout: float | None = None,
    temperature: float | None = None,
    **analysis_options: Any,
) -> pd.DataFrame:
    """Simulate a model.

    Parameters
    ----------
    model : Membrane, channel, or str
        A model object, a built-in name (``hh-squid``) or a model-card path.
    analysis : Op, DCSweep, Transient or str
        The analysis, or its name (``op``, ``dc``, ``tran``) with its options as keywords:
        ``simulate("hh-squid", "tran", tstop=0.2)``.
    stimuli : sequence, optional
        Stimuli replacing the model's own (see :mod:`devicekit.models.stimuli`).
    backend : str
        ``spice`` (ngspice through PySpice, default), ``native`` (scipy), or ``vacask``
        (compiled devices in VACASK, the ``vacask`` extra: transients of circuits; of a single
        model driven by currents, its operating point and its DC sweep; models without ion
        pools).
    formulation : devicekit.spice.Formulation, optional
        How the SPICE netlist poses the equations (default: rates on nodes).
    timeout : float, optional
        Wall-clock limit [s] of the run; a longer run is stopped and raises
        :class:`~devicekit.errors.SimulationError`. Ctrl-C stops a run at any time
        (``KeyboardInterrupt``), and the engine stays usable.
    temperature : float, optional
        The model's temperature [K] for this run (as ``--temperature`` on the command line):
        every Nernst battery and every Q10 factor follows it.

    A model with ion pools (:mod:`devicekit.models.pools`) adds a column per pool (``K_out``
    [mol/m^3]) and per battery that moves (``E_k`` [V]); its transient starts with every pool
    at its initial value, and a pool driven to zero or below stops the run with an error.

    Returns
    -------
    pandas.DataFrame
        See the module docstring for the columns.

    Examples
    --------
    >>> from devicekit.models.stimuli import Pulse
    >>> df = simulate("hh-squid", "tran", tstop=0.05, stimuli=[Pulse(0.1)])  # 10 uA/cm2
    """
    if isinstance(model, Circuit):
        if stimuli is not None:
            raise InvalidInput("a circuit has its sources as instances; add them with c.add()")
        check_timeout(timeout)
        frame = simulate_circuit(
            model, _analysis(analysis, analysis_options), backend=backend, timeout=timeout
        )
        frame.attrs.update(analysis=repr(analysis), backend=backend)
        return frame
    membrane = as_membrane(model)
    if stimuli is not None:
        membrane = membrane.with_stimuli(*stimuli)
    if temperature is not None:
        membrane = apply_values(membrane, {"temperature": temperature})
    analysis = _analysis(analysis, analysis_options)
    if backend not in ("spice", "native", "vacask"):
        raise InvalidInput(f"backend {backend!r} is unknown; choose 'spice', 'native' or 'vacask'")
    check_timeout(timeout)
    membrane.check_time_constants()
    if backend == "spice":
        frame = _simulate_spice(membrane, analysis, formulation, timeout)
    elif backend == "vacask":
        frame = _simulate_vacask(membrane, analysis, timeout)
    else:
        frame = _simulate_native(membrane, analysis, timeout)
    frame.attrs.update(model=membrane.name, analysis=repr(analysis), backend=backend)
    return frame


def _simulate_spice(membrane, analysis, formulation, timeout):
    import pandas as pd

    bench = testbench(membrane, analysis, formulation)
    run = engine().run(bench.text, bench.vectors, expect_until=bench.expect_until, timeout=timeout)
    data = {bench.columns[name]: run.vectors[name] for name in bench.columns}
    if "clamp_current" in data:
        data["clamp_current"] = -data["clamp_current"]  # source current -> outward membrane
    if isinstance(analysis, Transient):
        time = run.vectors["time"]
        frame = pd.DataFrame(data, index=pd.Index(time, name="time"))
        if "clamp_current" not in frame:
            frame["stimulus"] = _stimulus_current(membrane, time)
        check_pools(membrane, frame)
    elif isinstance(analysis, DCSweep):
        frame = pd.DataFrame(data)
        frame = frame.rename(columns={"clamp_current": "current"}).set_index("v")
        frame.index.name = "voltage"
    else:
        frame = pd.DataFrame({k: [float(np.asarray(v)[0])] for k, v in data.items()})
    frame.attrs["netlist"] = bench.text
    return frame


def _simulate_vacask(membrane, analysis, timeout):
    """One model in VACASK: placed in a circuit between ``vm`` and ground, each current
    stimulus a current source into ``vm`` (its Verilog-A compiled to OSDI and cached by hash,
    as for circuits); a DC sweep clamps ``vm`` with a swept source instead. The columns are
    those of the other backends."""
    if isinstance(analysis, Transient):
        return simulate_vacask_batch([membrane], analysis, timeout)[0]
    _check_vacask(membrane, analysis)
    if isinstance(analysis, DCSweep):  # the clamp swept; the membrane current is -i(clamp)
        circuit, _ = _vacask_circuit([membrane], stimuli=False)
        circuit.add("clamp", VoltageSource(DC(float(analysis.voltages()[0]))), ("vm", "0"))
    else:  # each source's value at t = 0 is its dc=, which the operating point takes
        circuit, _ = _vacask_circuit([membrane])
    frame = run_circuit_vacask(circuit, analysis, timeout=timeout)
    states = {c: c.partition(".")[2] for c in frame if c.startswith("cell.")}
    if isinstance(analysis, DCSweep):
        out = frame[list(states)].rename(columns=states)
        out["current"] = -frame["i(clamp)"]
    else:
        out = frame[["v(vm)", *states]].rename(columns={"v(vm)": "v", **states})
        _check_same_equilibrium(membrane, out)
    out.attrs.update(frame.attrs)
    return out


def _check_same_equilibrium(membrane, frame) -> None:
    """Warn when VACASK's operating point is another equilibrium than the one devicekit finds
    (and ngspice, led by its nodeset): a model may have several (Morris-Lecar type I has
    three), and VACASK's Newton does not keep to the nodeset it is given."""

    injected = float(_stimulus_current(membrane, np.zeros(1))[0])
    ours = membrane.held_state(injected)["v"]
    theirs = float(frame["v"].iloc[0])
    if abs(theirs - ours) > 1e-6:
        warn(
            f"VACASK's operating point of {membrane.name!r} is at v = {theirs * 1e3:.4g} mV, "
            f"another equilibrium than devicekit's at {ours * 1e3:.4g} mV (the one ngspice "
            "and the native backend give); use backend='spice' or 'native' for it",
            ImplausibleValueWarning,
        )


#: models per VACASK run in a sweep or an f-I curve: VACASK's start-up and the Python around a
#: run (about 20 ms) shared by 25 points, small beside their simulations
VACASK_BATCH = 25


def simulate_vacask_batch(membranes, analysis, timeout=None) -> list:
    """Transients of several models in one VACASK run, one frame per model with the columns
    of :func:`simulate`.

    The models share nothing but the run: each sits between its own node and ground with its
    own stimuli (model ``k`` as instance ``cell<k>`` on node ``vm<k>``; a single model as
    ``cell`` on ``vm``), and models of one structure share one compiled OSDI module. This is
    how a sweep pays VACASK's start-up once for many points; the step is the shortest the
    models' time scales ask for. ``timeout`` [s] bounds the whole run."""
    for membrane in membranes:
        _check_vacask(membrane, analysis)
    circuit, names = _vacask_circuit(membranes)
    at_rest = all(_stimulus_current(membrane, np.zeros(1))[0] == 0.0 for membrane in membranes)
    if at_rest:  # each model starts from its own rest (known, cached): no operating point
        for (_, node), membrane in zip(names, membranes, strict=True):
            circuit.start_at(membrane.resting_state()["v"], [node])
    frame = simulate_circuit(circuit, analysis, backend="vacask", timeout=timeout)
    frames = []
    for (cell, node), membrane in zip(names, membranes, strict=True):
        prefix = f"{cell}."
        columns = {f"v({node})": "v"}
        columns.update({c: c[len(prefix) :] for c in frame if c.startswith(prefix)})
        out = frame[list(columns)].rename(columns=columns)
        out["stimulus"] = _stimulus_current(membrane, out.index.to_numpy())
        out.attrs.update(frame.attrs)
        frames.append(out)
    return frames


def _vacask_circuit(membranes, *, stimuli: bool = True):
    """The circuit VACASK runs single models in, and each model's (instance, node): model
    ``k`` as ``cell<k>`` on ``vm<k>`` (one model: ``cell`` on ``vm``) to ground, with its
    current stimuli (in amperes) as current sources into its node."""
    single = len(membranes) == 1
    circuit = Circuit(f"{membranes[0].name}-vacask{'' if single else '-batch'}"[:64])
    names = [("cell", "vm")] if single else [(f"cell{k}", f"vm{k}") for k in range(len(membranes))]
    for (cell, node), membrane in zip(names, membranes, strict=True):
        circuit.add(cell, membrane.with_stimuli(), (node, "0"))
        for i, stimulus in enumerate(membrane.stimuli if stimuli else ()):
            source = CurrentSource(_in_amperes(stimulus, membrane.area))
            circuit.add(f"stim{i}" if single else f"{cell}_stim{i}", source, ("0", node))
    return circuit, names


def _check_vacask(membrane, analysis) -> None:
    if membrane.pools or (
        not isinstance(analysis, DCSweep) and any(s.is_clamp for s in membrane.stimuli)
    ):
        raise InvalidInput(
            f"the vacask backend does not run {membrane.name!r}: a voltage clamp or ion pools "
            "are not in its single-model path yet; use backend='spice' or 'native'"
        )


def _in_amperes(stimulus, area: float):
    """A current stimulus in amperes: a per-area one's currents (amplitude, offset, the
    amplitudes of a step train) times the area."""
    if not stimulus.per_area:
        return stimulus
    scaled = {}
    for name in ("amplitude", "offset", "amplitudes"):
        value = getattr(stimulus, name, None)
        if isinstance(value, tuple):
            scaled[name] = tuple(a * area for a in value)
        elif value is not None:
            scaled[name] = value * area
    return replace(stimulus, per_area=False, **scaled)


def _stimulus_current(membrane, time):
    total = np.zeros_like(time)
    for s in membrane.stimuli:
        if not s.is_clamp:
            total += s.value(time) * (membrane.area if s.per_area else 1.0)
    return total


def _simulate_native(membrane, analysis, timeout):
    import pandas as pd

    eq = membrane.equations()
    if isinstance(analysis, Transient):
        kwargs = {"sample_step": analysis.sample} if analysis.sample else {}
        result = integrate(
            membrane, analysis.tstop, rtol=1e-9, atol=1e-12, timeout=timeout, **kwargs
        )
        frame = result.data
        for channel, battery in eq.moving.items():
            frame[f"E_{channel}"] = evaluate(battery, {k: frame[k].to_numpy() for k in frame})
        return frame
    if isinstance(analysis, DCSweep):
        v = analysis.voltages()
        gates = {s: evaluate(eq.steady_states[s], {"v": v}) for s in eq.states}
        if membrane.pools:  # under a DC clamp the pools settle too, as in ngspice's .dc
            gates.update(clamped_pools(membrane, v))
        current = membrane.area * evaluate(eq.ionic_current, {"v": v, **gates})
        frame = pd.DataFrame({"current": current, **gates}, index=pd.Index(v, name="voltage"))
        return frame
    # with ion pools: the steady state the pools reach (what ngspice's .op finds), else rest,
    # or the steady state under the stimuli's current at t = 0
    injected = float(_stimulus_current(membrane, np.zeros(1))[0])
    rest = steady_state(membrane) if membrane.pools else membrane.held_state(injected)
    return pd.DataFrame({k: [v] for k, v in rest.items()})
