import pytest

from devicekit import errors


def test_hierarchy():
    assert issubclass(errors.InvalidInput, errors.DevicekitError)
    assert issubclass(errors.InvalidInput, ValueError)
    assert issubclass(errors.UnitError, errors.InvalidInput)
    assert issubclass(errors.DataFormatError, ValueError)
    assert issubclass(errors.SimulationError, RuntimeError)
    assert issubclass(errors.FitError, RuntimeError)
    assert issubclass(errors.ConvergenceWarning, RuntimeWarning)


def test_simulation_error_carries_netlist_and_log():
    error = errors.SimulationError("timestep too small", netlist="* n\n.end", log="doAnalyses")
    assert error.netlist.endswith(".end") and error.log == "doAnalyses"
    with pytest.raises(RuntimeError, match="timestep"):
        raise error
