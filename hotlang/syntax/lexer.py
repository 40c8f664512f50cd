"""The Hot lexer: source text → a list of lark ``Token``s (spec §1).

Whitespace and comments are dropped here; adjacency is still recoverable from
the tokens' ``start_pos``/``end_pos``, which :mod:`hotlang.syntax.layout` uses to
rewrite adjacency-dependent tokens before the LALR parser sees them.
Template strings are split into parts here, and the text of each ``${…}`` is
lexed in place (positions stay those of the file) and kept in
:attr:`Lexer.templates`, keyed by the template token's ``start_pos``.
"""

from __future__ import annotations

from lark import Token

from hotlang.syntax.source import SourceText
from hotlang.syntax.strings import block_indent, block_string, dedent, find_interpolation_end, trim_block, unescape

KEYWORDS = {
    "fn": "FN",
    "cond": "COND",
    "cond-all": "COND_ALL",
    "serial": "SERIAL",
    "parallel": "PARALLEL",
    "type": "TYPE",
    "enum": "ENUM",
    "lazy": "LAZY",
    "do": "DO",
    "match": "MATCH",
    "match-all": "MATCH_ALL",
    "true": "TRUE",
    "false": "FALSE",
    "null": "NULL",
}

PUNCTUATION = [
    ("...", "SPREAD"),
    ("=>", "_ARROW"),
    ("->", "_TARROW"),
    ("|>", "_PIPE"),
    ("(", "_LP"),
    (")", "_RP"),
    ("{", "_LB"),
    ("}", "_RB"),
    ("[", "_LSQB"),
    ("]", "_RSQB"),
    (".", "_DOT"),
    (":", "_COLON"),
    (",", "_COMMA"),
    ("|", "_BAR"),
    ("?", "QMARK"),
    ("!", "BANG"),
    ("<", "_LT"),
    (">", "_GT"),
]

ILLEGAL = {
    ";": "`;` is not used in Hot: items need no separator",
    "#": "`#` does not start a comment in Hot: use `//`",
    "=": "Hot has no `=`: bind a value by writing the name next to it, as in `total 10`",
    "-": "`-` is not an operator in Hot: use `sub(a, b)`, or write a negative number as `-1`",
    "/": "`/` is not an operator in Hot: use `div(a, b)`",
    "+": "`+` is not an operator in Hot: use `add(a, b)`",
    "*": "`*` is not an operator in Hot: use `mul(a, b)`",
    "&": "`&` is not an operator in Hot: use `and(a, b)`",
}

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1

TemplatePart = str | list[Token]


def _is_digit(char: str) -> bool:
    return "0" <= char <= "9"


def _is_name_start(char: str) -> bool:
    return char.isalpha() or char in "_$"


def _is_name_char(char: str) -> bool:
    return char.isalnum() or char in "_$-"


