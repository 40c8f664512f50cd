"""Source text with fast offset → (line, column) conversion, for tokens and errors."""

from __future__ import annotations

from bisect import bisect_right

from hotlang.errors import HotSyntaxError


class SourceText:
    """One Hot source file: its name, its text and where each line starts."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text
        starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                starts.append(index + 1)
        self._line_starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        """Return the 1-based (line, column) of a character offset."""
        line_index = bisect_right(self._line_starts, offset) - 1
        return line_index + 1, offset - self._line_starts[line_index] + 1

    def offset(self, line: int, column: int) -> int:
        """Return the character offset of a 1-based (line, column)."""
        if 1 <= line <= len(self._line_starts):
            return self._line_starts[line - 1] + column - 1
        return 0

    def line_text(self, line: int) -> str:
        """Return the text of a 1-based line, without its newline."""
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]

    def error(self, message: str, offset: int) -> HotSyntaxError:
        """Build a :class:`HotSyntaxError` pointing at a character offset."""
        line, column = self.position(min(offset, len(self.text)))
        return HotSyntaxError(message, file=self.file, line=line, column=column, source_line=self.line_text(line))

    def describe(self, offset: int) -> str:
        """Return ``line:column`` of an offset, for use inside error sentences."""
        line, column = self.position(offset)
        return f"{line}:{column}"
