"""Regular expressions compiled on first use: a module-level `re.compile` costs start-up even when unused.

The modules every command imports hold about twenty patterns; compiling them took ~9.5M
instructions (~2.5 ms) of each start-up, mostly for patterns only an error or a rare input uses.
`re` itself (with `enum`, ~25 M instructions) is imported on the first compile too: rollback and
`run` use none. Flags go inline in the pattern (`(?m)`), so defining one needs no `re`.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from collections.abc import Callable, Iterator


class Lazy:
    """`re.compile(pattern, flags)`, compiled the first time one of its methods is called."""

    __slots__ = ("_compiled", "_flags", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern."""
        if self._compiled is None:
            import re

            self._compiled = re.compile(self.pattern, self._flags)
        return self._compiled

    def match(self, string: str) -> re.Match[str] | None:
        return self.compiled().match(string)

    def search(self, string: str) -> re.Match[str] | None:
        return self.compiled().search(string)

    def fullmatch(self, string: str) -> re.Match[str] | None:
        return self.compiled().fullmatch(string)

    def findall(self, string: str) -> list[str]:
        return self.compiled().findall(string)

    def finditer(self, string: str) -> Iterator[re.Match[str]]:
        return self.compiled().finditer(string)

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        return self.compiled().sub(repl, string, count)
