"""The adjacency pass between the lexer and the LALR parser (spec §2.1, §2.2).

Hot's grammar depends on whitespace and on a little lookahead that an LALR(1)
parser cannot do by itself. This pass matches brackets (reporting unclosed
ones with the place they were opened) and rewrites token types:

==============  =============================================================
``_CALL_LP``    ``(`` touching a name, qualified name, ``)``, ``]`` or ``}``
``_IDX_LB``     ``[`` touching a name, qualified name, ``)`` or ``]``
``_LAMBDA_LP``  ``(`` of a parameter list (after ``fn``, or whose ``)`` is
                followed by ``{`` or ``: Type {``)
``_BODY_LB``    ``{`` opening a function or lambda body
``_MAP_LB``     ``{`` that starts a map literal by the rule of §2.1(4)
``_META``       ``meta`` followed by a literal
``_NS``         ``ns`` after a namespace path
``LABEL``       a name after ``=>`` that labels a branch body
``_CLAUSE_SEP`` ``,`` between two clauses of an overloaded ``fn``
``NAME``        a keyword used as a map key (``type:``) or after ``.``
==============  =============================================================
"""

from __future__ import annotations

from lark import Token

from hotlang.syntax.source import SourceText

FLOW_KEYWORDS = {"COND", "COND_ALL", "SERIAL", "PARALLEL", "MATCH", "MATCH_ALL"}
SOFT_KEYWORDS = FLOW_KEYWORDS | {"FN", "TYPE", "ENUM", "LAZY", "DO"}
CALLABLE_ENDS = {"NAME", "QREF", "_RP", "_RSQB", "_RB"}
INDEXABLE_ENDS = {"NAME", "QREF", "_RP", "_RSQB", "PCT"}
MAP_KEYS = {"NAME", "STRING", "TRUE", "FALSE", "NULL"} | SOFT_KEYWORDS
META_STARTS = {"_LB", "_LSQB", "STRING", "INT", "DEC", "TRUE", "FALSE", "NULL"}
TYPE_ATOMS = {"NAME", "QREF", "NSPATH", "STRING", "INT", "DEC", "TRUE", "FALSE", "NULL"}
CLOSERS = {"_LP": "_RP", "_LB": "_RB", "_LSQB": "_RSQB"}
SYMBOLS = {"_LP": "(", "_RP": ")", "_LB": "{", "_RB": "}", "_LSQB": "[", "_RSQB": "]"}
UNSUPPORTED: dict[str, str] = {}


def _start(token: Token) -> int:
    return token.start_pos or 0


def adjacent(left: Token, right: Token) -> bool:
    """True when no whitespace or comment separates two tokens."""
    return left.end_pos == right.start_pos


