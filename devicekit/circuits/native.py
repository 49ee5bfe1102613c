"""The native (scipy) backend of circuits: the reference ngspice is checked against.

The unknowns are the node voltages and every instance's states. Kirchhoff's current law at the
nodes reads ``C dV/dt = -I(V, x, t)``, with ``C`` the capacitance matrix (membranes and
capacitors stamped between their nodes) and ``I`` the static currents leaving each node
(membrane ionic currents, resistors, synapses, current sources). Every free node needs a
capacitance (an ODE; nodes without one would make a DAE, which this backend refuses). A DC
voltage source to ground fixes its node.

Instances with the same bound equations are evaluated together, vectorised over instances, so a
1000-compartment cable costs a few numpy calls per step. The start is the circuit's operating
point, as in ngspice: node voltages where every static current balances with the states at
their steady values, found by Newton's method from each membrane's own rest.
"""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING

import numpy as np

from devicekit.analyses import effective_timeout
from devicekit.circuits.circuit import Circuit
from devicekit.circuits.synapses import ChemicalSynapse
from devicekit.errors import InvalidInput, SimulationError
from devicekit.expr import evaluate
from devicekit.models.membrane import Membrane
from devicekit.models.stimuli import DC

if TYPE_CHECKING:
    import pandas as pd

    from devicekit.analyses import Analysis

__all__ = ["integrate_circuit", "operating_point"]

#: systems with more unknowns than this use BDF with a sparse Jacobian pattern
LARGE = 200


class _Group:
    """Membrane instances with identical bound equations."""

    def __init__(self, equations, area, capacitance):
        self.eq, self.area, self.capacitance = equations, area, capacitance
        self.names, self.n1, self.n2, self.states = [], [], [], []

    def finish(self):
        self.n1, self.n2 = np.array(self.n1), np.array(self.n2)
        self.states = np.array(self.states, dtype=int).reshape(len(self.names), -1)

    def env(self, u, y):
        v = u[self.n1] - u[self.n2]
        return {"v": v, **{s: y[self.states[:, k]] for k, s in enumerate(self.eq.states)}}


