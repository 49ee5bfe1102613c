"""Type aliases of devicekit's numeric values, for annotations.

The physics functions are vectorised: they take anything numpy can turn into an array of
floats (:data:`ArrayLike`: a number, a list, an array) and return a float for scalar input and
an array of floats otherwise (:data:`FloatOrArray`).
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["ArrayLike", "FloatArray", "FloatOrArray"]

#: anything numpy converts to an array of floats
ArrayLike: TypeAlias = npt.ArrayLike
#: an array of float64
FloatArray: TypeAlias = npt.NDArray[np.float64]
#: a float for scalar input, an array of floats otherwise
FloatOrArray: TypeAlias = float | FloatArray
