"""The main job, end to end: ``devicekit demo`` (and ``make demo``).

It runs devicekit's whole pipeline on the built-in models and the measured data sets in
``measurements/``, and writes a report folder:

1. the textbook Nernst and GHK table;
2. hh-squid and iontronic-neuron compiled to SPICE and simulated in ngspice (V(t) figures;
   hh-squid also against the scipy reference);
3. an f-I sweep of hh-squid on local worker processes;
4. fits of the conical-channel g_inf(V) and the DNA-nanopore I-V (figures with residuals);
5. the fitted models checked in ngspice;
6. the fitted devices exported as an ngspice library and Verilog-A, and the library run by a
   netlist written as a designer would write it.

``index.html`` ties the figures, tables and files together.
"""

from __future__ import annotations

import html
import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from devicekit import __version__
from devicekit.analyses import Transient, check_timeout, time_limit
from devicekit.commands.electrochem import textbook_table
from devicekit.errors import InvalidInput, SimulationError
from devicekit.export.writers import export_text
from devicekit.fit import fit
from devicekit.io import write_text_atomic
from devicekit.measurements import load_measurement
from devicekit.measurements.catalogue import directory
from devicekit.models.cards import load_model
from devicekit.models.channels import steady_state_current
from devicekit.models.stimuli import Pulse
from devicekit.plotting import new_figure, plot_transient, save_figure
from devicekit.simulation import simulate
from devicekit.spice.compiler import spice_name
from devicekit.spice.rawfile import read_rawfile
from devicekit.spikes import spike_times, summarize
from devicekit.sweeps import sweep

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["DEFAULT_FOLDER", "Report", "run_demo"]

DEFAULT_FOLDER = "devicekit-report"
MARKER = ".devicekit-report"  # a folder the demo made; only such a folder is written over
MEASUREMENTS = directory()  # the packaged data sets (measurements/ in a checkout points there)


@dataclass
class Report:
    """What the demo made: the folder, a summary row per step, and the HTML sections."""

    folder: Path
    force: bool
    rows: list = field(default_factory=list)  # (step, result, seconds)
    sections: list = field(default_factory=list)  # HTML
    files: list = field(default_factory=list)

    def path(self, name: str) -> Path:
        self.files.append(name)
        return self.folder / name

    def text(self, name: str, content: str) -> str:

        write_text_atomic(self.path(name), content, force=self.force)
        return name

    def figure(self, name: str, figure: Figure) -> str:

        save_figure(figure, self.path(name), self.force)
        return name

    def csv(self, name: str, frame: pd.DataFrame, index: bool = True) -> str:
        return self.text(name, frame.to_csv(index=index))


def _prepare(folder: Path, force: bool) -> None:
    if folder.exists():
        if not folder.is_dir():
            raise InvalidInput(f"{str(folder)!r} is a file; choose a folder name for the report")
        if any(folder.iterdir()):
            if not (folder / MARKER).exists():
                raise InvalidInput(
                    f"{str(folder)!r} is a folder devicekit did not make; choose another "
                    "report folder (--out)"
                )
            if not force:
                raise InvalidInput(
                    f"report folder {str(folder)!r} exists; add --force to write over it"
                )
    else:
        if not folder.parent.is_dir():
            raise InvalidInput(f"folder {str(folder.parent)!r} does not exist; create it first")
        folder.mkdir()
    (folder / MARKER).write_text("made by devicekit demo\n")


def run_demo(
    folder: str | os.PathLike[str] = DEFAULT_FOLDER,
    *,
    force: bool = False,
    workers: int | None = None,
    progress: bool | None = None,
    say: Callable[[str], object] = print,
    timeout: float | None = None,
) -> Report:
    """Run the whole pipeline and write the report folder. ``say`` reports each step.
    ``timeout`` [s] bounds every simulation run (each point of the sweep included)."""

    check_timeout(timeout)
    folder = Path(folder)
    _prepare(folder, force)
    report = Report(folder, force=True)  # our own files inside our own folder
    steps = [
        ("textbook electrochemistry", _electrochemistry),
        ("hh-squid in ngspice", _hh_squid),
        ("iontronic neuron in ngspice", _iontronic_neuron),
        ("f-I sweep", _fi_sweep),
        ("fit the measurements", _fits),
        ("export and run the fitted devices", _export),
    ]
    context = {"workers": workers, "progress": progress, "timeout": timeout}
    for number, (label, step) in enumerate(steps, start=1):
        say(f"[{number}/{len(steps)}] {label} ...")
        start = time.perf_counter()
        with time_limit(timeout):
            rows = step(report, context)
        seconds = time.perf_counter() - start
        for name, value in rows:
            report.rows.append((name, value, seconds))
            seconds = None  # a step's time on its first row only
    report.text("index.html", _index(report))
    report.text("summary.json", json.dumps(_summary_data(report), indent=2))
    return report


