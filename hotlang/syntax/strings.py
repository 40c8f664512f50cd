"""String literal processing: escapes, block-string dedent and template splitting.

Kept apart from the lexer so the rules of spec §1 (Strings, Template strings)
read in one place.
"""

from __future__ import annotations

_SIMPLE_ESCAPES = {
    '"': '"',
    "\\": "\\",
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "0": "\0",
    "'": "'",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "`": "`",
}


def unescape(raw: str) -> str:
    """Process the escapes of a ``"…"`` or `` `…` `` literal; unknown escapes stay as written."""
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    n = len(raw)
    while i < n:
        char = raw[i]
        if char != "\\" or i + 1 >= n:
            out.append(char)
            i += 1
            continue
        nxt = raw[i + 1]
        if nxt in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[nxt])
            i += 2
        elif nxt in "ux":
            width = 4 if nxt == "u" else 2
            digits = raw[i + 2 : i + 2 + width]
            if len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
                out.append(chr(int(digits, 16)))
                i += 2 + width
            else:
                out.append("\\" + nxt)
                i += 2
        else:
            out.append("\\" + nxt)
            i += 2
    return "".join(out)


def block_indent(raw: str) -> int:
    """Return the smallest indentation among the non-blank lines of a block string."""
    widths = [len(line) - len(line.lstrip(" \t")) for line in raw.split("\n") if line.strip()]
    return min(widths, default=0)


def trim_block(raw: str) -> str:
    """Drop the newline after the opening quotes and a trailing whitespace-only line."""
    if raw.startswith("\r\n"):
        raw = raw[2:]
    elif raw.startswith("\n"):
        raw = raw[1:]
    last_newline = raw.rfind("\n")
    if last_newline >= 0 and not raw[last_newline + 1 :].strip():
        raw = raw[:last_newline]
    elif last_newline < 0 and not raw.strip():
        raw = ""
    return raw


def dedent(raw: str, indent: int, *, at_line_start: bool = True) -> str:
    """Remove up to ``indent`` leading blanks from every line of ``raw``."""
    if indent == 0:
        return raw
    lines = raw.split("\n")
    out = []
    for index, line in enumerate(lines):
        if index == 0 and not at_line_start:
            out.append(line)
            continue
        strip = 0
        while strip < indent and strip < len(line) and line[strip] in " \t":
            strip += 1
        out.append(line[strip:])
    return "\n".join(out)


def block_string(raw: str) -> str:
    """Turn the raw text between ``\"\"\"`` delimiters into the string value."""
    text = trim_block(raw)
    return dedent(text, block_indent(text))


def find_interpolation_end(text: str, start: int, end: int) -> int:
    """Return the index of the ``}`` closing the ``${`` whose ``{`` is at ``start - 1``, or -1."""
    depth = 1
    i = start
    while i < end:
        char = text[i]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1
