"""Reading TOML that a user gave (model cards, data-set metadata), within documented bounds.

:mod:`tomllib` parses nested arrays and inline tables recursively, so a few thousand ``[`` end in
``RecursionError``; a deep or long key would carry on into the code that walks the result. Before
parsing, the text's bracket nesting is measured by a linear scan that skips strings and comments;
after parsing, the depth of the tables and the length of every key are checked without recursion.
Every refusal is the caller's own error type, naming the limit.
"""

from __future__ import annotations

import tomllib
from typing import Any

__all__ = ["MAX_KEY_LENGTH", "MAX_NESTING", "load_toml"]

#: the deepest nesting of tables, arrays and inline tables (a model card needs 4)
MAX_NESTING = 16
#: the longest key, in characters
MAX_KEY_LENGTH = 64


def _scan(text: str) -> tuple[int, int]:
    """The deepest nesting of ``[`` and ``{``, and the most dots in one key (``a.b.c``), outside
    strings and comments, in linear time. (tomllib takes quadratic time and memory in the parts
    of a dotted key: 20 000 of them take seconds and gigabytes.)"""
    depth = deepest = dots = most_dots = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if c in "\"'":
            triple = text.startswith(c * 3, i)
            quote = c * 3 if triple else c
            j = i + len(quote)
            while j < n:
                if c == '"' and text[j] == "\\":
                    j += 2
                    continue
                if text.startswith(quote, j):
                    break
                if not triple and text[j] == "\n":
                    break
                j += 1
            i = j + len(quote)
            continue
        if c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth = max(0, depth - 1)
        if c == ".":
            dots += 1
            most_dots = max(most_dots, dots)
        elif c in "\n,={[":  # a key starts after these; "1.5" after "=" is one dot
            dots = 0
        i += 1
    return deepest, most_dots


def _check_shape(data: dict, source: str, error) -> None:
    stack = [(data, 1, "")]
    while stack:
        value, depth, where = stack.pop()
        if depth > MAX_NESTING:
            raise error(
                f"{source}: {where or 'the file'} is nested deeper than {MAX_NESTING} levels"
            )
        if isinstance(value, dict):
            for key, item in value.items():
                if len(key) > MAX_KEY_LENGTH:
                    raise error(
                        f"{source}: a key of {len(key)} characters ({key[:40]!r}...) is longer "
                        f"than the limit of {MAX_KEY_LENGTH}"
                    )
                stack.append((item, depth + 1, f"{where}.{key}" if where else key))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, f"{where}[{i}]") for i, item in enumerate(value))


def load_toml(
    raw: bytes, source: str, error: type[Exception], *, what: str = "TOML file"
) -> dict[str, Any]:
    """Parse ``raw`` (UTF-8, an optional BOM) as TOML within the bounds above; every problem is
    raised as ``error`` (a devicekit exception type) naming ``source``."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        raise error(f"{source}: not UTF-8 text (byte {problem.start}); a {what} is UTF-8") from None
    depth, dots = _scan(text)
    if depth > MAX_NESTING:
        raise error(f"{source}: brackets are nested deeper than {MAX_NESTING} levels")
    if dots >= MAX_NESTING:
        raise error(f"{source}: a dotted key is nested deeper than {MAX_NESTING} levels")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        raise error(f"{source}: not valid TOML: {problem}") from None
    except (RecursionError, MemoryError, OverflowError, ValueError) as problem:
        raise error(f"{source}: cannot be read as TOML ({type(problem).__name__})") from None
    _check_shape(data, source, error)
    return data