class Layout:
    """Rewrites one token list in place; see the module docstring for the rules."""

    def __init__(self, tokens: list[Token], source: SourceText) -> None:
        self.tokens = tokens
        self.source = source
        self.match = self._match_brackets()
        self.forced: dict[int, str] = {}

    def kind(self, index: int) -> str:
        """The (raw) type of the token at ``index``, or ``$END`` past the end."""
        return self.tokens[index].type if 0 <= index < len(self.tokens) else "$END"

    def value(self, index: int) -> str:
        return str(self.tokens[index]) if 0 <= index < len(self.tokens) else ""

    # -- brackets ---------------------------------------------------------------

    def _describe_opener(self, index: int) -> str:
        token = self.tokens[index]
        previous = self.tokens[index - 1] if index > 0 else None
        touching = previous is not None and adjacent(previous, token)
        if token.type == "_LP":
            return "the argument list" if touching and previous.type in CALLABLE_ENDS else "the parenthesis"  # type: ignore[union-attr]
        if token.type == "_LSQB":
            return "the index" if touching and previous.type in INDEXABLE_ENDS else "the vector"  # type: ignore[union-attr]
        return "the map" if self._is_map(index) else "the block"

    def _match_brackets(self) -> list[int]:
        match = [-1] * len(self.tokens)
        stack: list[int] = []
        for index, token in enumerate(self.tokens):
            if token.type in CLOSERS:
                stack.append(index)
            elif token.type in ("_RP", "_RB", "_RSQB"):
                if not stack:
                    raise self.source.error(f"unexpected `{token}`: there is no open bracket to close", _start(token))
                opener = stack.pop()
                expected = CLOSERS[self.tokens[opener].type]
                if token.type != expected:
                    raise self.source.error(
                        f"expected `{SYMBOLS[expected]}` to close {self._describe_opener(opener)} opened at "
                        f"{self.source.describe(_start(self.tokens[opener]))}, found `{token}`",
                        _start(token),
                    )
                match[opener] = index
                match[index] = opener
        if stack:
            opener = stack[-1]
            expected = CLOSERS[self.tokens[opener].type]
            raise self.source.error(
                f"expected `{SYMBOLS[expected]}` to close {self._describe_opener(opener)} opened at "
                f"{self.source.describe(_start(self.tokens[opener]))}, but the file ended",
                len(self.source.text.rstrip()),
            )
        return match

    # -- lookahead helpers ------------------------------------------------------

    def _is_map(self, index: int) -> bool:
        first, second = self.kind(index + 1), self.kind(index + 2)
        if first in ("_RB", "SPREAD"):
            return True
        if first in MAP_KEYS and second == "_COLON":
            return True
        return first == "NAME" and second == "_COMMA"

    def _skip_type(self, index: int) -> int:
        index = self._skip_type_option(index)
        while self.kind(index) == "_BAR":
            index = self._skip_type_option(index + 1)
        return index

    def _skip_type_option(self, index: int) -> int:
        if self.kind(index) not in TYPE_ATOMS:
            return index
        index += 1
        while self.kind(index) == "_DOT" and self.kind(index + 1) == "NAME":
            index += 2
        if self.kind(index) == "_LT":
            index = self._skip_type(index + 1)
            while self.kind(index) == "_COMMA":
                index = self._skip_type(index + 1)
            if self.kind(index) == "_GT":
                index += 1
        if self.kind(index) == "QMARK":
            index += 1
        return index

    def _body_after_params(self, open_index: int) -> int:
        """Index of the body ``{`` after the parameter list opened at ``open_index``, or -1."""
        after = self.match[open_index] + 1
        if self.kind(after) == "_COLON":
            after = self._skip_type(after + 1)
        return after if self.kind(after) == "_LB" else -1

    # -- the passes -------------------------------------------------------------

    def _mark_functions(self) -> None:
        """Mark parameter lists, bodies and clause separators of every ``fn``."""
        for index, token in enumerate(self.tokens):
            if token.type != "FN" or self.kind(index + 1) == "_COLON" or self.kind(index - 1) == "_DOT":
                continue
            start = index + 1
            while True:
                if self.kind(start) in FLOW_KEYWORDS:
                    start += 1
                if self.kind(start) != "_LP":
                    break
                self.forced[start] = "_LAMBDA_LP"
                body = self._body_after_params(start)
                if body < 0:
                    break
                self.forced[body] = "_BODY_LB"
                end = self.match[body]
                following = end + 2
                if self.kind(following) in FLOW_KEYWORDS:
                    following += 1
                if self.kind(end + 1) != "_COMMA" or self.kind(following) != "_LP":
                    break
                self.forced[end + 1] = "_CLAUSE_SEP"
                start = end + 2

    def rewrite(self) -> list[Token]:
        """Return the token list with every adjacency-dependent token retyped."""
        self._mark_functions()
        tokens = self.tokens
        for index, token in enumerate(tokens):
            kind = token.type
            forced = self.forced.get(index)
            if forced is not None:
                tokens[index] = Token.new_borrow_pos(forced, token, token)
                continue
            new_kind = self._classify(index, token, kind)
            if new_kind != kind:
                tokens[index] = Token.new_borrow_pos(new_kind, token, token)
        return tokens

    def _classify(self, index: int, token: Token, kind: str) -> str:
        previous = self.tokens[index - 1] if index > 0 else None
        if kind in SOFT_KEYWORDS and (self.kind(index + 1) == "_COLON" or self.kind(index - 1) == "_DOT"):
            return "NAME"
        if kind in UNSUPPORTED:
            raise self.source.error(f"{UNSUPPORTED[kind]} are not supported by this interpreter yet", _start(token))
        if kind == "_LP":
            if previous is not None and adjacent(previous, token) and previous.type in CALLABLE_ENDS:
                return "_CALL_LP"
            if previous is not None and adjacent(previous, token) and previous.type == "PCT" and str(previous) == "%":
                return "_PCT_LP"
            body = self._body_after_params(index)
            if body >= 0:
                self.forced[body] = "_BODY_LB"
                return "_LAMBDA_LP"
            return kind
        if kind == "_LSQB":
            if previous is not None and adjacent(previous, token) and previous.type in INDEXABLE_ENDS:
                return "_IDX_LB"
            return kind
        if kind == "TYPE":
            return self._classify_type(index, token)
        if kind == "_LB":
            previous_kind = self.kind(index - 1)
            if previous_kind in ("NAME", "OPEN") and self.value(index - 1) == "open":
                previous_kind = "OPEN_" + self.kind(index - 2)
            if previous_kind in ("TYPE", "OPEN_TYPE", "OPEN_TYPE_ALIAS"):
                return "_MAP_LB"
            if previous_kind in ("ENUM", "OPEN_ENUM"):
                return kind
            if previous_kind in FLOW_KEYWORDS:
                return kind
            return "_MAP_LB" if self._is_map(index) else kind
        if kind == "NAME":
            return self._classify_name(index, token)
        if kind == "NSPATH":
            self._mark_namespace_declaration(index)
        return kind

    def _classify_type(self, index: int, token: Token) -> str:
        """``T type Int`` / ``T type "a" | "b"``: an alias starts on the same line as ``type``."""
        following = index + 1
        if self.kind(following) == "NAME" and self.value(following) == "open":
            following += 1
        if following >= len(self.tokens) or self.tokens[following].line != token.line:
            return "TYPE"
        kind = self.kind(following)
        if kind == "NAME" and self.value(following) == "meta" and self.kind(following + 1) in META_STARTS:
            return "TYPE"
        if kind in TYPE_ATOMS or kind == "_BAR":
            return "TYPE_ALIAS"
        return "TYPE"

    def _classify_name(self, index: int, token: Token) -> str:
        word = self.value(index)
        if word in ("if", "else") and self.kind(index + 1) == "_LB" and self.kind(index - 1) != "_DOT":
            raise self.source.error(
                f"Hot has no `{word} {{…}}` blocks: write `if(test, then, else)` "
                "or `cond { test => value, => other }`",
                _start(token),
            )
        after_bar = self.kind(index - 1) == "_BAR" and adjacent(self.tokens[index - 1], token)
        if word in ("map", "vec", "one") and after_bar:
            raise self.source.error(
                f"the `|{word}` result modifier was removed: annotate the binding instead, "
                "as in `r: All<Map> cond-all {…}`",
                _start(self.tokens[index - 1]),
            )
        if self.value(index) == "open" and self.kind(index - 1) in ("TYPE", "TYPE_ALIAS", "ENUM"):
            return "OPEN"
        if self.value(index) == "meta" and self.kind(index + 1) in META_STARTS:
            following = index + 1
            if self.kind(following) == "_LB":
                self.forced[following] = "_MAP_LB"
            elif self.kind(following) == "_LSQB":
                self.forced[following] = "_LSQB"
            return "_META"
        if self.kind(index - 1) == "_ARROW" and (
            self.kind(index + 1) == "_LB" or self.kind(index + 1) in FLOW_KEYWORDS
        ):
            return "LABEL"
        return "NAME"

    def _mark_namespace_declaration(self, index: int) -> None:
        following = index + 1
        if self.value(following) == "meta" and self.kind(following + 1) in META_STARTS:
            literal = following + 1
            following = self.match[literal] + 1 if self.kind(literal) in ("_LB", "_LSQB") else literal + 1
        if self.kind(following) == "NAME" and self.value(following) == "ns":
            self.forced[following] = "_NS"


def layout(tokens: list[Token], source: SourceText) -> list[Token]:
    """Match brackets and retype adjacency-dependent tokens (see module docstring)."""
    return Layout(tokens, source).rewrite()
