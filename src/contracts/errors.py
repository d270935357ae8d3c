"""Tool-failure exceptions: the toolkit could not do its job (not: the API broke its contract)."""

from __future__ import annotations

__all__ = [
    "ContractsError",
    "InputError",
    "OperationNotFound",
    "RemoteRefRefused",
    "SpecError",
    "SpecNotFound",
    "UnresolvableRef",
    "UsageError",
]


class ContractsError(Exception):
    """Base of every error that means the tool could not do its job.

    ``str()`` is a single line: what went wrong, where, and (when known) a hint.
    """

    def __init__(self, message: str, *, source: str | None = None, hint: str | None = None):
        self.message = message
        self.source = source
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{hint}"


class UsageError(ContractsError):
    """The caller asked for something that does not make sense (bad option, unknown name)."""


class InputError(ContractsError):
    """An input file or body could not be read: not UTF-8, not YAML/JSON, too large, too deep.

    ``source``, ``line`` and ``pointer`` stay separate fields (a report or a caller can place
    them); only ``str()`` joins them into ``source:line: message at pointer (hint)``.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        pointer: str | None = None,
        hint: str | None = None,
    ):
        self.line = line
        self.pointer = pointer
        super().__init__(message, source=source, hint=hint)

    @property
    def detail(self) -> str:
        """The message with its pointer but without the source, to quote inside another line."""
        return f"{self.message} at {self.pointer}" if self.pointer else self.message

    def __str__(self) -> str:
        where = self.source or ""
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        where = f"{where}: " if where else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.detail}{hint}"


class SpecError(InputError):
    """The document is readable but is not an OpenAPI 3.1 document we can use."""


class SpecNotFound(ContractsError):
    """No bundled spec by that name and no file at that path."""

    def __init__(self, name: str, *, known: list[str] | tuple[str, ...] = (),
                 suggestions: list[str] | tuple[str, ...] = ()):
        self.name = name
        self.known = tuple(known)
        self.suggestions = tuple(suggestions)
        parts = [f"did you mean {' or '.join(map(repr, suggestions))}?"] if suggestions else []
        parts += [f"bundled specs: {', '.join(known)}"] if known else []
        super().__init__(f"no spec named or found at {name!r}", hint=" ".join(parts) or None)


class OperationNotFound(ContractsError):
    """No operation matches the given operationId, or method and URL."""

    def __init__(self, wanted: str, *, api: str, suggestions: list[str] | tuple[str, ...] = ()):
        self.wanted = wanted
        self.api = api
        self.suggestions = tuple(suggestions)
        hint = f"did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else None
        super().__init__(f"{api}: no operation matches {wanted}", hint=hint)


class UnresolvableRef(SpecError):
    """A ``$ref`` points at nothing, loops on itself, or leaves the spec's folder."""

    def __init__(self, ref: str, *, source: str | None = None, pointer: str | None = None,
                 reason: str = "cannot be resolved", line: int | None = None):
        self.ref = ref
        self.reason = reason
        super().__init__(f"$ref {ref!r} {reason}", source=source, pointer=pointer, line=line)


class RemoteRefRefused(UnresolvableRef):
    """A ``$ref`` points at the network and no retriever was given to allow it."""

    def __init__(self, ref: str, *, source: str | None = None, pointer: str | None = None,
                 line: int | None = None):
        super().__init__(
            ref,
            source=source,
            pointer=pointer,
            line=line,
            reason="is remote and remote references are refused (pass a retriever to allow them)",
        )


class UncompilableSchema(SpecError):
    """A Schema Object the validation engine cannot compile (a bad regex, a wrong keyword
    value): the schema is at fault, not a reference. ``reason`` is the engine's."""

    def __init__(self, ref: str, *, reason: str, source: str | None = None,
                 pointer: str | None = None, line: int | None = None):
        self.ref = ref
        self.reason = reason
        super().__init__(f"schema {ref!r} cannot be compiled: {reason}", source=source,
                         pointer=pointer, line=line)
