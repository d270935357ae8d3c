"""Up-front checks that a loaded document is an OpenAPI 3.0/3.1 spec whose walked objects are
objects (before any operation is indexed)."""

from __future__ import annotations

import re

from ._loading import Document
from ._pointers import escape_pointer
from .errors import SpecError

__all__ = ["HTTP_METHODS", "check_openapi", "check_shape"]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def check_openapi(document: Document) -> None:
    """An OpenAPI 3.0 or 3.1 document, else SpecError naming what it is."""
    data = document.data
    if not isinstance(data, dict):
        raise SpecError("not an OpenAPI document (the top level is not a mapping)",
                        source=document.source)
    if "swagger" in data:
        raise SpecError(f"Swagger {str(data.get('swagger'))[:20]} is not supported; convert it to "
                        "OpenAPI 3 first, e.g. `npx swagger2openapi spec.yaml -o openapi.yaml` "
                        "(no maintained Python converter exists)", source=document.source,
                        line=document.line_of("/swagger"))
    version = data.get("openapi")
    if version is None:
        raise SpecError("not an OpenAPI document (no 'openapi' field)", source=document.source)
    if not isinstance(version, str) or not re.fullmatch(r"3\.\d+\.\d+.*", version):
        shown = repr(version) if len(repr(version)) <= 40 else f"{repr(version)[:40]}..."
        raise SpecError(f"unknown OpenAPI version {shown}", source=document.source,
                        line=document.line_of("/openapi"))
    if not version.startswith(("3.0.", "3.1.")):
        raise SpecError(f"OpenAPI {version} is not supported; 3.0 and 3.1 are",
                        source=document.source, line=document.line_of("/openapi"))


def check_shape(document: Document) -> None:
    """The objects we walk must be objects: a list of paths would quietly mean no operations."""
    data = document.data

    def fail(pointer: str, what: str) -> SpecError:
        return SpecError(f"{what} must be a mapping", source=document.source,
                         line=document.line_of(pointer), pointer=pointer)

    for key in ("info", "paths", "components", "webhooks"):
        if key in data and not isinstance(data[key], dict):
            raise fail(f"/{key}", f"'{key}'")
    for template, item in (data.get("paths") or {}).items():
        where = f"/paths/{escape_pointer(str(template))}"
        if not isinstance(item, dict):
            raise fail(where, "a path item")
        for method in HTTP_METHODS:
            if method in item and not isinstance(item[method], dict):
                raise fail(f"{where}/{method}", "an operation")