class Lexer:
    """Scans a :class:`SourceText` (or a region of it) into tokens."""

    def __init__(self, source: SourceText) -> None:
        self.source = source
        self.text = source.text
        self.templates: dict[int, list[TemplatePart]] = {}

    def tokenize(self) -> list[Token]:
        """Return the tokens of the whole file."""
        return self.scan(0, len(self.text))

    # -- scanning -------------------------------------------------------------

    def scan(self, start: int, end: int) -> list[Token]:
        """Return the tokens of ``text[start:end]``; positions are absolute."""
        text = self.text
        tokens: list[Token] = []
        i = start
        while i < end:
            char = text[i]
            if char in " \t\r\n\ufeff":
                i += 1
            elif text.startswith("//", i):
                newline = text.find("\n", i, end)
                i = end if newline < 0 else newline
            elif text.startswith("/*", i):
                close = text.find("*/", i + 2, end)
                if close < 0:
                    raise self.source.error("this block comment is never closed with `*/`", i)
                i = close + 2
            elif _is_name_start(char):
                i = self._name(i, end, tokens)
            elif _is_digit(char) or (char == "-" and i + 1 < end and _is_digit(text[i + 1])):
                i = self._number(i, end, tokens)
            elif text.startswith("::", i):
                i = self._path(i, end, tokens)
            elif text.startswith('"""', i):
                i = self._block_string(i, end, tokens)
            elif char == '"':
                i = self._string(i, end, tokens)
            elif text.startswith("```", i):
                i = self._template(i, end, tokens, block=True)
            elif char == "`":
                i = self._template(i, end, tokens, block=False)
            elif char == "%":
                i = self._placeholder(i, end, tokens)
            else:
                i = self._punctuation(i, end, tokens)
        return tokens

    def _token(self, kind: str, value: str, start: int, end: int) -> Token:
        line, column = self.source.position(start)
        end_line, end_column = self.source.position(end)
        return Token(kind, value, start, line, column, end_line, end_column, end)

    def _name(self, i: int, end: int, tokens: list[Token]) -> int:
        text = self.text
        j = i + 1
        while j < end and _is_name_char(text[j]):
            j += 1
        while j > i + 1 and text[j - 1] == "-":  # `a->b` and a trailing dash are not part of a name
            j -= 1
        word = text[i:j]
        kind = "UNDERSCORE" if word == "_" else KEYWORDS.get(word, "NAME")
        tokens.append(self._token(kind, word, i, j))
        return j

    def _number(self, i: int, end: int, tokens: list[Token]) -> int:
        text = self.text
        j = i + 1
        while j < end and _is_digit(text[j]):
            j += 1
        kind = "INT"
        if j < end and text[j] == "." and not text.startswith("...", j):
            kind = "DEC"
            j += 1
            while j < end and _is_digit(text[j]):
                j += 1
        if j < end and _is_name_start(text[j]):
            raise self.source.error(f"`{text[i : j + 1]}` is not a number: names cannot start with a digit", i)
        literal = text[i:j]
        if kind == "INT" and (len(literal.lstrip("0")) > 19 or not INT_MIN <= int(literal) <= INT_MAX):
            raise self.source.error(
                f"the integer {literal} does not fit in 64 bits: write it as a Dec (`{literal}.0`)", i
            )
        tokens.append(self._token(kind, literal, i, j))
        return j

    def _path(self, i: int, end: int, tokens: list[Token]) -> int:
        text = self.text
        j = i
        while text.startswith("::", j):
            k = j + 2
            if k >= end or not _is_name_start(text[k]):
                raise self.source.error("expected a namespace segment after `::`", k)
            while k < end and _is_name_char(text[k]):
                k += 1
            j = k
        kind = "NSPATH"
        if j < end and text[j] == "/":
            k = j + 1
            if k >= end or not _is_name_start(text[k]):
                raise self.source.error("expected a name after `/` in a qualified name", k)
            while k < end and _is_name_char(text[k]):
                k += 1
            j = k
            kind = "QREF"
        tokens.append(self._token(kind, text[i:j], i, j))
        return j

    def _string(self, i: int, end: int, tokens: list[Token]) -> int:
        text = self.text
        j = i + 1
        while j < end and text[j] != '"':
            if text[j] == "\\":
                j += 1
            elif text[j] == "\n":
                break
            j += 1
        if j >= end or text[j] != '"':
            raise self.source.error('this string is never closed: add a `"` before the end of the line', i)
        tokens.append(self._token("STRING", unescape(text[i + 1 : j]), i, j + 1))
        return j + 1

    def _block_string(self, i: int, end: int, tokens: list[Token]) -> int:
        close = self.text.find('"""', i + 3, end)
        if close < 0:
            raise self.source.error('this block string is never closed with `"""`', i)
        tokens.append(self._token("STRING", block_string(self.text[i + 3 : close]), i, close + 3))
        return close + 3

    def _template(self, i: int, end: int, tokens: list[Token], *, block: bool) -> int:
        text = self.text
        quote = 3 if block else 1
        content_start = i + quote
        if block:
            close = text.find("```", content_start, end)
        else:
            close = content_start
            while close < end and text[close] != "`":
                close += 2 if text[close] == "\\" else 1
        if close < 0 or close >= end:
            raise self.source.error("this template string is never closed with a backtick", i)
        self.templates[i] = self._template_parts(content_start, close, block=block)
        tokens.append(self._token("TEMPLATE", text[i : close + quote], i, close + quote))
        return close + quote

    def _template_parts(self, start: int, end: int, *, block: bool) -> list[TemplatePart]:
        text = self.text
        raw_parts: list[str | tuple[int, int]] = []
        literal_start = i = start
        while i < end:
            if text.startswith("${", i):
                close = find_interpolation_end(text, i + 2, end)
                if close < 0:
                    raise self.source.error("this `${` is never closed with `}`", i)
                raw_parts.append(text[literal_start:i])
                raw_parts.append((i + 2, close))
                i = literal_start = close + 1
            else:
                i += 1
        raw_parts.append(text[literal_start:end])
        indent = block_indent(trim_block(text[start:end])) if block else 0
        parts: list[TemplatePart] = []
        last = len(raw_parts) - 1
        for index, part in enumerate(raw_parts):
            if isinstance(part, tuple):
                inner = self.scan(part[0], part[1])
                if not inner:
                    raise self.source.error("`${}` needs an expression inside", part[0] - 2)
                parts.append(inner)
                continue
            if block:
                if index == 0:
                    part = part[1:] if part.startswith("\n") else part
                if index == last:
                    newline = part.rfind("\n")
                    if newline >= 0 and not part[newline + 1 :].strip():
                        part = part[:newline]
                part = dedent(part, indent, at_line_start=index == 0)
            else:
                part = unescape(part)
            if part:
                parts.append(part)
        return parts

    def _placeholder(self, i: int, end: int, tokens: list[Token]) -> int:
        j = i + 1
        while j < end and _is_digit(self.text[j]):
            j += 1
        if self.text[i + 1 : j] == "0":
            raise self.source.error("placeholders count from `%1`; `%0` does not exist", i)
        tokens.append(self._token("PCT", self.text[i:j], i, j))
        return j

    def _punctuation(self, i: int, end: int, tokens: list[Token]) -> int:
        text = self.text
        if text.startswith("??", i):
            raise self.source.error("`??` is not an operator in Hot: use `or(value, default)`", i)
        for symbol, kind in PUNCTUATION:
            if text.startswith(symbol, i):
                tokens.append(self._token(kind, symbol, i, i + len(symbol)))
                return i + len(symbol)
        char = text[i]
        message = ILLEGAL.get(char, f"unexpected character `{char}`")
        raise self.source.error(message, i)