def _summary_data(report: Report) -> dict:
    return {
        "report": str(report.folder),
        "results": [{"step": s, "result": r, "seconds": t} for s, r, t in report.rows],
        "files": sorted(set(report.files)),
    }


# ------------------------------------------------------------------------------------ steps
def _electrochemistry(report: Report, context: dict) -> list:
    import pandas as pd

    rows = textbook_table()
    frame = pd.DataFrame(
        [(case, v * 1e3, expected) for case, v, expected in rows],
        columns=["case", "devicekit_mV", "textbook_mV"],
    )
    report.csv("electrochemistry.csv", frame, index=False)
    worst = float(np.max(np.abs(frame["devicekit_mV"] - frame["textbook_mV"])))
    report.sections.append(
        _section(
            "Textbook electrochemistry",
            "Nernst potentials and the squid GHK resting potential, against the textbook "
            "values they are quoted with (Hille; Johnston and Wu).",
            table=frame.round(2),
            files=["electrochemistry.csv"],
        )
    )
    return [("Nernst/GHK table", f"{len(rows)} cases, within {worst:.2f} mV")]


def _hh_squid(report: Report, context: dict) -> list:

    model = load_model("hh-squid")
    stimulus = [Pulse(0.1)]  # 10 uA/cm^2 from t = 0
    spice = simulate(model, Transient(0.1), stimuli=stimulus)
    native = simulate(model, Transient(0.1), stimuli=stimulus, backend="native")
    report.text("hh-squid.cir", spice.attrs["netlist"])
    report.csv("hh-squid-vt.csv", spice)
    figure = plot_transient(spice, "hh-squid in ngspice, 10 uA/cm2 step")
    axis = figure.axes[0]
    axis.plot(native.index * 1e3, native["v"] * 1e3, "--", color="tab:orange", lw=1,
              label="scipy reference")  # fmt: skip
    axis.legend(loc="upper right", fontsize=8)
    report.figure("hh-squid-vt.png", figure)
    s = summarize(spice)
    a, b = spike_times(spice.index, spice["v"]), spike_times(native.index, native["v"])
    error = float(np.max(np.abs(a - b))) if a.size == b.size else float("nan")
    report.sections.append(
        _section(
            "hh-squid in ngspice",
            f"Hodgkin-Huxley 1952 squid axon at 6.3 degC, compiled to a SPICE subcircuit and run "
            f"in ngspice for 100 ms under a 10 uA/cm2 step: {s.count} spikes, first at "
            f"{s.first_spike * 1e3:.3f} ms, peak {s.first_peak * 1e3:+.1f} mV. The dashed line "
            f"is the scipy reference (LSODA-class, rtol 1e-9); spike times agree to "
            f"{error * 1e3:.4f} ms.",
            figures=["hh-squid-vt.png"],
            files=["hh-squid.cir", "hh-squid-vt.csv"],
        )
    )
    return [
        ("hh-squid, 100 ms at 10 uA/cm2", f"{s.count} spikes, rate {s.rate:.2f} Hz"),
        ("  ngspice vs scipy spike times", f"{error * 1e3:.4f} ms"),
    ]


def _iontronic_neuron(report: Report, context: dict) -> list:

    model = load_model("iontronic-neuron")
    g0 = model.channels[0].conductance
    rows, figures = [], []
    # a 20 ms pulse of 0.04 g0 stays below the spike (V crossing 0.5 V), 0.1 g0 fires
    for label, factor in (("below", 0.04), ("above", 0.1)):
        pulse = Pulse(factor * g0, delay=5e-3, width=20e-3, per_area=False)  # [A]
        frame = simulate(model, Transient(0.3, max_step=1e-4), stimuli=[pulse])
        s = summarize(frame, threshold=0.5)
        name = f"iontronic-neuron-{label}.png"
        figures.append(
            report.figure(
                name,
                plot_transient(
                    frame, f"iontronic neuron, 20 ms pulse {label} threshold ({factor:g} g0)"
                ),
            )
        )
        report.csv(f"iontronic-neuron-{label}.csv", frame)
        peak = float(frame["v"].max())
        rows.append((f"iontronic neuron, pulse {label} threshold", f"{s.count} spike(s), peak "
                     f"{peak:+.2f} V"))  # fmt: skip
    report.sections.append(
        _section(
            "Iontronic neuron in ngspice",
            "Two branches of conical fluidic memristors with batteries (+6 V fast, -4 V slow) "
            "across 1 fF, after Kamsma et al. (Phys. Rev. Lett. 130, 268401, 2023). A 20 ms "
            "current pulse below threshold gives no spike: the membrane swings below rest and "
            "relaxes back towards it (-0.667 V) on the slow branch's time scale. Above "
            "threshold the neuron fires one all-or-none spike.",
            figures=figures,
            files=["iontronic-neuron-below.csv", "iontronic-neuron-above.csv"],
        )
    )
    return rows


