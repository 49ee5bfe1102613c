"""Parameter paths into a model: read, set and describe one number by a dotted path.

A parameter is named by a dotted path into the model:

* ``temperature``, ``capacitance``, ``area``: the membrane's own fields (SI);
* ``inside.K``, ``outside.Na``: a concentration [mol/m^3];
* ``na.conductance``, ``k.reversal_potential``: a field of the channel named ``na``;
  ``na.m.alpha.midpoint``: a field of a rate of its gate ``m``;
* ``stimulus.amplitude``: a field of the (first) stimulus; ``stimuli.1.delay`` of another.

Values are SI numbers; :func:`value_parser` reads text with units, in the unit the field's
metadata declares. Sweeps, ``devicekit simulate --set`` and circuit instances use these paths.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from devicekit.errors import InvalidInput, UnitError
from devicekit.models.definition import ABSOLUTE_KINDS
from devicekit.models.kinetics import ROLE_KINDS
from devicekit.models.parameters import describe, field_kind
from devicekit.units import parse_quantity

if TYPE_CHECKING:
    from devicekit.models.membrane import Membrane

__all__ = ["apply_values", "check_path", "path_kind", "value_parser"]


def _segments(membrane: Membrane, path: str) -> list[str]:
    if not isinstance(path, str) or not re.fullmatch(r"[A-Za-z_][\w]*(\.[\w]+)*", path):
        raise InvalidInput(
            f"parameter {path!r} is not a dotted path such as 'na.conductance', "
            "'stimulus.amplitude' or 'temperature'"
        )
    parts = path.split(".")
    channels = {c.name: c for c in membrane.channels}
    if parts[0] in channels:
        gates = {g.name for g in getattr(channels[parts[0]], "gates", ())}
        if len(parts) > 1 and parts[1] in gates:  # na.m.alpha.midpoint
            parts = ["channels", parts[0], "gates", *parts[1:]]
        else:
            parts = ["channels", *parts]
    elif parts[0] == "stimulus":
        parts = ["stimuli", "0", *parts[1:]]
    return parts


def _child(obj: Any, key: str, path: str) -> Any:
    """The part of ``obj`` named ``key``, for walking a path down."""
    if isinstance(obj, Mapping):
        if key not in obj:
            raise InvalidInput(
                f"parameter {path!r}: no {key!r} here; known: {', '.join(map(str, obj)) or 'none'}"
            )
        return obj[key]
    if isinstance(obj, tuple):
        if key.isdigit():
            if int(key) >= len(obj):
                raise InvalidInput(
                    f"parameter {path!r}: index {key} is out of range (there are {len(obj)})"
                )
            return obj[int(key)]
        named = [x for x in obj if getattr(x, "name", None) == key]
        if not named:
            names = [getattr(x, "name", str(i)) for i, x in enumerate(obj)]
            raise InvalidInput(
                f"parameter {path!r}: no {key!r} here; known: {', '.join(names) or 'none'}"
            )
        return named[0]
    if dataclasses.is_dataclass(obj):
        fields = [f.name for f in dataclasses.fields(obj) if f.init]
        if key not in fields:
            raise InvalidInput(
                f"parameter {path!r}: {type(obj).__name__} has no field {key!r}; "
                f"its fields are {', '.join(fields)}"
            )
        return getattr(obj, key)
    raise InvalidInput(f"parameter {path!r}: cannot go into {type(obj).__name__} at {key!r}")


def _replaced(obj: Any, key: str, value: Any) -> Any:
    if isinstance(obj, Mapping):
        return {**obj, key: value}
    if isinstance(obj, tuple):
        if key.isdigit():
            i = int(key)
        else:
            i = next(i for i, x in enumerate(obj) if getattr(x, "name", None) == key)
        return (*obj[:i], value, *obj[i + 1 :])
    return dataclasses.replace(obj, **{key: value})


def check_path(membrane: Membrane, path: str) -> float:
    """Check that ``path`` names a number in the model; return its present value."""
    obj = membrane
    parts = _segments(membrane, path)
    if parts[:1] == ["stimuli"] and not membrane.stimuli:
        raise InvalidInput(
            f"parameter {path!r}: model {membrane.name!r} has no stimulus; give one "
            "(stimuli=[Pulse(0.0)] in Python, --stim 0uA/cm2 on the command line)"
        )
    for key in parts:
        obj = _child(obj, key, path)
    if isinstance(obj, bool) or not isinstance(obj, (int, float)):
        raise InvalidInput(
            f"parameter {path!r} is {obj!r}, not a number; a sweep sets numeric fields"
        )
    return float(obj)


def path_kind(membrane: Membrane, path: str) -> str | None:
    """The quantity kind of the number at ``path`` (``k.conductance`` ->
    ``conductance_density``), read from the fields' metadata; None for a pure number."""
    parts = _segments(membrane, path)
    if parts[0] in ("inside", "outside"):
        return "concentration"
    chain: list[Any] = [membrane]
    for key in parts[:-1]:
        chain.append(_child(chain[-1], key, path))
    owner, name = chain[-1], parts[-1]
    if name == "amplitude" and len(parts) >= 2 and parts[-2] in ROLE_KINDS:
        return ROLE_KINDS[parts[-2]]  # a rate's amplitude: 1/s, s or 1 by its role
    if isinstance(owner, tuple) and len(chain) >= 2:  # an element of a tuple field
        owner, name = chain[-2], parts[-2]
    if not dataclasses.is_dataclass(owner):
        return None
    kind = field_kind(owner, name)
    described = describe(owner, name)
    if kind is not None and described is not None and described.per_area and not membrane.per_area:
        return ABSOLUTE_KINDS.get(kind, kind)  # a device in its own units: S, F, A
    return kind


def value_parser(path: str, model: Membrane | None = None) -> Callable[[str], float]:
    """A parser of values for ``path``: a bare number is SI; a number with a unit is converted
    to the unit the model's field metadata gives (``k.conductance`` -> S/m2)."""
    kind = None if model is None else path_kind(model, path)
    kind = None if kind == "dimensionless" else kind

    def parse(text: str) -> float:
        try:
            return float(text)  # a bare number is SI
        except ValueError:
            pass
        if kind is None:
            raise UnitError(f"{path}: {text!r}; give this parameter as a plain SI number")
        return float(parse_quantity(text, kind, name=path))

    return parse


def apply_values(membrane: Membrane, values: Mapping[str, float]) -> Membrane:
    """A copy of ``membrane`` with each path set to its value (validated by the model's own
    constructors, so an impossible value raises the model's error)."""
    for path, value in values.items():
        check_path(membrane, path)  # names a number of this model, or says what it could be
        parts = _segments(membrane, path)
        chain: list[Any] = [membrane]
        for key in parts[:-1]:
            chain.append(_child(chain[-1], key, path))
        new: Any = float(value)
        for obj, key in zip(reversed(chain), reversed(parts), strict=True):
            new = _replaced(obj, key, new)
        membrane = new
    return membrane
