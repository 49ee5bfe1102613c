"""devicekit: model neuromorphic and iontronic devices.

An ion pathway is a conductance in series with a Nernst battery. devicekit evaluates such models
in numpy, compiles them into SPICE subcircuits run in ngspice, fits them to measured device data
and exports them to circuit simulators.

Units are SI throughout: V, A, S, F, s, K, m and mol/m^3 (1 mM = 1 mol/m^3).

The public names below are imported lazily (PEP 562), so ``import devicekit`` is fast and does
not import PySpice, scipy or pandas until they are needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "CODATA": "devicekit.electrochem.constants",
    "Constants": "devicekit.electrochem.constants",
    "thermal_voltage": "devicekit.electrochem.constants",
    "boltzmann_ratio": "devicekit.electrochem.constants",
    "nernst_potential": "devicekit.electrochem.nernst",
    "driving_force": "devicekit.electrochem.nernst",
    "ohmic_current": "devicekit.electrochem.nernst",
    "ghk_current_density": "devicekit.electrochem.ghk",
    "ghk_voltage": "devicekit.electrochem.ghk",
    "exprel": "devicekit.electrochem.ghk",
    "ionic_strength": "devicekit.electrochem.activity",
    "activity_coefficient": "devicekit.electrochem.activity",
    "davies": "devicekit.electrochem.activity",
    "debye_huckel_limiting": "devicekit.electrochem.activity",
    "debye_huckel_extended": "devicekit.electrochem.activity",
    "chord_conductance_potential": "devicekit.electrochem.resting",
    "pump_resting_potential": "devicekit.electrochem.resting",
    "mullins_noda_potential": "devicekit.electrochem.resting",
    "Ion": "devicekit.models.ions",
    "get_ion": "devicekit.models.ions",
    "get_solution": "devicekit.models.ions",
    "STANDARD_SOLUTIONS": "devicekit.models.ions",
    "parse_quantity": "devicekit.units",
    "load_model": "devicekit.models.cards",
    "save_model": "devicekit.models.cards",
    "simulate": "devicekit.simulation",
    "find_threshold": "devicekit.spikes",
    "fi_curve": "devicekit.spikes",
    "spike_times": "devicekit.spikes",
    "load_measurement": "devicekit.measurements.loader",
    "fit": "devicekit.fit",  # a callable module: devicekit.fit(model, data)
    "fit_permeability_ratios": "devicekit.fit.routines",
    "fit_hh_kinetics": "devicekit.fit.routines",
    "fit_transient": "devicekit.fit.transient",
    "fit_hh_model": "devicekit.fit.hh_model",
    "sweep": "devicekit.sweeps",
    "Op": "devicekit.analyses",
    "DCSweep": "devicekit.analyses",
    "Transient": "devicekit.analyses",
    "Circuit": "devicekit.circuits",
    "Resistor": "devicekit.circuits",
    "Capacitor": "devicekit.circuits",
    "VoltageSource": "devicekit.circuits",
    "CurrentSource": "devicekit.circuits",
    "ChemicalSynapse": "devicekit.circuits",
    "DC": "devicekit.models.stimuli",
    "Pulse": "devicekit.models.stimuli",
    "Sine": "devicekit.models.stimuli",
    "StepTrain": "devicekit.models.stimuli",
    "Pool": "devicekit.models.pools",
    "Pump": "devicekit.models.pools",
    "steady_state": "devicekit.native",
}
_SUBMODULES = {
    "electrochem",
    "models",
    "units",
    "errors",
    "cli",
    "spice",
    "expr",
    "native",
    "measurements",
    "datasets",
    "sweeps",
}

__all__ = sorted([*_LAZY, "__version__"])


def __getattr__(name: str):
    if name == "fit":  # the package is callable (see devicekit/fit/__init__.py)
        return importlib.import_module("devicekit.fit")
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"devicekit.{name}")
    raise AttributeError(f"module 'devicekit' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY, *_SUBMODULES])


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from devicekit.analyses import DCSweep, Op, Transient  # noqa: F401
    from devicekit.circuits import (  # noqa: F401
        Capacitor,
        ChemicalSynapse,
        Circuit,
        CurrentSource,
        Resistor,
        VoltageSource,
    )
    from devicekit.electrochem.activity import (  # noqa: F401
        activity_coefficient,
        davies,
        debye_huckel_extended,
        debye_huckel_limiting,
        ionic_strength,
    )
    from devicekit.electrochem.constants import (  # noqa: F401
        CODATA,
        Constants,
        boltzmann_ratio,
        thermal_voltage,
    )
    from devicekit.electrochem.ghk import exprel, ghk_current_density, ghk_voltage  # noqa: F401
    from devicekit.electrochem.nernst import (  # noqa: F401
        driving_force,
        nernst_potential,
        ohmic_current,
    )
    from devicekit.electrochem.resting import (  # noqa: F401
        chord_conductance_potential,
        mullins_noda_potential,
        pump_resting_potential,
    )
    from devicekit.fit.core import fit  # noqa: F401
    from devicekit.fit.hh_model import fit_hh_model  # noqa: F401
    from devicekit.fit.routines import fit_hh_kinetics, fit_permeability_ratios  # noqa: F401
    from devicekit.fit.transient import fit_transient  # noqa: F401
    from devicekit.measurements.loader import load_measurement  # noqa: F401
    from devicekit.models.cards import load_model, save_model  # noqa: F401
    from devicekit.models.ions import STANDARD_SOLUTIONS, Ion, get_ion, get_solution  # noqa: F401
    from devicekit.models.pools import Pool, Pump  # noqa: F401
    from devicekit.models.stimuli import DC, Pulse, Sine, StepTrain  # noqa: F401
    from devicekit.native import steady_state  # noqa: F401
    from devicekit.simulation import simulate  # noqa: F401
    from devicekit.spikes import fi_curve, find_threshold, spike_times  # noqa: F401
    from devicekit.units import parse_quantity  # noqa: F401