def _fi_sweep(report: Report, context: dict) -> list:

    amplitudes = np.linspace(0.0, 0.2, 41)  # 0 to 20 uA/cm^2 in A/m^2
    start = time.perf_counter()
    frame = sweep(
        "hh-squid",
        {"stimulus.amplitude": amplitudes},
        Transient(0.5, preset="fast"),
        stimuli=[Pulse(0.0)],
        measures=["spike_count", "rate_hz", "first_spike_s"],
        workers=context["workers"],
        progress=context["progress"],
        timeout=context["timeout"],
    )
    seconds = time.perf_counter() - start
    report.csv("fi-curve.csv", frame, index=False)
    figure = new_figure(figsize=(7, 4))
    axis = figure.subplots()
    current = frame["stimulus.amplitude"] * 100  # A/m^2 -> uA/cm^2
    axis.plot(current, frame["rate_hz"], "o-", ms=3, color="black")
    axis.set_xlabel("step current [uA/cm2]")
    axis.set_ylabel("firing rate (1/last ISI) [Hz]")
    axis.set_title("hh-squid f-I curve (500 ms steps, 41 points)")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    report.figure("fi-curve.png", figure)
    firing = frame[frame["spike_count"] >= 3]
    onset = float(firing["stimulus.amplitude"].min() * 100) if len(firing) else float("nan")
    report.sections.append(
        _section(
            "f-I sweep",
            f"41 step currents, one ngspice run each, on {frame.attrs['ran_on']} in "
            f"{seconds:.1f} s. HH fires repetitively from about {onset:.1f} uA/cm2 (type II: it "
            "starts at a non-zero rate).",
            figures=["fi-curve.png"],
            files=["fi-curve.csv"],
        )
    )
    return [
        ("f-I sweep, 41 points", f"{frame.attrs['failed']} failed, {frame.attrs['ran_on']}"),
        ("  repetitive firing from", f"{onset:.1f} uA/cm2"),
    ]


def _fits(report: Report, context: dict) -> list:
    cases = [
        ("conical channel g_inf(V), sigmoid", "kamsma_conical_channel_ginf.tsv", "sigmoid",
         "conical"),
        ("DNA nanopore I-V, ohmic", "howorka_dna_nanopore_iv.csv", "ohmic", "nanopore"),
        ("OECT transfer curve, forward sweep, oect", "bongartz_oect_transfer.csv", "oect",
         "oect"),
    ]  # fmt: skip
    rows, results, parts = [], {}, []
    for title, file, model, short in cases:
        data = load_measurement(MEASUREMENTS / file)
        if "sweep" in data:  # a hysteretic sweep: its forward direction
            data = data[data["sweep"] == "forward"]
        result = fit(model, data)
        check = result.verify_in_spice()
        results[short] = result
        figure = result.plot()
        report.figure(f"fit-{short}.png", figure)
        report.text(f"fit-{short}.md", result.report("markdown"))
        card = [f"fitted-{short}.toml"] if result.model.device is not None else []
        if card:
            report.text(card[0], result.to_card())
        report.csv(f"fit-{short}.csv", result.residuals, index=False)
        rows.append((f"fit {title}", f"RMSE {100 * result.relative_rmse:.2f}% of range"))
        rows.append(("  ngspice check of the fit", f"{check['relative']:.1e} of range"))
        parts.append(
            _section(
                f"Fit: {title}",
                f"{_device(data, file)}. {result.model.name} model fitted with lmfit; "
                f"RMSE {100 * result.relative_rmse:.2f}% of the data range, R^2 "
                f"{result.r_squared:.4f}. The fitted model compiled to SPICE and swept in ngspice "
                f"over the measured voltages deviates from the fit by {check['relative']:.1e} "
                "of the data range.",
                figures=[f"fit-{short}.png"],
                table=_parameter_table(result),
                files=[f"fit-{short}.csv", f"fit-{short}.md", *card],
            )
        )
    report.sections.extend(parts)
    # the devices exported next: those whose fit makes a card (the OECT is a three-pin
    # transistor, not yet a card)
    context["fits"] = {k: r for k, r in results.items() if r.model.device is not None}
    return rows


def _device(data, file: str) -> str:
    device = data.attrs.get("device")
    if isinstance(device, dict):
        device = device.get("description") or device.get("name") or device.get("kind")
    return str(device or file).rstrip(".")


def _parameter_table(result):
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "parameter": name,
                "value": f"{result.values[name]:.5g}",
                "std. error": f"{result.stderr[name]:.2g}",
                "unit": spec.unit,
            }
            for name, spec in ((s.name, s) for s in result.model.parameters)
        ]
    )