class _System:
    def __init__(self, circuit: Circuit):
        circuit.check()
        nodes = sorted(circuit.nodes)
        fixed = {}
        for inst in circuit.instances.values():
            if inst.kind == "vsource":
                a, b = inst.nodes
                if "0" not in (a, b) or not isinstance(inst.device.waveform, DC):
                    raise InvalidInput(
                        f"the native backend takes DC voltage sources to ground only; "
                        f"{inst.name!r} is not one (run it in ngspice, backend='spice')"
                    )
                node, sign = (a, 1.0) if b == "0" else (b, -1.0)
                fixed[node] = sign * inst.device.waveform.amplitude
        self.free = [n for n in nodes if n not in fixed]
        self.fixed = fixed
        order = [*self.free, *fixed, "0"]
        self.index = {n: i for i, n in enumerate(order)}
        self.n_free, self.n_all = len(self.free), len(order)
        self.u_fixed = np.array([fixed[n] for n in fixed] + [0.0])
        self.groups: list[_Group] = []
        self.synapses, self.resistors, self.sources, self.capacitors = [], [], [], []
        self.state_names: list[str] = []
        self.circuit = circuit
        size = self.n_free
        cap = np.zeros((self.n_all, self.n_all))
        for inst in circuit.instances.values():
            i = [self.index[n] for n in inst.nodes]
            if isinstance(inst.device, Membrane):
                m = inst.device
                eq = m.equations()
                group = next((g for g in self.groups if g.eq == eq and g.area == m.area), None)
                if group is None:
                    group = _Group(eq, m.area, m.capacitance * m.area)
                    self.groups.append(group)
                group.names.append(inst.name)
                group.n1.append(i[0])
                group.n2.append(i[1])
                group.states.extend(range(size, size + len(eq.states)))
                self.state_names += [f"{inst.name}.{s}" for s in eq.states]
                size += len(eq.states)
                _stamp(cap, i[0], i[1], m.capacitance * m.area)
            elif isinstance(inst.device, ChemicalSynapse):
                self.synapses.append((inst, i, size))
                self.state_names.append(f"{inst.name}.r")
                size += 1
            elif inst.kind == "resistor":
                self.resistors.append((i[0], i[1], 1.0 / inst.device.resistance))
            elif inst.kind == "capacitor":
                _stamp(cap, i[0], i[1], inst.device.capacitance)
            elif inst.kind == "isource":
                self.sources.append((inst, i))
        for group in self.groups:
            group.finish()
        self.size = size
        c_free = cap[: self.n_free, : self.n_free]
        bare = [self.free[k] for k in range(self.n_free) if c_free[k, k] <= 0]
        if bare:
            raise InvalidInput(
                f"node(s) {', '.join(map(repr, bare))} have no capacitance, so the circuit is a "
                "DAE, which the native backend does not solve; run it in ngspice "
                "(backend='spice') or put a capacitance on them"
            )
        self.diagonal = np.count_nonzero(c_free - np.diag(np.diag(c_free))) == 0
        self.cap = cap
        self.c_diag = np.diag(c_free).copy()
        self.c_free = c_free
        self.r_a = np.array([r[0] for r in self.resistors], dtype=int)
        self.r_b = np.array([r[1] for r in self.resistors], dtype=int)
        self.r_g = np.array([r[2] for r in self.resistors])

    def sparsity(self):
        """Which unknowns each derivative depends on (a sparse pattern for the stiff solver's
        finite-difference Jacobian: a cable's is banded, so a few evaluations build it)."""
        from scipy.sparse import lil_matrix

        pattern = lil_matrix((self.size, self.size), dtype=np.int8)

        def couple(unknowns):  # indices into y: free node voltages first, then the states
            for a in unknowns:
                for b in unknowns:
                    pattern[a, b] = 1

        def free(nodes):  # node indices below n_free are the free nodes, also y's indices
            return [n for n in nodes if n < self.n_free]

        for k in range(self.size):
            pattern[k, k] = 1
        for g in self.groups:
            for j in range(len(g.names)):
                block = free([int(g.n1[j]), int(g.n2[j])]) + [int(s) for s in g.states[j]]
                couple(block)
        for a, b, _ in self.resistors:
            couple(free([a, b]))
        for _inst, (pre, post, ref), k in self.synapses:
            couple([*free([pre, post, ref]), k])
        if not self.diagonal:
            couple(list(range(self.n_free)))
        return pattern.tocsr()

    def voltages(self, y):
        return np.concatenate([y[: self.n_free], self.u_fixed])

    def currents(self, t, u, y, dy):
        """Static currents leaving each node; writes the state derivatives into ``dy``."""
        out = np.zeros(self.n_all)
        for g in self.groups:
            env = g.env(u, y)
            i = g.area * evaluate(g.eq.ionic_current, env)
            np.add.at(out, g.n1, i)
            np.add.at(out, g.n2, -i)
            for k, s in enumerate(g.eq.states):
                dy[g.states[:, k]] = evaluate(g.eq.derivatives[s], env)
        if self.r_g.size:
            i = (u[self.r_a] - u[self.r_b]) * self.r_g
            np.add.at(out, self.r_a, i)
            np.add.at(out, self.r_b, -i)
        for inst, (pre, post, ref), k in self.synapses:
            syn = inst.device
            values = {**syn.parameters(), "v_pre": u[pre] - u[ref], "r": y[k]}
            dy[k] = evaluate(syn.derivative(), values)
            i = syn.conductance * y[k] * (u[post] - u[ref] - syn.reversal)
            out[post] += i
            out[ref] -= i
        for inst, (p, n) in self.sources:
            value = float(inst.device.waveform.value(t))
            out[p] += value  # SPICE: the source takes its current out of p, into n
            out[n] -= value
        return out

    def rhs(self, t, y):
        dy = np.empty(self.size)
        out = self.currents(t, self.voltages(y), y, dy)
        if self.diagonal:
            dy[: self.n_free] = -out[: self.n_free] / self.c_diag
        else:
            dy[: self.n_free] = np.linalg.solve(self.c_free, -out[: self.n_free])
        return dy

    def steady(self, v_free):
        """The states at their steady values for these node voltages."""
        y = np.zeros(self.size)
        y[: self.n_free] = v_free
        u = self.voltages(y)
        for g in self.groups:
            v = u[g.n1] - u[g.n2]
            for k, s in enumerate(g.eq.states):
                y[g.states[:, k]] = evaluate(g.eq.steady_states[s], {"v": v})
        for inst, (pre, _, ref), k in self.synapses:
            y[k] = inst.device.rest(u[pre] - u[ref])
        return y

    def operating_point(self):
        """Node voltages where the static currents balance at t = 0, states at steady state."""
        from scipy.optimize import root

        guess = np.zeros(self.n_free)
        for g in self.groups:
            for name, a, b in zip(g.names, g.n1, g.n2, strict=True):
                rest = self.circuit.instances[name].device.resting_state()["v"]
                if a < self.n_free and b >= self.n_free:
                    guess[a] = rest

        scale = np.diag(self.c_free).copy()

        def residual(v):
            # in V/s (current over capacitance): of order one for any device size, so that the
            # solver's tolerances mean the same for a squid axon and a femtofarad device
            y = self.steady(v)
            out = self.currents(0.0, self.voltages(y), y, np.empty(self.size))
            return out[: self.n_free] / scale

        with np.errstate(all="ignore"):
            solution = root(residual, guess, method="hybr", options={"xtol": 1e-14})
            left = np.max(np.abs(residual(solution.x))) if np.all(np.isfinite(solution.x)) else 1
        # MINPACK reports "no good progress" when it stalls at round-off; what counts is that
        # the currents balance: 1e-9 V/s is a drift of 1 nV per second
        if not left <= 1e-9:
            raise SimulationError(
                f"the native backend found no operating point of circuit "
                f"{self.circuit.name!r}: {solution.message}"
            )
        return self.steady(solution.x)


