"""NeuroML 2 export of HH-type channels (``ionChannelHH``), for neuroscience tools.

devicekit's rate forms are NeuroML's standard ones: ``exp`` is ``HHExpRate``, ``sigmoid`` is
``HHSigmoidRate`` and ``exp_linear`` is ``HHExpLinearRate`` (rate per ms, midpoint and scale in
mV). Ohmic channels become ``ionChannelPassive``. A gate given as a free expression, a GHK
channel or an iontronic rate has no standard NeuroML form, and is refused with that reason.
A NeuroML channel carries no density or reversal potential (those belong to a cell's
``channelDensity``); both are written as comments, with the model's provenance.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from devicekit import __version__
from devicekit.errors import InvalidInput

__all__ = ["neuroml"]

_RATES = {"exp": "HHExpRate", "sigmoid": "HHSigmoidRate", "exp_linear": "HHExpLinearRate"}
_VARIABLES = {
    "sigmoid": "HHSigmoidVariable",
    "exp": "HHExpVariable",
    "exp_linear": "HHExpLinearVariable",
}


def _g(value: float) -> str:
    return f"{value:.17g}"


def _rate(tag: str, rate, per_ms: bool) -> str:
    table = _RATES if per_ms else _VARIABLES
    if getattr(rate, "form", None) not in table:
        raise InvalidInput(
            f"a {getattr(rate, 'form', type(rate).__name__)!r} rate has no standard NeuroML "
            "form (exp, sigmoid and exp_linear do); export this model as a card, SPICE or "
            "Verilog-A instead"
        )
    amplitude = (
        f'rate="{_g(rate.amplitude / 1000)}per_ms"' if per_ms else f'rate="{_g(rate.amplitude)}"'
    )
    return (
        f'            <{tag} type="{table[rate.form]}" {amplitude} '
        f'midpoint="{_g(rate.midpoint * 1000)}mV" scale="{_g(rate.scale * 1000)}mV"/>'
    )


def neuroml(model) -> str:
    eq = model.equations()
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<neuroml xmlns="http://www.neuroml.org/schema/neuroml2" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.neuroml.org/schema/neuroml2 '
        "https://raw.github.com/NeuroML/NeuroML2/development/Schemas/NeuroML2/"
        'NeuroML_v2.3.1.xsd" id=' + quoteattr(model.name.replace("-", "_")) + ">",
        f"    <!-- devicekit {__version__}: channels of model '{model.name}'. -->",
    ]
    if model.reference:
        out.append(f"    <!-- source: {model.reference.replace('--', '-')} -->")
    for channel in model.channels:
        ident = quoteattr(channel.name)
        species = quoteattr((channel.ion or "non_specific").lower())
        density = getattr(channel, "conductance", None)
        if channel.kind == "ghk":
            raise InvalidInput(
                f"channel {channel.name}: a GHK channel has no standard NeuroML ionChannelHH form"
            )
        if density is not None:
            out.append(
                f"    <!-- {channel.name}: g = {_g(density * 0.1)} mS/cm2, "
                f"E = {_g(eq.batteries[channel.name] * 1000)} mV, at "
                f"{_g(model.temperature - 273.15)} degC -->"
            )
        if channel.kind == "ohmic":
            out.append(f'    <ionChannelPassive id={ident} species={species} conductance="10pS"/>')
            continue
        out.append(f'    <ionChannelHH id={ident} species={species} conductance="10pS">')
        if channel.q10 != 1.0 and channel.q10_temperature is not None:
            out.append(
                f'        <q10Settings type="q10ExpTemp" q10Factor="{_g(channel.q10)}" '
                f'experimentalTemp="{_g(channel.q10_temperature - 273.15)} degC"/>'
            )
        for gate in channel.gates:
            gid = quoteattr(gate.name)
            if gate.alpha is not None:
                out += [
                    f'        <gateHHrates id={gid} instances="{gate.power}">',
                    _rate("forwardRate", gate.alpha, True),
                    _rate("reverseRate", gate.beta, True),
                    "        </gateHHrates>",
                ]
            else:
                raise InvalidInput(
                    f"gate {gate.name} of {channel.name} is given by x_inf and "
                    "tau; only alpha/beta gates are exported to NeuroML"
                )
        out.append("    </ionChannelHH>")
    out.append("</neuroml>")
    return "\n".join(out) + "\n"
