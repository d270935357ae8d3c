"""Classification: each difference between two normalised specs becomes graded changes.

A difference's key path picks its rule from tables (operation part -> rule, parameter part
-> rule, ...), as jsonschema picks a keyword's function; schema keywords are graded in
:mod:`.schemas`, and removals and additions that pair up into renames in :mod:`.presence`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .._pointers import escape_pointer
from ..findings import DriftChange
from .adapter import Node
from .context import Context, Rule, Where, change
from .presence import pending_changes
from .schemas import is_webhook, schema_changes
from .text import describe, flag

__all__ = ["classify", "moved_operations"]


def moved_operations(ctx: Context) -> list[DriftChange]:
    """Operations that kept their operationId but moved: from now on they are compared under
    their old key (the new tree is changed in place, before deepdiff sees it)."""
    old_ops, new_ops = ctx.old["operations"], ctx.new["operations"]
    gone = {ctx.old_ops[k].operation_id: k for k in sorted(old_ops)
            if k not in new_ops and ctx.old_ops[k].operation_id}
    moved = []
    for key in sorted(new_ops):
        info = ctx.new_ops[key]
        if key in old_ops or info.operation_id not in gone:
            continue
        old_key = gone.pop(info.operation_id)
        old_info = ctx.old_ops[old_key]
        new_ops[old_key] = new_ops.pop(key)
        ctx.new_ops[old_key] = ctx.new_ops.pop(key)
        moved.append(change(
            "operation.path.changed", ctx.where(old_key, "operation"), "",
            f"{old_info.method} {old_info.path}", f"{info.method} {info.path}",
            f"{info.label} moved from {old_info.method} {old_info.path} to "
            f"{info.method} {info.path}"))
    return moved


def classify(ctx: Context, nodes: Iterable[Node]) -> Iterator[DriftChange]:
    """The changes the differences ``nodes`` (sorted by path) add up to."""
    for node in nodes:
        yield from _rule_of(node.path)(ctx, node)
    yield from pending_changes(ctx)


def _rule_of(path: tuple[str, ...]) -> Rule:
    if path[0] == "servers":
        return _server
    if len(path) == 2:
        return _operation
    return _OPERATION_PARTS.get(path[2], _nothing)


def _nothing(ctx: Context, node: Node) -> Iterator[DriftChange]:
    yield from ()


def _sub_rule(table: dict[str, Rule], path: tuple[str, ...], depth: int) -> Rule:
    """The rule for the key at ``depth`` of ``path``; nothing when there is none."""
    return table.get(path[depth], _nothing) if len(path) > depth else _nothing


# -- servers and operations -------------------------------------------------------------------
def _server(ctx: Context, node: Node) -> Iterator[DriftChange]:
    where = Where("", "servers", ctx.new_source, None)
    url = node.path[1] if len(node.path) > 1 else ""
    if node.kind == "added":
        yield change("server.added", where, url, "", url, f"new server {url}")
    elif node.kind == "removed":
        yield change("server.removed", where, url, url, "",
                     f"server {url} is no longer documented")


def _operation(ctx: Context, node: Node) -> Iterator[DriftChange]:
    key = node.path[1]
    hook = is_webhook(node.path)
    what = "webhook" if hook else "operation"
    info = ctx.new_ops[key] if node.kind == "added" else ctx.old_ops[key]
    text = f"{info.path} ({info.method})" if hook else f"{info.method} {info.path}"
    if node.kind == "added":
        yield change(f"{what}.added", ctx.where(key, "operation"), "", "", text,
                     f"new {what} {text}")
    else:
        yield change(f"{what}.removed", ctx.where(key, "operation", old_side=True), "",
                     text, "", f"{what} {text} was removed")


def _operation_id(ctx: Context, node: Node) -> Iterator[DriftChange]:
    yield change("operation.id.changed", ctx.where(node.path[1], "operation"), "",
                 str(node.old or ""), str(node.new or ""),
                 f"operationId changed from {node.old or '(none)'} to {node.new or '(none)'}")


def _operation_deprecated(ctx: Context, node: Node) -> Iterator[DriftChange]:
    if node.new is True:
        yield change("operation.deprecated", ctx.where(node.path[1], "operation"), "", "",
                     "deprecated", "the operation is now deprecated")


# -- parameters -------------------------------------------------------------------------------
def _parameters(ctx: Context, node: Node) -> Iterator[DriftChange]:
    path = node.path
    if len(path) == 4:  # a whole parameter: paired with the others at the end
        found = ctx.params.setdefault(path[1], {"removed": {}, "added": {}})
        found[node.kind][path[3]] = node.old if node.kind == "removed" else node.new
        return
    yield from _sub_rule(_PARAMETER_PARTS, path, 4)(ctx, node)


def _parameter(ctx: Context, node: Node) -> tuple[str, str, Where, str]:
    """(place, name, where, pointer) of the parameter ``node`` lies in."""
    op_key, key = node.path[1], node.path[3]
    place = key.split(":", 1)[0]
    name = ctx.param_name(op_key, key)
    return place, name, ctx.where(op_key, f"request.{place}"), f"/{escape_pointer(name)}"


def _parameter_required(ctx: Context, node: Node) -> Iterator[DriftChange]:
    place, name, where, pointer = _parameter(ctx, node)
    rule = ("request.parameter.required.added" if node.new
            else "request.parameter.required.removed")
    yield change(rule, where, pointer, flag(node.old, "required"), flag(node.new, "required"),
                 f"{place} parameter {name} is now {'required' if node.new else 'optional'}")


def _parameter_deprecated(ctx: Context, node: Node) -> Iterator[DriftChange]:
    place, name, where, pointer = _parameter(ctx, node)
    if node.new is True:
        yield change("request.parameter.deprecated", where, pointer, "", "deprecated",
                     f"{place} parameter {name} is deprecated")


def _parameter_style(ctx: Context, node: Node) -> Iterator[DriftChange]:
    place, name, where, pointer = _parameter(ctx, node)
    yield change("request.parameter.style.changed", where, pointer, str(node.old),
                 str(node.new), f"{place} parameter {name} is serialised differently")


def _parameter_schema(ctx: Context, node: Node) -> Iterator[DriftChange]:
    _place, _name, where, pointer = _parameter(ctx, node)
    yield from schema_changes(ctx, node, node.path[5:], "request", where, pointer,
                              node.path[:5])


# -- security ---------------------------------------------------------------------------------
def _security(ctx: Context, node: Node) -> Iterator[DriftChange]:
    path = node.path
    if len(path) == 4:  # a whole alternative: paired with the others at the end
        found = ctx.security.setdefault(path[1], {"removed": [], "added": []})
        found[node.kind].append(path[3])
        return
    if len(path) != 6 or node.kind == "changed":
        return
    op_key, alternative, scheme, scope = path[1], path[3], path[4], path[5]
    where = ctx.where(op_key, "security")
    if node.kind == "added":
        yield change("security.scopes.added", where, scheme, "", scope,
                     f"{alternative} now needs scope {scope}")
    else:
        yield change("security.scopes.removed", where, scheme, scope, "",
                     f"{alternative} no longer needs scope {scope}")


# -- request body -----------------------------------------------------------------------------
def _request_body(ctx: Context, node: Node) -> Iterator[DriftChange]:
    if len(node.path) > 3:
        yield from _sub_rule(_BODY_PARTS, node.path, 3)(ctx, node)
        return
    where = ctx.where(node.path[1], "request.body")
    body = node.new if node.kind == "added" else node.old
    media = ", ".join(sorted(body["content"])) or "no media type"
    if node.kind == "added":
        required = body["required"]
        yield change("request.body.added.required" if required else "request.body.added",
                     where, "", "", media,
                     f"the operation now {'requires' if required else 'accepts'} a body")
    else:
        yield change("request.body.removed", where, "", media, "",
                     "the operation no longer documents a request body")


def _request_body_required(ctx: Context, node: Node) -> Iterator[DriftChange]:
    rule = "request.body.required.added" if node.new else "request.body.required.removed"
    yield change(rule, ctx.where(node.path[1], "request.body"), "", flag(node.old, "required"),
                 flag(node.new, "required"),
                 f"the request body is now {'required' if node.new else 'optional'}")


def _request_content(ctx: Context, node: Node) -> Iterator[DriftChange]:
    path, op_key = node.path, node.path[1]
    if len(path) == 5:
        side = "response" if is_webhook(path) else "request"
        yield from _content_type(node, side, ctx.where(op_key, "request.content_type"))
    else:
        yield from schema_changes(ctx, node, path[5:], "request",
                                  ctx.where(op_key, "request.body"), "", path[:5])


def _content_type(node: Node, side: str, where: Where) -> Iterator[DriftChange]:
    media = node.path[-1]
    if node.kind == "added":
        yield change(f"{side}.content_type.added", where, media, "", media,
                     f"the {side} body may now be {media}")
    else:
        yield change(f"{side}.content_type.removed", where, media, media, "",
                     f"the {side} body is no longer {media}")


# -- responses --------------------------------------------------------------------------------
def _response(ctx: Context, node: Node) -> Iterator[DriftChange]:
    path, op_key, status = node.path, node.path[1], node.path[3]
    if len(path) > 4:
        yield from _sub_rule(_RESPONSE_PARTS, path, 4)(ctx, node)
        return
    kind = "success" if status[:1] in ("1", "2", "3") else "error"
    where = ctx.where(op_key, f"response.{status}")
    if node.kind == "added":
        yield change(f"response.status.{kind}.added", where, "", "", status,
                     f"new {kind} status {status}")
    else:
        yield change(f"response.status.{kind}.removed", where, "", status, "",
                     f"{kind} status {status} is no longer documented")


def _response_content(ctx: Context, node: Node) -> Iterator[DriftChange]:
    path, op_key, status = node.path, node.path[1], node.path[3]
    if len(path) == 6:
        yield from _content_type(node, "request" if is_webhook(path) else "response",
                                 ctx.where(op_key, f"response.{status}.content_type"))
    else:
        yield from schema_changes(ctx, node, path[6:], "response",
                                  ctx.where(op_key, f"response.{status}.body"), "", path[:6])


def _header(ctx: Context, node: Node) -> tuple[str, Where, str]:
    """(name, where, pointer) of the response header ``node`` lies in."""
    name = node.path[5]
    where = ctx.where(node.path[1], f"response.{node.path[3]}.header")
    return name, where, f"/{escape_pointer(name)}"


def _response_header(ctx: Context, node: Node) -> Iterator[DriftChange]:
    if len(node.path) < 6:
        return
    if len(node.path) > 6:
        yield from _sub_rule(_HEADER_PARTS, node.path, 6)(ctx, node)
        return
    name, where, pointer = _header(ctx, node)
    if node.kind == "added":
        yield change("response.header.added", where, pointer, "",
                     describe(node.new["schema"]), f"new response header {name}")
    else:
        yield change("response.header.removed", where, pointer, describe(node.old["schema"]),
                     "", f"response header {name} is no longer documented")


def _header_required(ctx: Context, node: Node) -> Iterator[DriftChange]:
    name, where, pointer = _header(ctx, node)
    rule = "response.header.required.added" if node.new else "response.header.required.removed"
    yield change(rule, where, pointer, flag(node.old, "required"), flag(node.new, "required"),
                 f"response header {name} is "
                 f"{'now always sent' if node.new else 'now optional'}")


def _header_schema(ctx: Context, node: Node) -> Iterator[DriftChange]:
    _name, where, pointer = _header(ctx, node)
    yield from schema_changes(ctx, node, node.path[7:], "response", where, pointer,
                              node.path[:7])


# Key paths: ("operations", op, PART, ...); parameters: (..., "parameters", key, PART, ...);
# the request body: (..., "requestBody", PART, ...); a response: (..., "responses", status,
# PART, ...); a response header: (..., "headers", name, PART, ...).
_OPERATION_PARTS: dict[str, Rule] = {
    "operationId": _operation_id, "deprecated": _operation_deprecated,
    "security": _security, "parameters": _parameters, "requestBody": _request_body,
    "responses": _response,
}
_PARAMETER_PARTS: dict[str, Rule] = {
    "required": _parameter_required, "deprecated": _parameter_deprecated,
    "style": _parameter_style, "schema": _parameter_schema,
}
_BODY_PARTS: dict[str, Rule] = {"required": _request_body_required,
                                "content": _request_content}
_RESPONSE_PARTS: dict[str, Rule] = {"content": _response_content,
                                    "headers": _response_header}
_HEADER_PARTS: dict[str, Rule] = {"required": _header_required, "schema": _header_schema}
