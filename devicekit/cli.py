"""The ``devicekit`` command.

Each sub-command lives in :mod:`devicekit.commands` and registers itself through ``register``.
A user's mistake (any :class:`~devicekit.errors.DevicekitError`, or bad command-line syntax) is
answered with one line on stderr and exit code 2, never a traceback. Set ``DEVICEKIT_DEBUG=1``
to see the traceback of an unexpected failure.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import warnings
from collections.abc import Sequence

from devicekit import __version__
from devicekit.errors import DevicekitError, InvalidInput, PoorFitError, quote
from devicekit.units import parse_quantity

EXIT_USAGE = 2
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130
EXIT_BAD_FIT = 3

# sub-command modules, imported only when their command runs (keeps start-up fast)
_COMMAND_MODULES = (
    "devicekit.commands.electrochem",
    "devicekit.commands.simulate",
    "devicekit.commands.fit",
    "devicekit.commands.export",
    "devicekit.commands.sweep",
    "devicekit.commands.demo",
    "devicekit.commands.info",
)


class UsageError(DevicekitError):
    """Bad command-line syntax (raised by the argument parser)."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of printing usage and exiting, and that reads
    ``-65mV`` or ``-300degC`` as a value (argparse only knows bare negative numbers)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # no devicekit option starts with "-<digit>", so such a word is always a quantity
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog):
        super().__init__(prog, max_help_position=32)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="devicekit",
        description="Model neuromorphic and iontronic devices: electrochemistry, SPICE, fitting.",
        epilog=(
            "Example:\n  devicekit nernst --ion K --inside 140mM --outside 5mM --temperature 37degC"
        ),
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"devicekit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    import importlib

    for module_name in _COMMAND_MODULES:
        importlib.import_module(module_name).register(commands, _Formatter)
    return parser


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON (SI)")


def add_timeout_flag(parser: argparse.ArgumentParser, what: str = "a simulation") -> None:
    parser.add_argument(
        "--timeout",
        metavar="T",
        help=f"stop {what} that runs longer than T (30s, 2min) with an error (default: no limit)",
    )


def timeout_of(args: argparse.Namespace) -> float | None:
    """``--timeout`` in seconds, or None."""

    if getattr(args, "timeout", None) is None:
        return None
    seconds = parse_quantity(args.timeout, "time", name="--timeout")
    if not seconds > 0:
        raise InvalidInput(f"--timeout {args.timeout!r} must be > 0, for example 30s")
    return seconds


def _not_finite(data, where: str = "") -> str | None:
    """The path of the first number in ``data`` that is NaN or infinite, else None."""
    if isinstance(data, float):
        return None if math.isfinite(data) else where or "the result"
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, (list, tuple)):
        items = enumerate(data)
    else:
        return None
    for key, value in items:
        found = _not_finite(value, f"{where}.{key}" if where else str(key))
        if found:
            return found
    return None


def _nulls(data):
    """``data`` with NaN and infinities as None (JSON null): JSON has no NaN."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _nulls(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_nulls(v) for v in data]
    return data


def emit(args: argparse.Namespace, data: dict, text: str, *, finite: bool = False) -> None:
    """Print ``data`` as JSON when ``--json`` was given, else the human ``text``. With
    ``finite`` (the calculators) a result that is NaN or infinite is refused, since it cannot be
    right; otherwise such a number (a fit's undetermined error) is JSON null."""

    bad = _not_finite(data) if finite else None
    data = _nulls(data)
    if bad:
        raise InvalidInput(
            f"the result {bad} is not a finite number (NaN or infinite): the inputs are outside "
            "what double precision can compute; check their magnitudes and units"
        )
    if getattr(args, "json", False):
        json.dump(data, sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(text.rstrip("\n") + "\n")


_LONG_QUOTE = re.compile(r"'([^'\n]{100,})'|\"([^\"\n]{100,})\"")


def _one_line(error: BaseException) -> str:
    """The message on one line, with any quoted text over 100 characters shortened (a user's
    5000-character value must not flood the terminal) and at most 1000 characters in all."""
    message = " ".join(str(error).split())
    message = _LONG_QUOTE.sub(lambda m: quote(m.group(1) or m.group(2)), message)
    return message if len(message) <= 1000 else message[:700] + " ... " + message[-295:]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    prog = "devicekit"

    def one_line_warning(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        print(f"{prog}: warning: {text}", file=sys.stderr if file is None else file)

    shown = warnings.showwarning
    warnings.showwarning = one_line_warning
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        prog = f"devicekit {args.command}"
        return int(args.handler(args) or 0)
    except PoorFitError as error:  # a verdict on the data, not a usage mistake
        message = _one_line(error)
        print(f"{prog}: {message}", file=sys.stderr)
        return EXIT_BAD_FIT
    except DevicekitError as error:
        message = _one_line(error)
        print(f"{prog}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `devicekit ... | head`
        return 0
    except Exception as error:  # an internal bug: still one line, traceback on request
        if os.environ.get("DEVICEKIT_DEBUG"):
            raise
        print(
            f"{prog}: internal error: {type(error).__name__}: {error} "
            "(please report it; set DEVICEKIT_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        warnings.showwarning = shown


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