def operating_point(circuit: Circuit) -> dict[str, float]:
    """The circuit's operating point as the native backend finds it: ``v(<node>)`` [V] of
    every node and ``<instance>.<state>`` of every state (InvalidInput where the native
    backend cannot place the circuit: sources other than DC voltages to ground)."""
    system = _System(circuit)
    y = system.operating_point()
    u = system.voltages(y)
    out = {f"v({node})": float(u[system.index[node]]) for node in [*system.free, *system.fixed]}
    out.update(zip(system.state_names, map(float, y[system.n_free :]), strict=True))
    return out


def _stamp(matrix, a: int, b: int, value: float) -> None:
    matrix[a, a] += value
    matrix[b, b] += value
    matrix[a, b] -= value
    matrix[b, a] -= value


def integrate_circuit(
    circuit: Circuit,
    analysis: Analysis,
    *,
    rtol: float = 1e-9,
    atol: float = 1e-12,
    timeout: float | None = None,
) -> pd.DataFrame:
    """Integrate a circuit's transient natively; the DataFrame has ngspice's columns."""
    import pandas as pd
    from scipy.integrate import solve_ivp

    system = _System(circuit)
    tstop = analysis.tstop
    if circuit.start:
        held = np.array([circuit.start.get(n, np.nan) for n in system.free])
        if np.isnan(held).any():
            op = system.operating_point()[: system.n_free]
            held = np.where(np.isnan(held), op, held)
        y = system.steady(held)
    else:
        y = system.operating_point()
    timeout = effective_timeout(timeout)
    deadline = None if timeout is None else time.monotonic() + timeout

    def rhs(t, state):
        if deadline is not None and time.monotonic() > deadline:
            raise SimulationError(
                f"the native integration took longer than its timeout of {timeout:g} s"
            )
        return system.rhs(t, state)

    edges = sorted(
        {0.0, tstop}
        | {
            b
            for inst, _ in system.sources
            for b in inst.device.waveform.breakpoints(tstop)
            if 0 < b < tstop
        }
    )
    # small systems: LSODA (switches between stiff and non-stiff itself); large ones: BDF
    # with the sparse Jacobian pattern, as a dense finite-difference Jacobian of thousands of
    # unknowns costs thousands of evaluations
    solver = (
        {"method": "LSODA"}
        if system.size <= LARGE
        else {"method": "BDF", "jac_sparsity": system.sparsity()}
    )
    step = analysis.sample or tstop / 20000
    samples = np.linspace(0.0, tstop, round(tstop / step) + 1)
    t_out, y_out = [], []
    for a, b in itertools.pairwise(edges):
        last = b == tstop
        wanted = samples[(samples >= a) & ((samples <= b) if last else (samples < b))]
        solution = solve_ivp(
            rhs, (a, b), y, t_eval=np.union1d(wanted, [b]), rtol=rtol, atol=atol, **solver
        )
        if not solution.success:
            raise SimulationError(
                f"native integration of circuit {circuit.name!r} failed at "
                f"t = {solution.t[-1]:g} s: {solution.message}"
            )
        keep = np.isin(solution.t, wanted)
        t_out.append(solution.t[keep])
        y_out.append(solution.y[:, keep])
        y = solution.y[:, -1]
    t = np.concatenate(t_out)
    states = np.concatenate(y_out, axis=1)
    data = {f"v({n})": states[k] for k, n in enumerate(system.free)}
    data.update({f"v({n})": np.full(t.size, v) for n, v in system.fixed.items()})
    data.update({name: states[system.n_free + k] for k, name in enumerate(system.state_names)})
    data.update(_instance_currents(system, t, states))
    frame = pd.DataFrame(data, index=pd.Index(t, name="time"))
    frame.attrs.update(model=circuit.name)
    return frame


def _instance_currents(system: _System, t, states) -> dict:
    """``i(<instance>)`` of membranes (into the inside pin: capacitive plus ionic) and synapses
    (out of the postsynaptic pin); the elements' currents are added by the caller."""
    out = {}
    u = np.vstack([states[: system.n_free], np.repeat(system.u_fixed[:, None], t.size, axis=1)])
    for g in system.groups:
        for j, name in enumerate(g.names):
            v = u[g.n1[j]] - u[g.n2[j]]
            env = {"v": v, **{s: states[g.states[j, k]] for k, s in enumerate(g.eq.states)}}
            ionic = g.area * evaluate(g.eq.ionic_current, env)
            out[f"i({name})"] = g.capacitance * np.gradient(v, t) + ionic
    for inst, (_, post, ref), k in system.synapses:
        syn = inst.device
        out[f"i({inst.name})"] = syn.conductance * states[k] * (u[post] - u[ref] - syn.reversal)
    return out
