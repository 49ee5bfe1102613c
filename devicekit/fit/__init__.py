"""Fitting models to measured device data (lmfit), with uncertainties and a check in ngspice.

``devicekit.fit`` is both this package and the function :func:`devicekit.fit.core.fit`: once a
submodule is imported, Python sets ``devicekit.fit`` to this package, so the package module is
made callable and ``devicekit.fit(model, data)`` works either way.
"""

import inspect
import sys
import types

from devicekit.fit.core import fit
from devicekit.fit.models import FIT_MODELS, FitModel, ParameterSpec, get_fit_model
from devicekit.fit.result import FitResult

__all__ = ["FIT_MODELS", "FitModel", "FitResult", "ParameterSpec", "fit", "get_fit_model"]


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return fit(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
# help(devicekit.fit) and inspect.signature show the function's parameters, not (*args, **kwargs)
__signature__ = inspect.signature(fit)