def _export(report: Report, context: dict) -> list:

    libraries, checks, rows, files = [], [], [], []
    for short in context["fits"]:
        model = load_model(report.folder / f"fitted-{short}.toml")
        libraries.append(export_text(model, "spice"))
        files.append(report.text(f"{short}.va", export_text(model, "verilog-a")))
        checks.append((short, model))
    report.text("fitted-devices.lib", "\n".join(libraries))
    files.insert(0, "fitted-devices.lib")
    # a designer's netlist: include the library, clamp each device, sweep the voltage
    for short, model in checks:
        start, stop, step = (-2.0, 2.0, 0.05) if short == "conical" else (-0.2, 0.2, 0.01)
        netlist = f"{short}-check.cir"
        report.text(
            netlist,
            f"* {short}: steady-state I-V of the exported device, written as a designer would\n"
            f".include fitted-devices.lib\nX1 vm 0 {spice_name(model.name)}\n"
            f"Vclamp vm 0 DC 0\n.options reltol=1e-9 abstol=1e-18\n"
            f".dc Vclamp {start} {stop} {step}\n.end\n",
        )
        raw = report.folder / f"{short}-check.raw"
        try:
            run = subprocess.run(
                ["ngspice", "-b", "-r", raw.name, netlist],
                cwd=report.folder,
                capture_output=True,
                text=True,
                timeout=120,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise SimulationError(
                f"ngspice -b could not run the exported library: {error}"
            ) from None
        if run.returncode != 0 or not raw.exists():
            raise SimulationError(
                f"ngspice -b failed on {netlist}: {run.stderr.strip()[-300:]}", netlist=netlist
            )
        vectors = read_rawfile(raw)
        raw.unlink()
        v, current = vectors["v(vm)"], -vectors["i(vclamp)"]
        expected = model.area * sum(
            steady_state_current(c, model.environment, v) for c in model.channels
        )
        deviation = float(np.max(np.abs(current - expected)) / np.ptp(expected))
        rows.append((f"exported {short} library in ngspice -b", f"{deviation:.1e} of range"))
        files.append(netlist)
    report.sections.append(
        _section(
            "Export",
            "The fitted devices as an ngspice library (one .subckt per device, parameters "
            "overridable per instance) and as Verilog-A modules. Each device was then run from "
            "the library by a hand-written netlist in ngspice -b and compared with devicekit's "
            "own steady-state I-V: " + "; ".join(f"{name}: {value}" for name, value in rows) + ".",
            files=files,
        )
    )
    return rows


# ------------------------------------------------------------------------------------ HTML
def _section(title, text, *, figures=(), table=None, files=()) -> str:
    parts = [f"<section>\n<h2>{html.escape(title)}</h2>\n<p>{html.escape(text)}</p>"]
    for name in figures:
        parts.append(
            f'<figure><img src="{html.escape(name)}" alt="{html.escape(name)}" loading="eager">'
            f"<figcaption>{html.escape(name)}</figcaption></figure>"
        )
    if table is not None:
        parts.append(table.to_html(index=False, border=0, classes="data"))
    if files:
        links = ", ".join(f'<a href="{html.escape(f)}">{html.escape(f)}</a>' for f in files)
        parts.append(f'<p class="files">Files: {links}</p>')
    parts.append("</section>")
    return "\n".join(parts)


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption, .files, .meta { color: #666; font-size: 0.9rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.92rem; }
td, th { padding: 0.25rem 0.7rem; border-bottom: 1px solid #eee; text-align: left; }
img.broken { border: 2px solid #c00; min-height: 2rem; }
"""

# marks figures that did not load, for a reader and for the headless-browser check
_SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
  broken.forEach(function (i) { i.className = "broken"; i.alt = "missing figure: " + i.src; });
  document.body.setAttribute("data-figures", String(images.length));
  document.body.setAttribute("data-figures-loaded", String(images.length - broken.length));
});
"""


def _index(report: Report) -> str:

    summary = "".join(
        f"<tr><td>{html.escape(step)}</td><td>{html.escape(result)}</td>"
        f"<td>{'' if seconds is None else f'{seconds:.1f} s'}</td></tr>"
        for step, result, seconds in report.rows
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>devicekit demo report</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>devicekit demo report</h1>
<p class="meta">devicekit {html.escape(__version__)}, written {time.strftime("%Y-%m-%d %H:%M")}.
Every number below was computed by this run; the figures and files are in this folder.</p>
<section>
<h2>Summary</h2>
<table class="summary"><tr><th>step</th><th>result</th><th>time</th></tr>{summary}</table>
</section>
{chr(10).join(report.sections)}
<script>{_SCRIPT}</script>
</body>
</html>
"""
