"""The Hot parser front: source text → :class:`hotlang.syntax.nodes.Module`.

Pipeline: :mod:`hotlang.syntax.lexer` → :mod:`hotlang.syntax.layout` → lark LALR(1) with the
grammar in ``grammar.lark`` → :mod:`hotlang.syntax.builder` (which folds bindings).
Every failure becomes a :class:`~hotlang.errors.HotSyntaxError`; no lark
exception escapes. Parsed modules are cached by the hash of their text.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.lexer import Lexer

from hotlang.errors import HotSyntaxError
from hotlang.syntax import nodes
from hotlang.syntax.builder import AstBuilder
from hotlang.syntax.layout import layout
from hotlang.syntax.lexer import Lexer as HotLexer
from hotlang.syntax.messages import describe_expected, describe_token
from hotlang.syntax.placeholders import lower_module
from hotlang.syntax.source import SourceText


class _PreparedTokens(Lexer):
    """A lark lexer that replays the token list produced by the Hot lexer and layout pass."""

    def __init__(self, lexer_conf: Any) -> None:
        pass

    def lex(self, data: Any) -> Iterator[Token]:  # type: ignore[override]
        yield from data


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = resources.files("hotlang.syntax").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer=_PreparedTokens,
        start=["start", "expr"],
        propagate_positions=True,
        maybe_placeholders=False,
    )


class _Parse:
    """One parse of one file: keeps the source and template table for nested parses."""

    def __init__(self, source: SourceText) -> None:
        self.source = source
        self.lexer = HotLexer(source)

    def module(self) -> nodes.Module:
        tokens = self.lexer.tokenize()
        result = self.parse_tokens(tokens, "start")
        assert isinstance(result, nodes.Module)
        return result

    def parse_tokens(self, tokens: list[Token], start: str) -> Any:
        tokens = layout(tokens, self.source)
        end_offset = (tokens[-1].end_pos or 0) if tokens else 0
        try:
            tree: Tree[Token] = _lark().parse(tokens, start=start)  # type: ignore[arg-type]
        except UnexpectedToken as error:
            raise self._unexpected(error.token, set(error.expected), end_offset, start) from None
        except UnexpectedCharacters as error:  # pragma: no cover - our lexer runs first
            raise self.source.error("unexpected character", error.pos_in_stream or 0) from None
        except UnexpectedInput as error:
            raise self.source.error("unexpected input", getattr(error, "pos_in_stream", 0) or 0) from None
        builder = AstBuilder(self.source, self.lexer.templates, self.parse_tokens)
        try:
            return builder.transform(tree)
        except VisitError as error:
            if isinstance(error.orig_exc, HotSyntaxError):
                raise error.orig_exc from None
            raise

    def _unexpected(self, token: Token, expected: set[str], end_offset: int, start: str) -> HotSyntaxError:
        if token.type == "$END":
            where = "the end of the file" if start == "start" else "the end of the interpolation"
            offset = len(self.source.text) if start == "start" else end_offset
            return self.source.error(f"unexpected {where}; expected {describe_expected(expected)}", offset)
        message = f"unexpected {describe_token(token)}; expected {describe_expected(expected)}"
        return self.source.error(message, token.start_pos or 0)


_cache: dict[str, nodes.Module] = {}
_cache_lock = threading.Lock()
_CACHE_LIMIT = 512


def parse_module(text: str, file: str = "<input>") -> nodes.Module:
    """Parse one Hot file; raise :class:`HotSyntaxError` if it is not valid Hot."""
    key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    cached = _cache.get(key)
    if cached is not None:
        return cached
    try:
        module = _Parse(SourceText(file, text)).module()
        if "%" in text:
            module = lower_module(module)
    except HotSyntaxError:
        raise
    except (LarkError, RecursionError) as error:
        source = SourceText(file, text)
        raise source.error(f"could not parse this file ({type(error).__name__})", 0) from None
    with _cache_lock:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[key] = module
    return module
