"""``devicekit.fit_transient``: fit any device's or membrane's parameters to measured traces.

The model runs under the measurement's protocol in the loop of the least-squares fit: a voltage
clamp (a memristor's hysteresis loop, a clamp step) predicts the current I(t), a current
stimulus (a current clamp) predicts V(t). The native solver runs in the loop (or ngspice, with
``backend="spice"``), and the result is a :class:`~devicekit.fit.result.FitResult`: values with
standard errors and 95% intervals from the Jacobian, a figure of data and fit, a fitted model
card, and ``verify_in_spice()``, which reruns the protocol in ngspice.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from devicekit.analyses import Transient
from devicekit.errors import DataFormatError, InvalidInput, SimulationError
from devicekit.fit.base import FitModel, ParameterSpec
from devicekit.fit.clamped import clamped_response
from devicekit.fit.core import fit
from devicekit.models.paths import apply_values, check_path, path_kind
from devicekit.native import integrate
from devicekit.simulation import as_membrane, simulate
from devicekit.units import KINDS

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from devicekit.fit.result import FitResult
    from devicekit.models.stimuli import Stimulus
    from devicekit.simulation import ModelLike

__all__ = ["fit_transient"]


def fit_transient(
    model: ModelLike,
    data: pd.DataFrame,
    parameters: Sequence[str],
    *,
    protocol: Stimulus | Sequence[Stimulus] | None = None,
    x: str = "time",
    y: str | None = None,
    backend: str = "native",
    initial: dict | None = None,
    fixed: dict | None = None,
    rtol: float = 1e-9,
    max_evaluations: int = 400,
) -> FitResult:
    """Fit parameters of a model to a measured trace under its protocol.

    Parameters
    ----------
    model : Membrane or str
        The device or membrane (a built-in name, a card path or an object).
    data : pandas.DataFrame or (t, y)
        The measurement: time [s] from the protocol's start, and the measured quantity.
    parameters : list of str
        Paths of the parameters to fit, as for ``--set`` and sweeps (``cone.conductance``,
        ``cone.x.tau.amplitude``, ``na.conductance``); their present values start the fit.
    protocol : stimulus or sequence of stimuli, optional
        What the measurement applied (a :class:`~devicekit.models.stimuli.SineClamp`,
        ``VoltageClamp`` or ``Pulse``...); default the model's own stimuli. Under a voltage
        clamp the model predicts the clamp current [A], else the membrane voltage [V].
    x, y : str
        Columns of the time and of the measured quantity (default ``current`` under a clamp,
        else ``voltage``).
    backend : str
        ``native`` (scipy, default) or ``spice`` (ngspice runs every evaluation).
    initial, fixed : dict, optional
        Starting values replacing the model's, and parameters held at given values.
    rtol : float
        Relative tolerance of the native solver in the loop. The standard errors come from a
        finite-difference Jacobian, which the solver's own error must not swamp: at 1e-7 an
        hh-squid current-clamp fit reported errors ten times too small (bench/README.md).

    Returns
    -------
    FitResult
        As :func:`devicekit.fit` returns; ``to_card()`` writes the fitted model.

    Examples
    --------
    >>> from devicekit.models.stimuli import SineClamp
    >>> loop = SineClamp(1.5, 19.1)                                       # doctest: +SKIP
    >>> dk.fit_transient("conical-memristor", data, ["cone.conductance",
    ...                  "cone.x.tau.amplitude"], protocol=[loop])          # doctest: +SKIP
    """
    base = as_membrane(model)
    stimuli = tuple(base.stimuli if protocol is None else _as_tuple(protocol))
    if not stimuli:
        raise InvalidInput(
            f"fit_transient: model {base.name!r} has no stimulus; give the measurement's "
            "protocol (protocol=[SineClamp(1.5, 19.1)], [VoltageClamp(...)] or [Pulse(...)])"
        )
    base = base.with_stimuli(*stimuli)
    if isinstance(parameters, str) or not parameters:
        raise InvalidInput(
            "fit_transient: give the parameters to fit as a list of paths, such as "
            "['cone.conductance', 'cone.x.tau.amplitude']"
        )
    clamp = any(s.is_clamp for s in stimuli)
    column = "clamp_current" if clamp else "v"
    y = y or ("current" if clamp else "voltage")
    specs = tuple(_spec(base, path) for path in parameters)
    start = {path: check_path(base, path) for path in parameters}

    def run(values, t, on):
        membrane = apply_values(base, values)
        tstop = float(np.max(t))
        if on == "native" and clamp:
            predicted = clamped_response(membrane, t)  # None: not a gate model of that kind
            if predicted is not None:
                return _finite(predicted, column, values)
        if on == "native":
            step = float(np.min(np.diff(np.unique(t)))) if t.size > 1 else tstop
            sample = min(step, tstop / 10)
            frame = integrate(membrane, tstop, sample_step=sample, rtol=rtol, atol=1e-10).data
        else:
            frame = simulate(membrane, Transient(tstop, max_step=tstop / 2000))
        predicted = np.interp(t, frame.index.to_numpy(), frame[column].to_numpy())
        return _finite(predicted, column, values)

    fitted = FitModel(
        f"transient:{base.name}",
        x,
        y,
        specs,
        None,
        lambda xs, ys, _: dict(start),
        f"{base.name} under {', '.join(type(s).__name__ for s in stimuli)}: "
        f"{'clamp current' if clamp else 'membrane voltage'} against time",
        function=lambda t, values: run(values, t, "native"),
        spice_check=lambda values, t: run(values, t, "spice"),
        device=lambda values, reference: _fitted_model(base, values, reference),
    )
    _check_times(data, x)
    # the Jacobian's step: sqrt(rtol) relative, far above the solver's error (at scipy's
    # 1.5e-8 against rtol 1e-9 the derivatives carried 7% of noise, and a change of the rest
    # potential in its 16th digit moved an hh-squid fit of g_Na by 1.7%)
    return fit(fitted, data, x=x, y=y, backend=backend, initial=initial, fixed=fixed,
               max_evaluations=max_evaluations, diff_step=float(np.sqrt(rtol)))  # fmt: skip


def _finite(predicted, column: str, values: dict):
    if not np.all(np.isfinite(predicted)):
        raise SimulationError(f"fit_transient: the model gave non-finite {column} at {values}")
    return predicted


def _as_tuple(protocol):
    return tuple(protocol) if isinstance(protocol, (list, tuple)) else (protocol,)


def _spec(base, path: str) -> ParameterSpec:
    """A fitted path: its SI unit from the field metadata; values that are positive stay so,
    voltages (midpoints, batteries) may take either sign."""
    value = check_path(base, path)
    kind = path_kind(base, path)
    unit = KINDS[kind][0] if kind in KINDS else "1"
    low = -np.inf if kind == "voltage" or value <= 0 else 0.0
    return ParameterSpec(path, unit, low, np.inf, description=f"{path} of {base.name}")


def _check_times(data, x: str) -> None:
    import pandas as pd

    times = data[x].to_numpy(dtype=float) if isinstance(data, pd.DataFrame) else data[0]
    times = np.asarray(times, dtype=float)
    if times.size and (np.min(times) < 0 or not np.all(np.isfinite(times))):
        raise DataFormatError(
            f"fit_transient: times must be finite and >= 0 s, from the protocol's start; they "
            f"span {np.min(times):g} to {np.max(times):g} s"
        )


def _fitted_model(base, values: dict, reference: str):
    fitted = apply_values(base, values)
    return replace(fitted, name=f"fitted-{base.name}"[:64], reference=reference, stimuli=())
