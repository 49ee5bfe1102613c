"""FitResult: fitted parameters with uncertainties, statistics, residuals, reports, plots, and
the check of the fitted model in ngspice."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from devicekit.errors import InvalidInput
from devicekit.fit.spice import fitted_card
from devicekit.measurements.loader import column_unit
from devicekit.plotting import axis_label, axis_scale, new_figure, save_figure
from devicekit.text import format_table

if TYPE_CHECKING:
    import os

    import pandas as pd
    from matplotlib.figure import Figure

    from devicekit.arraytypes import ArrayLike

__all__ = ["FitResult"]


@dataclass
class FitResult:
    """The outcome of :func:`devicekit.fit`.

    Attributes
    ----------
    model : FitModel
        The fitted model.
    values, stderr : dict
        Best-fit parameters and their standard errors [SI] (NaN where not determined).
    ci95 : dict
        95% confidence interval (low, high) of each parameter, from the t distribution with
        n - k degrees of freedom and the standard error.
    correlation : pandas.DataFrame
        Parameter correlation matrix.
    rmse, r_squared, aic : float
        Root-mean-square residual [unit of y], coefficient of determination, Akaike
        information criterion (n ln(RSS/n) + 2k).
    residuals : pandas.DataFrame
        x, y, prediction and residual of every point.
    nfev : int
        Model evaluations (for backend="spice": ngspice runs).
    """

    model: object
    x: np.ndarray
    y: np.ndarray
    values: dict
    stderr: dict
    ci95: dict
    correlation: object
    rmse: float
    r_squared: float
    aic: float
    nfev: int
    backend: str = "native"
    message: str = ""
    dataset: str = ""
    warnings: list = field(default_factory=list)
    #: the columns fitted (x, y): the model's defaults, or those the user chose
    columns: tuple = ()

    @property
    def x_name(self) -> str:
        return self.columns[0] if self.columns else self.model.x

    @property
    def y_name(self) -> str:
        return self.columns[1] if self.columns else self.model.y

    # ------------------------------------------------------------------ derived
    @property
    def residuals(self) -> pd.DataFrame:
        import pandas as pd

        prediction = self.predict()
        return pd.DataFrame(
            {
                self.x_name: self.x,
                self.y_name: self.y,
                "prediction": prediction,
                "residual": self.y - prediction,
            }
        )

    @property
    def data_range(self) -> float:
        return float(np.ptp(self.y))

    @property
    def relative_rmse(self) -> float:
        """RMSE as a fraction of the data range."""
        return self.rmse / self.data_range if self.data_range else float("nan")

    def predict(self, x: ArrayLike | None = None) -> Any:
        return self.model(self.x if x is None else x, self.values)

    # ------------------------------------------------------------------ reports
    def unit_of(self, parameter: str) -> str:
        """A parameter's SI unit; ``y`` (a level of the fitted quantity, such as a sigmoid's
        low and high) becomes the unit of the column fitted (``A`` for a drain current)."""
        if parameter.unit != "y":
            return parameter.unit
        return column_unit(self.y_name) or "1"

    def as_dict(self) -> dict:
        params = []
        for p in self.model.parameters:
            lo, hi = self.ci95[p.name]
            params.append(
                {
                    "name": p.name,
                    "unit": self.unit_of(p),
                    "value": self.values[p.name],
                    "stderr": _finite(self.stderr[p.name]),
                    "ci95": [_finite(lo), _finite(hi)],
                }
            )
        return {
            "model": self.model.name,
            "dataset": self.dataset,
            "backend": self.backend,
            "parameters": params,
            "rmse": self.rmse,
            "relative_rmse": self.relative_rmse,
            "r_squared": self.r_squared,
            "aic": self.aic,
            "points": int(self.x.size),
            "evaluations": self.nfev,
            "warnings": list(self.warnings),
            "derived": {
                name: {"value": value, "stderr": _finite(err), "unit": unit}
                for name, (value, err, unit) in self.derived.items()
            },
        }

    @property
    def derived(self) -> dict:
        """Quantities that follow from the fitted values, with standard errors:
        ``{name: (value, stderr, unit)}`` (an OECT's mu C* from its channel geometry)."""
        if self.model.derived is None:
            return {}
        return self.model.derived(self.values, self.stderr)

    def _rows(self):
        rows = []
        for p in self.model.parameters:
            unit = p.display_unit or self.unit_of(p)
            scale = p.display_scale if p.display_unit else 1.0
            value, err = self.values[p.name] * scale, self.stderr[p.name] * scale
            lo, hi = (c * scale for c in self.ci95[p.name])
            rows.append([p.name, f"{value:.6g}", f"{err:.2g}", f"[{lo:.6g}, {hi:.6g}]", unit])
        for name, (value, err, unit) in self.derived.items():
            rows.append([name, f"{value:.6g}", f"{err:.2g}", "(derived)", unit])
        return rows

    def report(self, format: str = "text") -> str:
        """The parameter table and statistics as ``text``, ``markdown`` or ``json``."""
        if format == "json":
            return json.dumps(self.as_dict(), indent=2)
        headers = ["parameter", "value", "std. error", "95% interval", "unit"]
        stats = (
            f"RMSE {self.rmse:.4g} ({100 * self.relative_rmse:.2f}% of the data range), "
            f"R^2 {self.r_squared:.6f}, AIC {self.aic:.2f}, {self.x.size} points, "
            f"{self.nfev} evaluations ({self.backend})"
        )
        title = f"fit of '{self.model.name}'" + (f" to {self.dataset}" if self.dataset else "")
        if format == "markdown":
            lines = [
                f"### {title}",
                "",
                "| " + " | ".join(headers) + " |",
                "|" + "---|" * len(headers),
            ]
            lines += ["| " + " | ".join(r) + " |" for r in self._rows()]
            return "\n".join([*lines, "", stats, *(f"- warning: {w}" for w in self.warnings)])
        if format != "text":
            raise InvalidInput(f"report format {format!r}: choose text, markdown or json")

        text = f"{title}\n{format_table(headers, self._rows())}\n{stats}"
        return text + "".join(f"\nwarning: {w}" for w in self.warnings)

    def __str__(self) -> str:
        return self.report()

    def plot(self, path: str | os.PathLike[str] | None = None, *, force: bool = False) -> Figure:
        """Data and fit, with a residual panel below; saved to ``path`` if given."""

        figure = new_figure(figsize=(7, 5))
        top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
        # readable units on both axes: a nanopore's I-V in pA against mV, not 1e-11 A
        x_factor, x_unit = axis_scale(self.x, column_unit(self.x_name))
        y_factor, y_unit = axis_scale(self.y, column_unit(self.y_name))
        order = np.argsort(self.x)
        grid = np.linspace(self.x.min(), self.x.max(), 400)
        top.plot(x_factor * self.x, y_factor * self.y, "o", ms=4, color="black", label="data")
        top.plot(x_factor * grid, y_factor * self.predict(grid), color="tab:red",
                 label=f"{self.model.name} fit")  # fmt: skip
        top.set_ylabel(axis_label(self.y_name, y_unit))  # the quantity fitted
        top.legend()
        top.set_title(f"{self.dataset or 'data'}: RMSE {100 * self.relative_rmse:.2f}% of range")
        residual = y_factor * (self.y - self.predict())
        bottom.plot(x_factor * self.x[order], residual[order], "o", ms=3, color="tab:blue")
        bottom.axhline(0.0, color="gray", lw=0.8)
        bottom.set_ylabel(f"residual [{y_unit}]" if y_unit else "residual")
        bottom.set_xlabel(axis_label(self.x_name, x_unit))
        figure.tight_layout()
        if path is not None:
            save_figure(figure, path, force)
        return figure

    # ------------------------------------------------------------------ SPICE
    def verify_in_spice(self) -> dict:
        """Compile the fitted model, run the measurement's protocol (a DC sweep over the
        measured voltages) in ngspice, and compare with the native prediction.

        Returns
        -------
        dict
            ``max_deviation`` [unit of y] and ``relative`` (max deviation / data range).
        """
        spice = self.model.in_spice(self.values, self.x)
        deviation = float(np.max(np.abs(spice - self.predict())))
        return {
            "max_deviation": deviation,
            "relative": deviation / self.data_range,
            "points": int(self.x.size),
        }

    def to_card(self) -> str:
        """A model card (TOML) of the fitted model, with the fit's provenance."""

        return fitted_card(self)


def _finite(value):
    value = float(value)
    return value if np.isfinite(value) else None
