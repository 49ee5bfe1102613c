"""Electrochemistry: pure, vectorised functions in SI units.

Constants, the thermal voltage and Boltzmann ratio, the Nernst potential, ionic strength and
activity coefficients, the Goldman-Hodgkin-Katz current and voltage equations, and resting
potentials. Concentrations are in mol/m^3 (1 mM = 1 mol/m^3), potentials in V, temperatures in K.
"""

from devicekit.electrochem.activity import (
    activity_coefficient,
    davies,
    debye_huckel_a,
    debye_huckel_b,
    debye_huckel_extended,
    debye_huckel_limiting,
    ionic_strength,
    water_permittivity,
)
from devicekit.electrochem.constants import (
    CODATA,
    ZERO_CELSIUS,
    Constants,
    boltzmann_ratio,
    celsius_to_kelvin,
    thermal_voltage,
)
from devicekit.electrochem.ghk import exprel, ghk_current_density, ghk_voltage
from devicekit.electrochem.nernst import driving_force, nernst_potential, ohmic_current
from devicekit.electrochem.resting import (
    chord_conductance_potential,
    mullins_noda_potential,
    pump_resting_potential,
)

__all__ = [
    "CODATA",
    "ZERO_CELSIUS",
    "Constants",
    "activity_coefficient",
    "boltzmann_ratio",
    "celsius_to_kelvin",
    "chord_conductance_potential",
    "davies",
    "debye_huckel_a",
    "debye_huckel_b",
    "debye_huckel_extended",
    "debye_huckel_limiting",
    "driving_force",
    "exprel",
    "ghk_current_density",
    "ghk_voltage",
    "ionic_strength",
    "mullins_noda_potential",
    "nernst_potential",
    "ohmic_current",
    "pump_resting_potential",
    "thermal_voltage",
    "water_permittivity",
]
