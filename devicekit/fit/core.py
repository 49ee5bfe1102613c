"""``devicekit.fit``: least-squares fits of the models in :mod:`devicekit.fit.models` with
lmfit, natively or with ngspice in the loop."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from devicekit.errors import (
    ConvergenceWarning,
    DataFormatError,
    FitError,
    InvalidInput,
    PoorFitError,
    warn,
)
from devicekit.fit.models import FitModel, get_fit_model
from devicekit.fit.result import FitResult

if TYPE_CHECKING:
    import pandas as pd

    from devicekit.arraytypes import ArrayLike

__all__ = ["fit"]


def _columns(model: FitModel, data, x: str | None, y: str | None):
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        source = data.attrs.get("source_file", "the data")
        chosen = y
        x, y = x or model.x, y or model.y
        if y not in data and model.y in NORMALISED:
            y = _normalised_column(data, x, source, model.name)
        for name in (x, y):
            if name not in data:
                raise DataFormatError(
                    f"{source}: model {model.name!r} needs column {name!r}; "
                    f"the data has {list(data.columns)}; choose columns with --x and --y "
                    "(x=, y= in Python)"
                )
        values = data[y].to_numpy(dtype=float)
        # a probability (the Boltzmann's y) lies in [0, 1]; a conductance ratio need not
        if model.y == "open_probability" and chosen and np.isfinite(values).all():
            _check_normalised(values, y, source, model.name)
        return (
            data[x].to_numpy(dtype=float),
            values,
            data.attrs.get("dataset", {}).get("name", ""),
            (x, y),
        )
    xs, ys = (np.asarray(a, dtype=float) for a in data)
    return xs, ys, "", ()


#: models whose y is a quantity normalised to [0, 1]
NORMALISED = ("conductance_ratio", "open_probability")


def _normalised_column(data, x: str, source, name: str) -> str:
    """The one column besides x whose values all lie in [0, 1]: a normalised quantity, by
    whatever name the data gives it (a fitted Boltzmann needs no particular header)."""
    preferred = [c for c in (*NORMALISED, "conductance") if c in data]
    if preferred:
        return preferred[0]
    numeric = [c for c in data.columns if c != x and data[c].dtype.kind in "fi"]
    inside = [c for c in numeric if _is_normalised(data[c].to_numpy(dtype=float))]
    if len(inside) == 1:
        return inside[0]
    raise DataFormatError(
        f"{source}: model {name!r} fits a quantity normalised to [0, 1]; "
        + (
            f"several columns could be it ({', '.join(inside)}); choose one with --y"
            if inside
            else f"none of {numeric} is; normalise one, or fit 'sigmoid' (any range) with --y"
        )
    )


def _is_normalised(values) -> bool:
    """Within [0, 1] (5% slack for noise) and spanning at least a fifth of it: a tiny raw
    current of 1e-9 A lies in [0, 1] too, but is not normalised."""
    if values.size == 0 or not np.isfinite(values).all():
        return False
    low, high = float(np.min(values)), float(np.max(values))
    return low >= -0.05 and high <= 1.05 and high - low >= 0.2


def _check_normalised(values, column: str, source, name: str) -> None:
    low, high = float(np.min(values)), float(np.max(values))
    if not _is_normalised(values):
        raise DataFormatError(
            f"{source}: model {name!r} fits a quantity normalised to [0, 1], but column "
            f"{column!r} spans {low:.4g} to {high:.4g}; normalise it (y / y.max()), or fit "
            "'sigmoid', which has its own low and high levels"
        )


def fit(
    model: str | FitModel,
    data: pd.DataFrame | tuple[ArrayLike, ArrayLike],
    *,
    x: str | None = None,
    y: str | None = None,
    backend: str = "native",
    initial: dict | None = None,
    fixed: dict | None = None,
    max_evaluations: int = 2000,
    diff_step: float | None = None,
    **model_options: Any,
) -> FitResult:
    """Fit a model to measured data.

    Parameters
    ----------
    model : str or FitModel
        ``ohmic``, ``ghk``, ``boltzmann`` or ``sigmoid`` (see :mod:`devicekit.fit.models`).
    data : pandas.DataFrame or (x, y)
        A data set from :func:`devicekit.load_measurement`, or two arrays.
    x, y : str, optional
        Columns to use instead of the model's defaults.
    backend : str
        ``native`` (numpy) or ``spice``: every evaluation of the model runs in ngspice (for
        models without a native closed form; slower, counted in ``FitResult.nfev``).
    initial : dict, optional
        Starting values replacing the model's data-driven guess.
    fixed : dict, optional
        Parameters held at the given values.
    diff_step : float, optional
        Relative step of the finite-difference Jacobian (scipy's ``diff_step``); default
        scipy's, about 1.5e-8. A model evaluated by an ODE solver needs a step well above the
        solver's relative tolerance, or the Jacobian sees the solver's error.
    **model_options
        Options of the model (``ghk``: ion, c_in, c_out, temperature, area).

    Returns
    -------
    FitResult

    Raises
    ------
    DataFormatError
        Missing columns, NaN/infinite values, or fewer points than free parameters.
    FitError
        When the minimiser fails, with lmfit's message and the last parameters.

    Warns
    -----
    ConvergenceWarning
        When parameters are not determined by the data (no covariance, a relative standard
        error above 100%, or a value pinned at a bound).
    """
    import lmfit

    model = get_fit_model(model, **model_options)
    if model.from_data is not None and hasattr(data, "attrs") and hasattr(data, "columns"):
        model = model.from_data(data)
        if isinstance(model, tuple):  # the model, and the data with the columns it reads
            model, data = model
    xs, ys, dataset, columns = _columns(model, data, x, y)
    finite = np.isfinite(xs) & np.isfinite(ys)
    if not finite.all():
        raise DataFormatError(
            f"{dataset or 'data'}: {int((~finite).sum())} points are NaN or "
            "infinite; drop them first (df.dropna())"
        )
    fixed = dict(fixed or {})
    free = [p for p in model.parameters if p.name not in fixed]
    if xs.size <= len(free):
        raise DataFormatError(
            f"{dataset or 'data'}: {xs.size} points cannot determine "
            f"{len(free)} parameters; measure more points"
        )
    if backend not in ("native", "spice"):
        raise InvalidInput(f"backend {backend!r} is unknown; choose 'native' or 'spice'")
    start = model.guess(xs, ys, {})
    start.update(initial or {})
    # lmfit works on parameters scaled to order one (value / |start|): physical parameters span
    # many decades (a permeability of 1e-6 m/s beside a ratio of 0.1), and unscaled they make
    # the covariance ill-conditioned
    scales = {
        p.name: _scale(start[p.name] if p.name not in fixed else fixed[p.name])
        for p in model.parameters
    }
    params = lmfit.Parameters()
    # lmfit names are identifiers; a parameter may be a model path (cone.x.tau.amplitude)
    back = {f"p{i}": p.name for i, p in enumerate(model.parameters)}
    for key, name in back.items():
        p = next(q for q in model.parameters if q.name == name)
        value = fixed.get(p.name, start[p.name])
        value = float(np.clip(value, p.minimum, p.maximum))
        k = scales[p.name]
        params.add(
            key, value=value / k, min=p.minimum / k, max=p.maximum / k, vary=p.name not in fixed
        )

    def physical(scaled):
        return {back[key]: value * scales[back[key]] for key, value in scaled.items()}

    evaluations = {"n": 0}
    if backend == "spice":

        def predict(values):
            evaluations["n"] += 1
            return model.in_spice(values, xs)
    else:

        def predict(values):
            evaluations["n"] += 1
            return model(xs, values)

    scale = float(np.ptp(ys)) or float(np.max(np.abs(ys))) or 1.0

    def residual(p):
        return (predict(physical(p.valuesdict())) - ys) / scale

    minimizer = lmfit.Minimizer(residual, params, nan_policy="raise")
    try:
        options = {} if diff_step is None else {"diff_step": diff_step}
        with warnings.catch_warnings():
            # a fit that leaves no residual (noise-free data) has a zero covariance, whose
            # correlations lmfit divides 0/0 (scipy 1.17 reaches exactly zero): the standard
            # errors are then 0 and the correlations NaN, which is right, not a failure
            warnings.filterwarnings(
                "ignore", "invalid value encountered", RuntimeWarning, r"lmfit\.minimizer"
            )
            out = minimizer.minimize(method="least_squares", max_nfev=max_evaluations, **options)
    except (ValueError, ArithmeticError) as error:
        raise FitError(f"fit of {model.name!r} failed: {error}; start: {start}") from None
    last = physical({k: v.value for k, v in out.params.items()})
    if not out.success:
        raise FitError(
            f"fit of {model.name!r} did not converge: {out.message}; last parameters: {last}"
        )
    out.params = {back[key]: value for key, value in out.params.items()}  # their own names
    result = _result(model, out, xs, ys, scales, dataset, backend, evaluations["n"], columns)
    return result


def _scale(value: float) -> float:
    value = abs(float(value))
    return value if np.isfinite(value) and value > 0 else 1.0


def _result(model, out, xs, ys, scales, dataset, backend, nfev, columns=()) -> FitResult:
    import pandas as pd
    from scipy import stats

    values = {k: float(v.value) * scales[k] for k, v in out.params.items()}
    prediction = model(xs, values)
    residuals = ys - prediction
    n, k = xs.size, sum(p.vary for p in out.params.values())
    rss = float(np.sum(residuals**2))
    rmse = float(np.sqrt(rss / n))
    total = float(np.sum((ys - ys.mean()) ** 2))
    r_squared = 1.0 - rss / total if total > 0 else float("nan")
    aic = n * np.log(rss / n) + 2 * k if rss > 0 else -np.inf
    t95 = float(stats.t.ppf(0.975, max(n - k, 1)))
    stderr, ci95, notes = {}, {}, []
    for name, p in out.params.items():
        if not p.vary:
            err = 0.0
        elif p.stderr is None:
            err = np.nan
        else:
            err = float(p.stderr) * scales[name]  # back from the scaled parameter
        stderr[name] = err
        ci95[name] = (values[name] - t95 * err, values[name] + t95 * err)
        if p.vary and not np.isfinite(err):
            notes.append(f"{name} is not determined by the data (no covariance)")
        elif p.vary and err > abs(values[name]):
            notes.append(
                f"{name} is poorly determined: standard error {err:.3g} exceeds its "
                f"value {values[name]:.3g}"
            )
        if p.vary and (_at(p.value, p.min) or _at(p.value, p.max)):
            notes.append(f"{name} = {values[name]:.4g} sits at its bound; the model may not fit")
    names = [name for name, p in out.params.items() if p.vary]
    if out.covar is not None:
        sd = np.sqrt(np.diag(out.covar))
        # a fit with no residual (noise-free data) has zero variances: standard errors of 0,
        # and correlations that are undefined (NaN), not a failure
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = out.covar / np.outer(sd, sd)
    else:
        corr = np.full((len(names), len(names)), np.nan)
    correlation = pd.DataFrame(corr, index=names, columns=names)
    result = FitResult(
        model,
        xs,
        ys,
        values,
        stderr,
        ci95,
        correlation,
        rmse,
        r_squared,
        float(aic),
        nfev,
        backend,
        out.message,
        dataset,
        notes,
        columns,
    )
    if not total > 0:
        raise PoorFitError(
            f"fit of {model.name!r}: every measured value is the same ({ys[0]:.6g}), so there is "
            "nothing to fit; check the column (--y) and the data",
            result=result,
        )
    if r_squared < 0:
        raise PoorFitError(
            f"fit of {model.name!r} failed: it describes the data worse than a constant "
            f"(R^2 = {r_squared:.3g}, RMSE {rmse:.3g}, {result.relative_rmse:.1%} of the range); "
            "choose another model or check the columns (--x, --y)",
            result=result,
        )
    # a failed fit above says so once, without these details; many notes are one warning
    grouped = notes if len(notes) <= 3 else [f"{len(notes)} notes: " + "; ".join(notes)]
    for note in grouped:
        warn(f"fit of {model.name!r}: {note}", ConvergenceWarning)
    return result


def _at(value: float, bound: float) -> bool:
    """Whether a value sits on a (finite) bound, relative to the value's own size."""
    return bool(np.isfinite(bound) and abs(value - bound) <= 1e-9 * max(abs(value), abs(bound)))
