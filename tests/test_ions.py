import pytest

from devicekit import nernst_potential
from devicekit.errors import InvalidInput
from devicekit.models import ION_TABLE, STANDARD_SOLUTIONS, get_ion, get_solution


def test_valences():
    expected = {"K": 1, "Na": 1, "Cl": -1, "Ca": 2, "Mg": 2, "H": 1, "HCO3": -1}
    for symbol, z in expected.items():
        assert get_ion(symbol).valence == z


def test_symbols_with_charge_are_accepted():
    assert get_ion("Ca2+") is ION_TABLE["Ca"]
    assert get_ion("Cl-") is ION_TABLE["Cl"]


def test_unknown_ion_lists_known_symbols():
    with pytest.raises(InvalidInput, match=r"unknown ion 'Xx'.*K, .*--z"):
        get_ion("Xx")


def test_named_sets_have_sources_and_both_sides():
    assert {"mammalian-neuron", "squid-giant-axon", "textbook"} <= set(STANDARD_SOLUTIONS)
    for solution in STANDARD_SOLUTIONS.values():
        assert solution.source
        assert solution.ions()
        for ion in solution.ions():
            assert solution.inside[ion.symbol] > 0 and solution.outside[ion.symbol] > 0


def test_textbook_table_values():
    # issue 2: textbook table Na 10/145 mM and K 140/5 mM (in/out)
    textbook = get_solution("textbook")
    assert (textbook.inside["Na"], textbook.outside["Na"]) == (10.0, 145.0)
    assert (textbook.inside["K"], textbook.outside["K"]) == (140.0, 5.0)


def test_squid_set_reproduces_hodgkin_katz_rest():
    squid = get_solution("squid-giant-axon")
    e_k = nernst_potential(squid.inside["K"], squid.outside["K"], 1, squid.temperature)
    # 24.08 mV * ln(20/400) = -72.1 mV, the squid K+ equilibrium potential (Hodgkin 1964)
    assert e_k * 1e3 == pytest.approx(-72.1, abs=0.1)


def test_unknown_solution():
    with pytest.raises(InvalidInput, match="mammalian-neuron"):
        get_solution("frog")
