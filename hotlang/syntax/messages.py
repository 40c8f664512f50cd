"""Human wording for tokens and expected-token sets in syntax error messages."""

from __future__ import annotations

from lark import Token

_SYMBOLS = {
    "_LP": "`(`",
    "_CALL_LP": "`(`",
    "_LAMBDA_LP": "`(`",
    "_RP": "`)`",
    "_LB": "`{`",
    "_MAP_LB": "`{`",
    "_BODY_LB": "`{`",
    "_RB": "`}`",
    "_LSQB": "`[`",
    "_IDX_LB": "`[`",
    "_RSQB": "`]`",
    "_DOT": "`.`",
    "_COLON": "`:`",
    "_COMMA": "`,`",
    "_CLAUSE_SEP": "`,`",
    "_ARROW": "`=>`",
    "_PIPE": "`|>`",
    "_BAR": "`|`",
    "QMARK": "`?`",
    "_LT": "`<`",
    "_GT": "`>`",
    "SPREAD": "`...`",
    "_META": "`meta`",
    "_NS": "`ns`",
    "FN": "`fn`",
    "COND": "`cond`",
    "COND_ALL": "`cond-all`",
    "SERIAL": "`serial`",
    "LAZY": "`lazy`",
    "DO": "`do`",
    "UNDERSCORE": "`_`",
    "NAME": "a name",
    "LABEL": "a label",
    "QREF": "a qualified name",
    "NSPATH": "a namespace path",
    "INT": "a number",
    "DEC": "a number",
    "STRING": "a string",
    "TEMPLATE": "a template string",
    "TRUE": "`true`",
    "FALSE": "`false`",
    "NULL": "`null`",
}

_EXPRESSION_STARTS = {"NAME", "INT", "STRING", "_LSQB"}
_CLOSERS = ("_RB", "_RP", "_RSQB")


def describe_token(token: Token) -> str:
    """Describe a token the way a person would point at it: ``the name `x```, `` `)` ``."""
    kind = token.type
    if kind in ("NAME", "LABEL"):
        return f"the name `{token}`"
    if kind in ("INT", "DEC"):
        return f"the number `{token}`"
    if kind in ("STRING", "TEMPLATE"):
        return "a string"
    if kind in ("QREF", "NSPATH"):
        return f"`{token}`"
    return _SYMBOLS.get(kind, f"`{token}`")


def describe_expected(expected: set[str]) -> str:
    """Summarise what the parser would have accepted, most useful first."""
    words: list[str] = []
    if expected >= _EXPRESSION_STARTS:
        words.append("an expression")
        expected = {kind for kind in expected if kind in _CLOSERS or kind in ("_ARROW", "_COMMA", "_COLON")}
    for closer in _CLOSERS:
        if closer in expected:
            words.append(_SYMBOLS[closer])
            expected.discard(closer)
    for kind in sorted(expected):
        word = _SYMBOLS.get(kind, kind.lower())
        if word not in words:
            words.append(word)
    if not words:
        return "something else"
    if len(words) > 5:
        words = words[:5]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]
