"""Ion species and named concentration sets.

Concentrations are stored in SI (mol/m^3, numerically equal to mM).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from devicekit.errors import InvalidInput, quote

__all__ = ["ION_TABLE", "STANDARD_SOLUTIONS", "ConcentrationSet", "Ion", "get_ion", "get_solution"]


@dataclass(frozen=True)
class Ion:
    """An ion species.

    Parameters
    ----------
    symbol : str
        Short symbol used on the command line and in model cards (``K``, ``Ca``, ``Cl``).
    name : str
        Chemical formula with charge (``K+``, ``Ca2+``).
    valence : int
        Charge number z.
    ion_size : float
        Kielland ion-size parameter a [m], for the extended Debye-Hueckel law.
    """

    symbol: str
    name: str
    valence: int
    ion_size: float


# Kielland, J. Am. Chem. Soc. 59, 1675 (1937), Table I: effective hydrated diameters in Angstrom.
_ANGSTROM = 1e-10
ION_TABLE: MappingProxyType[str, Ion] = MappingProxyType(
    {
        ion.symbol: ion
        for ion in (
            Ion("H", "H+", 1, 9.0 * _ANGSTROM),
            Ion("Li", "Li+", 1, 6.0 * _ANGSTROM),
            Ion("Na", "Na+", 1, 4.5 * _ANGSTROM),
            Ion("K", "K+", 1, 3.0 * _ANGSTROM),
            Ion("Rb", "Rb+", 1, 2.5 * _ANGSTROM),
            Ion("Cs", "Cs+", 1, 2.5 * _ANGSTROM),
            Ion("NH4", "NH4+", 1, 2.5 * _ANGSTROM),
            Ion("Mg", "Mg2+", 2, 8.0 * _ANGSTROM),
            Ion("Ca", "Ca2+", 2, 6.0 * _ANGSTROM),
            Ion("Sr", "Sr2+", 2, 5.0 * _ANGSTROM),
            Ion("Ba", "Ba2+", 2, 5.0 * _ANGSTROM),
            Ion("Zn", "Zn2+", 2, 6.0 * _ANGSTROM),
            Ion("Cl", "Cl-", -1, 3.0 * _ANGSTROM),
            Ion("Br", "Br-", -1, 3.0 * _ANGSTROM),
            Ion("I", "I-", -1, 3.0 * _ANGSTROM),
            Ion("HCO3", "HCO3-", -1, 4.5 * _ANGSTROM),
            Ion("SO4", "SO4 2-", -2, 4.0 * _ANGSTROM),
        )
    }
)


def get_ion(symbol: str) -> Ion:
    """Look up an ion by symbol (``K``, ``Na``, ``Ca``...); a trailing charge (``K+``, ``Ca2+``,
    ``Cl-``) is accepted. Raises :class:`InvalidInput` listing the known symbols."""
    key = symbol.strip()
    if key not in ION_TABLE:
        stripped = key.rstrip("+-").rstrip("0123456789")
        key = stripped if stripped in ION_TABLE else key
    if key not in ION_TABLE:
        raise InvalidInput(
            f"unknown ion {quote(symbol)}; known symbols: {', '.join(ION_TABLE)}; for another ion "
            "give its valence instead (for example --z 2)"
        )
    return ION_TABLE[key]


@dataclass(frozen=True)
class ConcentrationSet:
    """Inside and outside concentrations of a standard preparation.

    Parameters
    ----------
    name : str
        Identifier used by ``--solution`` on the command line.
    description : str
        One line, for listings.
    inside, outside : Mapping[str, float]
        Concentration by ion symbol [mol/m^3].
    temperature : float
        Temperature at which the preparation is usually studied [K].
    source : str
        Where the numbers come from.
    """

    name: str
    description: str
    inside: MappingProxyType[str, float]
    outside: MappingProxyType[str, float]
    temperature: float
    source: str
    permeability: MappingProxyType[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def ions(self) -> list[Ion]:
        """The ions present on both sides, in table order."""
        return [get_ion(symbol) for symbol in self.inside if symbol in self.outside]


def _set(
    name: str,
    description: str,
    inside: Mapping[str, float],
    outside: Mapping[str, float],
    temperature: float,
    source: str,
    permeability: Mapping[str, float] | None = None,
) -> ConcentrationSet:
    return ConcentrationSet(
        name,
        description,
        MappingProxyType(dict(inside)),
        MappingProxyType(dict(outside)),
        temperature,
        source,
        MappingProxyType(dict(permeability or {})),
    )


STANDARD_SOLUTIONS: MappingProxyType[str, ConcentrationSet] = MappingProxyType(
    {
        s.name: s
        for s in (
            _set(
                "mammalian-neuron",
                "typical mammalian neuron, 37 degC",
                {"K": 140.0, "Na": 15.0, "Cl": 10.0, "Ca": 1e-4},
                {"K": 5.0, "Na": 145.0, "Cl": 110.0, "Ca": 2.0},
                310.15,
                "D. Purves et al., Neuroscience, 6th ed., Oxford Univ. Press (2018), Table 2.1 "
                "(values within the ranges given there: Na 5-15 mM in, Cl 4-30 mM in, Ca 1-2 mM "
                "out)",
                {"K": 1.0, "Na": 0.05, "Cl": 0.45},
            ),
            _set(
                "squid-giant-axon",
                "squid giant axon, 6.3 degC (Hodgkin-Huxley)",
                {"K": 400.0, "Na": 50.0, "Cl": 40.0, "Ca": 1e-4},
                {"K": 20.0, "Na": 440.0, "Cl": 560.0, "Ca": 10.0},
                279.45,
                "A. L. Hodgkin, The Conduction of the Nervous Impulse, Liverpool Univ. Press "
                "(1964), as tabulated in Purves et al., Neuroscience, Table 2.1 (Cl 40 mM in); "
                "resting permeabilities P_K:P_Na:P_Cl = 1:0.04:0.45 from A. L. Hodgkin and "
                "B. Katz, J. Physiol. 108, 37 (1949)",
                {"K": 1.0, "Na": 0.04, "Cl": 0.45},
            ),
            _set(
                "textbook",
                "textbook Na/K table (Na 10/145 mM, K 140/5 mM in/out)",
                {"Na": 10.0, "K": 140.0},
                {"Na": 145.0, "K": 5.0},
                298.0,
                "standard textbook exercise: E = (kT/q) ln(c_out/c_in) with Na 10/145 mM and "
                "K 140/5 mM at 298 K",
            ),
        )
    }
)


def get_solution(name: str) -> ConcentrationSet:
    """Look up a named concentration set; raises :class:`InvalidInput` listing the known ones."""
    try:
        return STANDARD_SOLUTIONS[name]
    except KeyError:
        raise InvalidInput(
            f"unknown concentration set {name!r}; known sets: {', '.join(STANDARD_SOLUTIONS)}"
        ) from None
