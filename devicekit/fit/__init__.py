"""Fitting models to measured device data (lmfit), with uncertainties and a check in ngspice."""

from devicekit.fit.core import fit
from devicekit.fit.models import FIT_MODELS, FitModel, ParameterSpec, get_fit_model
from devicekit.fit.result import FitResult

__all__ = ["FIT_MODELS", "FitModel", "FitResult", "ParameterSpec", "fit", "get_fit_model"]
