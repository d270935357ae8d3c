"""`contracts diff`: every rule fires on a pair of small specs (a base and one mutation), with
the grade a consumer of the API needs; identical specs give nothing; key order does not
matter; bad input exits 2 with one line; every output format is well formed."""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import yaml

from _support import CLI
from contracts import BUNDLED, Severity
from contracts.diff import RULES, diff_specs
from contracts.findings import DriftChange

DOCS = Path(__file__).parents[1] / "docs" / "drift.md"


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    return out


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


ERROR = {"description": "error", "content": _json(_ref("Error"))}

BASE: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Things", "version": "1"},
    "servers": [{"url": "https://api.example.com/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/things": {
            "get": {
                "operationId": "listThings",
                "parameters": [
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "maximum": 100, "default": 10}},
                    {"name": "status", "in": "query",
                     "schema": {"type": "string", "enum": ["open", "closed"]}},
                    {"name": "view", "in": "query", "required": True,
                     "schema": {"type": "integer"}},
                    {"name": "X-Trace", "in": "header", "schema": {"type": "boolean"}},
                ],
                "responses": {
                    "200": {
                        "description": "a page",
                        "headers": {
                            "X-Rate-Limit": {"schema": {"type": "integer"}},
                            "X-Total": {"required": True, "schema": {"type": "integer"}},
                        },
                        "content": {
                            **_json(_obj({"items": {"type": "array", "items": _ref("Thing")},
                                          "next": {"type": ["string", "null"]}},
                                         ["items"])),
                            "application/x-ndjson": {},
                        },
                    },
                    "401": ERROR,
                },
            },
            "post": {
                "operationId": "createThing",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": _ref("NewThing")},
                    "multipart/form-data": {"schema": _ref("NewThing")},
                }},
                "responses": {"201": {"description": "made", "content": _json(_ref("Thing"))},
                              "422": ERROR},
            },
        },
        "/things/{thing_id}": {
            "parameters": [{"name": "thing_id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "get": {
                "operationId": "getThing",
                "security": [{"bearer": []}, {"apiKey": []}],
                "responses": {"200": {"description": "one", "content": _json(_ref("Thing"))},
                              "404": ERROR},
            },
            "patch": {
                "operationId": "updateThing",
                "requestBody": {"content": _json(_obj({"name": {"type": "string"}}))},
                "responses": {"200": {"description": "updated", "content": _json(_ref("Thing"))},
                              "404": ERROR},
            },
            "delete": {
                "operationId": "deleteThing",
                "security": [{"oauth": ["things:write", "things:delete"]}],
                "responses": {"200": {"description": "gone", "content": _json(_ref("Thing"))},
                              "204": {"description": "gone"}, "404": ERROR},
            },
        },
    },
    "webhooks": {
        "thingChanged": {"post": {
            "requestBody": {"required": True, "content": _json(_obj({
                "event": {"type": "string", "enum": ["created", "deleted"]},
                "id": {"type": "string"},
                "at": {"type": "string", "format": "date-time"}}, ["event", "id"]))},
            "responses": {"200": {"description": "received"}},
        }},
    },
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-Key"},
            "oauth": {"type": "oauth2", "flows": {"clientCredentials": {
                "tokenUrl": "https://auth.example.com/token",
                "scopes": {"things:write": "w", "things:delete": "d", "things:admin": "a"}}}},
        },
        "schemas": {
            "Thing": _obj({
                "id": {"type": "string"},
                "name": {"type": "string", "maxLength": 200},
                "kind": {"type": "string", "enum": ["a", "b"], "default": "a"},
                "created": {"type": "string", "format": "date-time"},
                "size": {"type": "integer"},
                "code": {"type": ["integer", "string"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "shape": {"oneOf": [_ref("Circle"), _ref("Square")]},
            }, ["id", "name", "kind"]),
            "NewThing": _obj({
                "name": {"type": "string", "maxLength": 200},
                "kind": {"type": "string", "enum": ["a", "b"]},
                "note": {"type": ["string", "null"]},
                "size": {"type": "integer", "minimum": 0},
                "due": {"type": "string", "format": "date"},
                "shape": {"oneOf": [_ref("Circle"), _ref("Square")]},
            }, ["name"]),
            "Circle": _obj({"radius": {"type": "number"}}, ["radius"]),
            "Square": _obj({"side": {"type": "number"}}, ["side"]),
            "Triangle": _obj({"base": {"type": "number"}}, ["base"]),
            "Error": _obj({"code": {"type": "string"}, "message": {"type": "string"}}),
        },
    },
}


def at(doc: Any, pointer: str) -> Any:
    """The node at a JSON pointer ("/" is the document itself)."""
    if pointer in ("", "/"):
        return doc
    for token in pointer.strip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


THINGS, ONE = "/paths/~1things", "/paths/~1things~1{thing_id}"
THING, NEW = "/components/schemas/Thing", "/components/schemas/NewThing"


def _param(doc: Any, name: str) -> dict[str, Any]:
    return next(p for p in at(doc, f"{THINGS}/get/parameters") if p["name"] == name)


def _set(pointer: str, key: str, value: Any) -> Callable[[Any], object]:
    return lambda doc: at(doc, pointer).__setitem__(key, value)


def _delete(pointer: str, key: str) -> Callable[[Any], object]:
    return lambda doc: at(doc, pointer).pop(key)


def _add_param(param: dict[str, Any]) -> Callable[[Any], object]:
    return lambda doc: at(doc, f"{THINGS}/get/parameters").append(param)


def _rename(pointer: str, old: str, new: str) -> Callable[[Any], object]:
    def mutate(doc: Any) -> None:
        node = at(doc, pointer)
        node[new] = node.pop(old)
    return mutate


def _move_operation(doc: Any) -> None:
    doc["paths"]["/items/{id}"] = {
        "parameters": [{"name": "id", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "get": doc["paths"]["/things/{thing_id}"].pop("get"),
    }


def _rename_param(doc: Any) -> None:
    _param(doc, "status")["name"] = "state"


def _move_param(doc: Any) -> None:
    _param(doc, "X-Trace")["in"] = "query"


def _drop_param(doc: Any) -> None:
    params = at(doc, f"{THINGS}/get/parameters")
    params.remove(_param(doc, "X-Trace"))


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Callable[[Any], object]
    rule: str
    grade: str
    operation: str
    location: str
    pointer: str = ""
    before: Callable[[Any], object] | None = None  # applied to both specs first


HOOK = "/webhooks/thingChanged/post/requestBody/content/application~1json/schema"

CASES = [
    # operations
    Case("delete an operation", _delete(ONE, "delete"), "operation.removed", "ERR",
         "deleteThing", "operation"),
    Case("add an operation", _set(ONE, "put", {"operationId": "replaceThing", "responses": {
        "204": {"description": "ok"}}}), "operation.added", "INFO", "replaceThing", "operation"),
    Case("move an operation to another path", _move_operation, "operation.path.changed", "ERR",
         "getThing", "operation"),
    Case("rename an operationId", _set(f"{THINGS}/get", "operationId", "listAllThings"),
         "operation.id.changed", "WARN", "listAllThings", "operation"),
    Case("deprecate an operation", _set(f"{THINGS}/get", "deprecated", True),
         "operation.deprecated", "WARN", "listThings", "operation"),
    # parameters
    Case("drop a header parameter", _drop_param, "request.parameter.removed", "WARN",
         "listThings", "request.header", "/X-Trace"),
    Case("add an optional parameter", _add_param({"name": "sort", "in": "query",
                                                  "schema": {"type": "string"}}),
         "request.parameter.added", "INFO", "listThings", "request.query", "/sort"),
    Case("add a required parameter", _add_param({"name": "sort", "in": "query", "required": True,
                                                 "schema": {"type": "string"}}),
         "request.parameter.added.required", "ERR", "listThings", "request.query", "/sort"),
    Case("rename a parameter", _rename_param, "request.parameter.renamed", "ERR", "listThings",
         "request.query", "/status"),
    Case("move a parameter from header to query", _move_param, "request.parameter.moved", "ERR",
         "listThings", "request.query", "/X-Trace"),
    Case("make a parameter required",
         lambda d: _param(d, "status").__setitem__("required", True),
         "request.parameter.required.added", "ERR", "listThings", "request.query", "/status"),
    Case("make a parameter optional",
         lambda d: _param(d, "view").__setitem__("required", False),
         "request.parameter.required.removed", "INFO", "listThings", "request.query", "/view"),
    Case("deprecate a parameter",
         lambda d: _param(d, "limit").__setitem__("deprecated", True),
         "request.parameter.deprecated", "WARN", "listThings", "request.query", "/limit"),
    Case("stop exploding a parameter",
         lambda d: _param(d, "status").__setitem__("explode", False),
         "request.parameter.style.changed", "WARN", "listThings", "request.query", "/status"),
    Case("change a parameter's default",
         lambda d: _param(d, "limit")["schema"].__setitem__("default", 20),
         "request.default.changed", "WARN", "listThings", "request.query", "/limit"),
    # request bodies
    Case("accept an optional body", _set(f"{ONE}/delete", "requestBody", {
        "content": _json({"type": "object"})}), "request.body.added", "INFO", "deleteThing",
         "request.body"),
    Case("require a new body", _set(f"{ONE}/delete", "requestBody", {
        "required": True, "content": _json({"type": "object"})}),
         "request.body.added.required", "ERR", "deleteThing", "request.body"),
    Case("drop the body", _delete(f"{THINGS}/post", "requestBody"), "request.body.removed",
         "WARN", "createThing", "request.body"),
    Case("require the optional body", _set(f"{ONE}/patch/requestBody", "required", True),
         "request.body.required.added", "ERR", "updateThing", "request.body"),
    Case("make the body optional", _set(f"{THINGS}/post/requestBody", "required", False),
         "request.body.required.removed", "INFO", "createThing", "request.body"),
    Case("accept a new request media type",
         _set(f"{THINGS}/post/requestBody/content", "application/x-www-form-urlencoded",
              {"schema": _ref("NewThing")}),
         "request.content_type.added", "INFO", "createThing", "request.content_type",
         "application/x-www-form-urlencoded"),
    Case("refuse a request media type",
         _delete(f"{THINGS}/post/requestBody/content", "multipart/form-data"),
         "request.content_type.removed", "ERR", "createThing", "request.content_type",
         "multipart/form-data"),
    # request fields
    Case("add an optional request field", _set(f"{NEW}/properties", "color",
                                               {"type": "string"}),
         "request.field.added", "INFO", "createThing", "request.body", "/color"),
    Case("add a required request field", lambda d: (
        at(d, f"{NEW}/properties").__setitem__("color", {"type": "string"}),
        at(d, NEW)["required"].append("color")),
         "request.field.added.required", "ERR", "createThing", "request.body", "/color"),
    Case("drop a request field", _delete(f"{NEW}/properties", "due"), "request.field.removed",
         "WARN", "createThing", "request.body", "/due"),
    Case("rename a request field", _rename(f"{NEW}/properties", "due", "due_on"),
         "request.field.renamed", "ERR", "createThing", "request.body", "/due"),
    Case("require a request field", lambda d: at(d, NEW)["required"].append("kind"),
         "request.field.required.added", "ERR", "createThing", "request.body", "/kind"),
    Case("stop requiring a request field", _delete(NEW, "required"),
         "request.field.required.removed", "INFO", "createThing", "request.body", "/name"),
    Case("deprecate a request field", _set(f"{NEW}/properties/note", "deprecated", True),
         "request.field.deprecated", "WARN", "createThing", "request.body", "/note"),
    Case("change a request field's type", _set(f"{NEW}/properties/size", "type", "string"),
         "request.type.changed", "ERR", "createThing", "request.body", "/size"),
    Case("widen a request field's type", _set(f"{NEW}/properties/size", "type", "number"),
         "request.type.widened", "INFO", "createThing", "request.body", "/size"),
    Case("let a request field be null", _set(f"{NEW}/properties/name", "type",
                                             ["string", "null"]),
         "request.nullable.added", "INFO", "createThing", "request.body", "/name"),
    Case("stop accepting null", _set(f"{NEW}/properties/note", "type", "string"),
         "request.nullable.removed", "ERR", "createThing", "request.body", "/note"),
    Case("change a request format", _set(f"{NEW}/properties/due", "format", "date-time"),
         "request.format.changed", "WARN", "createThing", "request.body", "/due"),
    Case("accept a new enum value", lambda d: at(d, f"{NEW}/properties/kind/enum").append("c"),
         "request.enum.value.added", "INFO", "createThing", "request.body", "/kind"),
    Case("refuse an enum value", lambda d: at(d, f"{NEW}/properties/kind/enum").remove("b"),
         "request.enum.value.removed", "ERR", "createThing", "request.body", "/kind"),
    Case("lower a request maxLength", _set(f"{NEW}/properties/name", "maxLength", 100),
         "request.constraint.tightened", "ERR", "createThing", "request.body", "/name"),
    Case("drop a request minimum", _delete(f"{NEW}/properties/size", "minimum"),
         "request.constraint.relaxed", "INFO", "createThing", "request.body", "/size"),
    Case("accept a new request variant",
         lambda d: at(d, f"{NEW}/properties/shape/oneOf").append(_ref("Triangle")),
         "request.variant.added", "INFO", "createThing", "request.body", "/shape"),
    Case("refuse a request variant", lambda d: at(d, f"{NEW}/properties/shape/oneOf").pop(),
         "request.variant.removed", "ERR", "createThing", "request.body", "/shape"),
    Case("forbid a request value", _set(f"{NEW}/properties/name", "not", {"const": ""}),
         "request.schema.changed", "WARN", "createThing", "request.body", "/name"),
    # responses
    Case("answer a new success status", _set(f"{THINGS}/get/responses", "206",
                                             {"description": "partial"}),
         "response.status.success.added", "WARN", "listThings", "response.206"),
    Case("drop a success status", _delete(f"{ONE}/delete/responses", "200"),
         "response.status.success.removed", "WARN", "deleteThing", "response.200"),
    Case("answer a new error status", _set(f"{ONE}/get/responses", "429", ERROR),
         "response.status.error.added", "WARN", "getThing", "response.429"),
    Case("drop an error status", _delete(f"{ONE}/get/responses", "404"),
         "response.status.error.removed", "INFO", "getThing", "response.404"),
    Case("answer a new media type", _set(f"{ONE}/get/responses/200/content",
                                         "application/xml", {}),
         "response.content_type.added", "WARN", "getThing", "response.200.content_type",
         "application/xml"),
    Case("stop a response media type",
         _delete(f"{THINGS}/get/responses/200/content", "application/x-ndjson"),
         "response.content_type.removed", "ERR", "listThings", "response.200.content_type",
         "application/x-ndjson"),
    Case("send a new header", _set(f"{ONE}/get/responses/200", "headers",
                                   {"ETag": {"schema": {"type": "string"}}}),
         "response.header.added", "INFO", "getThing", "response.200.header", "/etag"),
    Case("drop a header", _delete(f"{THINGS}/get/responses/200/headers", "X-Rate-Limit"),
         "response.header.removed", "ERR", "listThings", "response.200.header",
         "/x-rate-limit"),
    Case("always send a header",
         _set(f"{THINGS}/get/responses/200/headers/X-Rate-Limit", "required", True),
         "response.header.required.added", "INFO", "listThings", "response.200.header",
         "/x-rate-limit"),
    Case("sometimes omit a header",
         _delete(f"{THINGS}/get/responses/200/headers/X-Total", "required"),
         "response.header.required.removed", "ERR", "listThings", "response.200.header",
         "/x-total"),
    # response fields
    Case("add a response field", _set(f"{THING}/properties", "owner", {"type": "string"}),
         "response.field.added", "INFO", "getThing", "response.200.body", "/owner"),
    Case("drop a response field", _delete(f"{THING}/properties", "size"),
         "response.field.removed", "ERR", "getThing", "response.200.body", "/size"),
    Case("rename a response field", _rename(f"{THING}/properties", "size", "length"),
         "response.field.renamed", "ERR", "getThing", "response.200.body", "/size"),
    Case("always send a response field", lambda d: at(d, THING)["required"].append("size"),
         "response.field.required.added", "INFO", "getThing", "response.200.body", "/size"),
    Case("sometimes omit a response field", lambda d: at(d, THING)["required"].remove("name"),
         "response.field.required.removed", "ERR", "getThing", "response.200.body", "/name"),
    Case("deprecate a response field", _set(f"{THING}/properties/size", "deprecated", True),
         "response.field.deprecated", "WARN", "getThing", "response.200.body", "/size"),
    Case("change a response field's type", _set(f"{THING}/properties/size", "type", "string"),
         "response.type.changed", "ERR", "getThing", "response.200.body", "/size"),
    Case("narrow a response field's type", _set(f"{THING}/properties/code", "type", "integer"),
         "response.type.narrowed", "INFO", "getThing", "response.200.body", "/code"),
    Case("let a response field be null", _set(f"{THING}/properties/name", "type",
                                              ["string", "null"]),
         "response.nullable.added", "ERR", "getThing", "response.200.body", "/name"),
    Case("stop sending null", _set(f"{THINGS}/get/responses/200/content/application~1json/"
                                   "schema/properties/next", "type", "string"),
         "response.nullable.removed", "INFO", "listThings", "response.200.body", "/next"),
    Case("drop a response format", _delete(f"{THING}/properties/created", "format"),
         "response.format.changed", "WARN", "getThing", "response.200.body", "/created"),
    Case("send a new enum value", lambda d: at(d, f"{THING}/properties/kind/enum").append("c"),
         "response.enum.value.added", "WARN", "getThing", "response.200.body", "/kind"),
    Case("stop an enum value", lambda d: at(d, f"{THING}/properties/kind/enum").remove("b"),
         "response.enum.value.removed", "INFO", "getThing", "response.200.body", "/kind"),
    Case("raise a response maxLength", _set(f"{THING}/properties/name", "maxLength", 500),
         "response.constraint.relaxed", "WARN", "getThing", "response.200.body", "/name"),
    Case("lower a response maxLength", _set(f"{THING}/properties/name", "maxLength", 100),
         "response.constraint.tightened", "INFO", "getThing", "response.200.body", "/name"),
    Case("send a new variant",
         lambda d: at(d, f"{THING}/properties/shape/oneOf").append(_ref("Triangle")),
         "response.variant.added", "WARN", "getThing", "response.200.body", "/shape"),
    Case("stop a variant", lambda d: at(d, f"{THING}/properties/shape/oneOf").pop(0),
         "response.variant.removed", "INFO", "getThing", "response.200.body", "/shape"),
    Case("change a response default", _set(f"{THING}/properties/kind", "default", "b"),
         "response.default.changed", "INFO", "getThing", "response.200.body", "/kind"),
    Case("forbid a response value", _set(f"{THING}/properties/name", "not", {"const": ""}),
         "response.schema.changed", "WARN", "getThing", "response.200.body", "/name"),
    Case("change an item type", _set(f"{THING}/properties/tags/items", "type", "integer"),
         "response.type.changed", "ERR", "getThing", "response.200.body", "/tags/[]"),
    # security and servers
    Case("accept an API key too", _set(f"{THINGS}/get", "security",
                                       [{"bearer": []}, {"apiKey": []}]),
         "security.requirement.added", "INFO", "listThings", "security"),
    Case("stop accepting an API key", _set(f"{ONE}/get", "security", [{"bearer": []}]),
         "security.requirement.removed", "ERR", "getThing", "security"),
    Case("require authentication on a public operation",
         _set(f"{ONE}/patch", "security", [{"bearer": []}, {}]),
         "security.requirement.added", "INFO", "updateThing", "security"),
    Case("swap bearer for an API key", _set("/", "security", [{"apiKey": []}]),
         "security.changed", "ERR", "listThings", "security"),
    Case("need another scope", lambda d: at(d, f"{ONE}/delete/security/0/oauth").append(
        "things:admin"), "security.scopes.added", "ERR", "deleteThing", "security",
         "oauth2"),
    Case("need fewer scopes", lambda d: at(d, f"{ONE}/delete/security/0/oauth").remove(
        "things:delete"), "security.scopes.removed", "INFO", "deleteThing", "security",
         "oauth2"),
    Case("add a server", lambda d: d["servers"].append({"url": "https://eu.example.com/v1"}),
         "server.added", "INFO", "", "servers", "https://eu.example.com/v1"),
    # webhooks: the consumer receives the body (graded like a response)
    Case("stop sending a webhook", _delete("/webhooks", "thingChanged"),
         "webhook.removed", "ERR", "webhook thingChanged (POST)", "webhook.operation"),
    Case("send a new webhook", _set("/webhooks", "thingDeleted", {"post": {
        "responses": {"200": {"description": "ok"}}}}),
         "webhook.added", "INFO", "webhook thingDeleted (POST)", "webhook.operation"),
    Case("a webhook event gains a value",
         lambda d: at(d, f"{HOOK}/properties/event/enum").append("moved"),
         "response.enum.value.added", "WARN", "webhook thingChanged (POST)",
         "webhook.request.body", "/event"),
    Case("a webhook field may be absent",
         lambda d: at(d, HOOK)["required"].remove("id"),
         "response.field.required.removed", "ERR", "webhook thingChanged (POST)",
         "webhook.request.body", "/id"),
    # x-extensible-enum, content encoding, discriminator
    Case("list a new extensible request value",
         _set(f"{NEW}/properties/kind", "x-extensible-enum", ["a", "b", "c"]),
         "request.extensible_enum.value.added", "INFO", "createThing", "request.body",
         "/kind", before=_set(f"{NEW}/properties/kind", "x-extensible-enum", ["a", "b"])),
    Case("unlist an extensible request value",
         _set(f"{NEW}/properties/kind", "x-extensible-enum", ["a"]),
         "request.extensible_enum.value.removed", "ERR", "createThing", "request.body",
         "/kind", before=_set(f"{NEW}/properties/kind", "x-extensible-enum", ["a", "b"])),
    Case("list a new extensible response value",
         _set(f"{HOOK}/properties/event", "x-extensible-enum", ["created", "deleted", "x"]),
         "response.extensible_enum.value.added", "INFO", "webhook thingChanged (POST)",
         "webhook.request.body", "/event",
         before=_set(f"{HOOK}/properties/event", "x-extensible-enum", ["created", "deleted"])),
    Case("unlist an extensible response value",
         _set(f"{HOOK}/properties/event", "x-extensible-enum", ["created"]),
         "response.extensible_enum.value.removed", "INFO", "webhook thingChanged (POST)",
         "webhook.request.body", "/event",
         before=_set(f"{HOOK}/properties/event", "x-extensible-enum", ["created", "deleted"])),
    Case("encode a request string differently",
         _set(f"{NEW}/properties/name", "contentEncoding", "base64"),
         "request.encoding.changed", "ERR", "createThing", "request.body", "/name"),
    Case("encode a response string differently",
         _set(f"{HOOK}/properties/id", "contentMediaType", "text/plain"),
         "response.encoding.changed", "ERR", "webhook thingChanged (POST)",
         "webhook.request.body", "/id"),
    Case("discriminate request variants",
         _set(f"{NEW}/properties/shape", "discriminator", {"propertyName": "kind"}),
         "request.discriminator.changed", "INFO", "createThing", "request.body", "/shape"),
    Case("discriminate webhook variants",
         _set(HOOK, "discriminator", {"propertyName": "event"}),
         "response.discriminator.changed", "WARN", "webhook thingChanged (POST)",
         "webhook.request.body"),
    Case("stop requiring authentication", _set("/", "security", [{}]),
         "security.auth.removed", "INFO", "listThings", "security"),
    Case("drop a server", _delete("/", "servers"),
         "server.removed", "WARN", "", "servers", "https://api.example.com/v1"),
]


def write(path: Path, doc: Any) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def pair(tmp_path: Path, mutate: Callable[[Any], object],
         before: Callable[[Any], object] | None = None) -> tuple[Path, Path]:
    old = copy.deepcopy(BASE)
    if before is not None:
        before(old)
    new = copy.deepcopy(old)
    mutate(new)
    return write(tmp_path / "old.yaml", old), write(tmp_path / "new.yaml", new)


def changes(tmp_path: Path, mutate: Callable[[Any], object],
            before: Callable[[Any], object] | None = None) -> list[DriftChange]:
    return list(diff_specs(*pair(tmp_path, mutate, before)).changes)


def per_place(found: Any) -> set[tuple[str, str, str, str]]:
    """(rule, operation, location, pointer) of every place a change reaches: a change inside
    a shared component is one finding listing its places in ``reach``."""
    out = set()
    for c in found:
        if not c.reach:
            out.add((c.rule, c.operation, c.location, c.pointer))
        for entry in c.reach:
            operation, where = entry.split(": ", 1)
            location, slash, pointer = where.partition("/")
            out.add((c.rule, operation, location, slash + pointer))
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_fires_on_its_mutation(tmp_path: Path, case: Case) -> None:
    found = changes(tmp_path, case.mutate, case.before)
    assert found, "no change reported"
    rules = {c.rule for c in found}
    hits = [c for c in found if (c.rule, c.operation, c.location) ==
            (case.rule, case.operation, case.location)]
    # A change inside a shared component is one finding; the place is among those it reaches.
    place = f"{case.operation}: {case.location}{case.pointer}" if \
        not case.pointer or case.pointer.startswith("/") else \
        f"{case.operation}: {case.location} {case.pointer}"
    shared = [c for c in found if c.rule == case.rule and place in c.reach]
    assert hits or shared, f"{case.rule} not reported for {case.operation} {case.location}; " \
        "got " + "; ".join(c.describe() for c in found)
    hit = hits[0] if hits else shared[0]
    assert hit.grade_label == case.grade
    assert hits == [] or hit.pointer == case.pointer
    assert hit.message and hit.source.endswith(("new.yaml", "old.yaml"))
    # One mutation, one kind of change (a shared component may show it in several places).
    assert rules == {case.rule}, [c.describe() for c in found]


def test_every_rule_has_a_case() -> None:
    assert sorted(RULES) == sorted({c.rule for c in CASES})
    assert len(RULES) >= 30


def test_grades_of_the_table() -> None:
    labels = {"ERR": Severity.ERROR, "WARN": Severity.WARNING, "INFO": Severity.INFO}
    for case in CASES:
        assert RULES[case.rule][0] is labels[case.grade], case.id


def test_docs_table_matches_rules() -> None:
    rows = re.findall(r"^\| `([a-z_.]+)` \| (ERR|WARN|INFO) \| ", DOCS.read_text("utf-8"),
                      flags=re.M)
    documented = dict(rows)
    assert len(rows) == len(documented), "a rule is documented twice"
    assert documented == {rule: ("ERR" if grade is Severity.ERROR else
                                 "WARN" if grade is Severity.WARNING else "INFO")
                          for rule, (grade, _when) in RULES.items()}


def test_a_spec_against_itself_has_no_changes(tmp_path: Path) -> None:
    path = write(tmp_path / "base.yaml", BASE)
    assert diff_specs(path, path).changes == ()


@pytest.mark.parametrize("api", BUNDLED)
def test_bundled_spec_against_itself_has_no_changes(api: str) -> None:
    assert diff_specs(api, api).changes == ()


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


def _reordered_lists(value: Any, rng: random.Random) -> Any:
    """Also reorder the lists whose order means nothing: enums, required, parameters."""
    if isinstance(value, dict):
        out = {k: _reordered_lists(v, rng) for k, v in value.items()}
        for key in ("enum", "required", "parameters"):
            if isinstance(out.get(key), list):
                rng.shuffle(out[key])
        return out
    if isinstance(value, list):
        return [_reordered_lists(v, rng) for v in value]
    return value


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_key_and_list_order_change_nothing(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    path = write(tmp_path / "base.yaml", BASE)
    shuffled = write(tmp_path / "shuffled.yaml", _reordered_lists(_shuffled(BASE, rng), rng))
    assert diff_specs(path, shuffled).changes == ()


def test_order_of_the_new_spec_does_not_change_the_answer(tmp_path: Path) -> None:
    def many(doc: Any) -> None:
        del doc["paths"]["/things/{thing_id}"]["delete"]
        at(doc, THING)["properties"].pop("size")
        at(doc, f"{NEW}/properties/kind/enum").remove("b")

    old, new = pair(tmp_path, many)
    rng = random.Random(7)
    shuffled_new = write(tmp_path / "new2.yaml",
                         _shuffled(yaml.safe_load(new.read_text("utf-8")), rng))
    first = [c.as_dict() | {"source": ""} for c in diff_specs(old, new).changes]
    second = [c.as_dict() | {"source": ""} for c in diff_specs(old, shuffled_new).changes]
    assert [(c["rule"], c["operation"], c["location"], c["pointer"]) for c in first] == \
        [(c["rule"], c["operation"], c["location"], c["pointer"]) for c in second]
    assert first[0]["grade"] == "ERR"  # worst first


def test_ambiguous_renames_stay_removals_and_additions(tmp_path: Path) -> None:
    def mutate(doc: Any) -> None:
        props = at(doc, f"{THING}/properties")
        props.pop("id")  # a required string
        at(doc, THING)["required"].remove("id")
        props["ident"] = {"type": "string"}
        props["label"] = {"type": "string"}

    rules = sorted({c.rule for c in changes(tmp_path, mutate)})
    assert rules == ["response.field.added", "response.field.removed"]


def test_renaming_a_path_parameter_or_a_scheme_changes_nothing(tmp_path: Path) -> None:
    def mutate(doc: Any) -> None:
        item = doc["paths"].pop("/things/{thing_id}")
        item["parameters"][0]["name"] = "id"
        doc["paths"]["/things/{id}"] = item
        schemes = doc["components"]["securitySchemes"]
        schemes["token"] = schemes.pop("bearer")
        doc["security"] = [{"token": []}]
        doc["paths"]["/things/{id}"]["get"]["security"][0] = {"token": []}

    assert changes(tmp_path, mutate) == []


def test_recursive_schemas_are_compared(tmp_path: Path) -> None:
    def tree(doc: Any) -> None:
        doc["components"]["schemas"]["Node"] = _obj({
            "label": {"type": "string"},
            "children": {"type": "array", "items": _ref("Node")}})
        at(doc, THING)["properties"]["root"] = _ref("Node")

    base = copy.deepcopy(BASE)
    tree(base)
    changed = copy.deepcopy(base)
    changed["components"]["schemas"]["Node"]["properties"]["label"]["type"] = "integer"
    found = diff_specs(write(tmp_path / "a.yaml", base), write(tmp_path / "b.yaml", changed))
    # The recursion is inlined once and then marked, so a change inside it shows once.
    pointers = {p for _r, op, _l, p in per_place(found.changes) if op == "getThing"}
    assert pointers == {"/root/label"}
    changed["components"]["schemas"]["Node"]["properties"]["children"]["maxItems"] = 3
    found = diff_specs(write(tmp_path / "a.yaml", base), write(tmp_path / "c.yaml", changed))
    assert {(r, p) for r, op, _l, p in per_place(found.changes) if op == "getThing"} == {
        ("response.type.changed", "/root/label"),
        ("response.constraint.tightened", "/root/children")}


def test_all_of_parts_are_merged(tmp_path: Path) -> None:
    def split(doc: Any) -> None:
        schemas = doc["components"]["schemas"]
        thing = schemas.pop("Thing")
        schemas["Base"] = _obj({"id": thing["properties"].pop("id")}, ["id"])
        thing["required"].remove("id")
        schemas["Thing"] = {"allOf": [_ref("Base"), thing]}

    base = copy.deepcopy(BASE)
    old = write(tmp_path / "a.yaml", base)
    split(base)
    merged = write(tmp_path / "b.yaml", base)
    assert diff_specs(old, merged).changes == ()  # the same contract, written differently
    base["components"]["schemas"]["Base"]["required"] = []
    loose = write(tmp_path / "c.yaml", base)
    rules = {(r, p) for r, op, _l, p in per_place(diff_specs(old, loose).changes)
             if op == "getThing"}
    assert rules == {("response.field.required.removed", "/id")}


def test_identical_changes_in_two_media_types_collapse(tmp_path: Path) -> None:
    found = changes(tmp_path, _set(f"{NEW}/properties/size", "type", "string"))
    assert [(c.rule, c.operation) for c in found] == [("request.type.changed", "createThing")]


def test_removed_operation_points_at_the_old_spec(tmp_path: Path) -> None:
    found = changes(tmp_path, _delete(ONE, "delete"))
    assert found[0].source.endswith("old.yaml") and found[0].line is not None


# -- command line -------------------------------------------------------------------------------
def _breaking_pair(tmp_path: Path) -> tuple[Path, Path]:
    def mutate(doc: Any) -> None:
        del doc["paths"]["/things/{thing_id}"]["delete"]  # ERR
        at(doc, f"{THING}/properties/kind/enum").append("<c&d>")  # WARN
        at(doc, f"{THING}/properties")["owner"] = {"type": "string"}  # INFO
    return pair(tmp_path, mutate)


@pytest.mark.parametrize(("fail_on", "exit_code"),
                         [("ERR", 1), ("WARN", 1), ("INFO", 1), ("err", 1)])
def test_exit_code_follows_fail_on(tmp_path: Path, fail_on: str, exit_code: int, cli: CLI) -> None:
    old, new = _breaking_pair(tmp_path)
    code, out, err = cli("diff", str(old), str(new), "--fail-on", fail_on)
    assert (code, err) == (exit_code, "")
    assert "operation.removed" in out


@pytest.mark.parametrize(("fail_on", "exit_code"), [("ERR", 0), ("WARN", 1), ("INFO", 1)])
def test_exit_code_below_the_level_is_zero(tmp_path: Path, fail_on: str,
                                           exit_code: int, cli: CLI) -> None:
    old, new = pair(tmp_path, lambda d: at(d, f"{THING}/properties/kind/enum").append("c"))
    assert cli("diff", str(old), str(new), "--fail-on", fail_on)[0] == exit_code


def test_no_changes_exit_zero(tmp_path: Path, cli: CLI) -> None:
    path = write(tmp_path / "a.yaml", BASE)
    code, out, _err = cli("diff", str(path), str(path), "--fail-on", "INFO")
    assert code == 0 and "no changes" in out


@pytest.mark.parametrize("content", [b"", b"openapi: [", b"\xff\xfe", b"swagger: '2.0'\n"],
                         ids=["empty", "malformed", "not-utf8", "swagger2"])
def test_unreadable_spec_exits_2_with_one_line(tmp_path: Path, content: bytes, cli: CLI) -> None:
    good = write(tmp_path / "good.yaml", BASE)
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(content)
    for args in ((str(bad), str(good)), (str(good), str(bad))):
        code, out, err = cli("diff", *args)
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and "bad.yaml" in err and "Traceback" not in err


def test_missing_spec_and_bad_option_exit_2(tmp_path: Path, cli: CLI) -> None:
    good = write(tmp_path / "good.yaml", BASE)
    code, _out, err = cli("diff", str(tmp_path / "nope.yaml"), str(good))
    assert code == 2 and err.count("\n") == 1
    code, _out, err = cli("diff", str(good), str(good), "--fail-on", "LOUD")
    assert code == 2 and "LOUD" in err


@pytest.fixture
def rendered(tmp_path: Path, cli: CLI) -> Callable[[str], str]:
    old, new = _breaking_pair(tmp_path)

    def render(fmt: str) -> str:
        target = tmp_path / f"out.{fmt}"
        code, out, err = cli("diff", str(old), str(new), "--format", fmt, "--output",
                             str(target))
        assert (code, out, err) == (1, "", "")
        return target.read_text("utf-8")
    return render


def test_json_output(rendered: Callable[[str], str]) -> None:
    data = json.loads(rendered("json"))
    # Two changes of shared schemas, each one finding reaching four operations.
    assert data["counts"] == {"ERR": 1, "WARN": 1, "INFO": 1}
    assert data["changes"][0]["rule"] == "operation.removed"
    assert sorted(c.get("reach_count", 0) for c in data["changes"]) == [0, 4, 4]
    assert {c["grade"] for c in data["changes"]} == {"ERR", "WARN", "INFO"}


def test_junit_output(rendered: Callable[[str], str]) -> None:
    root = ET.fromstring(rendered("junit"))
    assert root.tag == "testsuite" and root.get("failures") == "1"
    failed = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["deleteThing"]


def test_sarif_output(rendered: Callable[[str], str]) -> None:
    data = json.loads(rendered("sarif"))
    assert data["version"] == "2.1.0"
    results = data["runs"][0]["results"]
    assert {r["level"] for r in results} == {"error", "warning", "note"}
    rule_ids = {r["id"] for r in data["runs"][0]["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in results} == rule_ids
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
               for r in results)


def test_markdown_output(rendered: Callable[[str], str]) -> None:
    text = rendered("markdown")
    assert "| ERR | `operation.removed` | deleteThing |" in text
    assert "1 ERR, 1 WARN, 1 INFO" in text


def test_html_output_is_self_contained_and_escaped(rendered: Callable[[str], str]) -> None:
    text = rendered("html")
    assert text.startswith("<!DOCTYPE html>") and "<style>" in text
    assert "&lt;c&amp;d&gt;" in text and "<c&d>" not in text
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", text)


def test_table_output(rendered: Callable[[str], str]) -> None:
    text = rendered("table")
    assert "operation.removed" in text and "deleteThing" in text
    assert "\x1b[" not in text  # no colour codes in a file


def test_table_on_stdout(tmp_path: Path, cli: CLI) -> None:
    old, new = _breaking_pair(tmp_path)
    code, out, _err = cli("diff", str(old), str(new))
    assert code == 1
    assert "1 ERR, 1 WARN, 1 INFO" in out


def test_bundled_names_are_accepted(tmp_path: Path, cli: CLI) -> None:
    code, out, err = cli("diff", "heidi", "heidi", "--format", "json")
    assert (code, err) == (0, "") and json.loads(out)["changes"] == []


def test_unwritable_output_exits_2(tmp_path: Path, cli: CLI) -> None:
    path = write(tmp_path / "a.yaml", BASE)
    code, _out, err = cli("diff", str(path), str(path), "--output",
                          str(tmp_path / "missing" / "dir" / "x.json"), "--format", "json")
    assert code == 2 and err.count("\n") == 1


def test_read_only_and_write_only_are_read_by_direction(tmp_path: Path) -> None:
    """A client never reads a write-only field nor sends a read-only one: becoming write-only
    removes a response field, becoming read-only removes a request field, and dropping
    readOnly from a required field makes a new required request field."""
    def mark(pointer: str, flag: str, value: bool = True) -> Callable[[Any], object]:
        def mutate(doc: Any) -> None:
            node = doc
            for part in pointer.strip("/").split("/"):
                node = node[part.replace("~1", "/")]
            node[flag] = value
        return mutate

    got = {(r, op, p) for r, op, _l, p in per_place(changes(
        tmp_path, mark(f"{THING}/properties/created", "writeOnly")))}
    assert got == {("response.field.removed", op, "/created")
                   for op in ("createThing", "getThing", "updateThing", "deleteThing")} | {
        ("response.field.removed", "listThings", "/items/[]/created")}
    assert {(c.rule, c.operation, c.pointer) for c in changes(
        tmp_path, mark(f"{NEW}/properties/size", "readOnly"))} == {
        ("request.field.removed", "createThing", "/size")}
    # readOnly on what we only read, writeOnly on what we only send: nothing changes for us.
    assert changes(tmp_path, mark(f"{THING}/properties/id", "readOnly")) == []
    assert changes(tmp_path, mark(f"{NEW}/properties/due", "writeOnly")) == []

    base = copy.deepcopy(BASE)
    base["components"]["schemas"]["NewThing"]["properties"]["name"]["readOnly"] = True
    old = write(tmp_path / "ro.yaml", base)
    new = write(tmp_path / "rw.yaml", BASE)
    assert {(c.rule, c.operation, c.pointer) for c in diff_specs(old, new).changes} == {
        ("request.field.added.required", "createThing", "/name")}


def _to_30(node: Any) -> Any:
    """A 3.1 document written as OpenAPI 3.0: ``[X, "null"]`` types as ``nullable``, other
    type lists as ``anyOf``; no webhooks (3.0 has none)."""
    if isinstance(node, list):
        return [_to_30(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_30(v) for k, v in node.items() if k != "webhooks"}
    types = out.get("type")
    if isinstance(types, list):
        rest = [t for t in types if t != "null"]
        if "null" in types:
            out["nullable"] = True
        if len(rest) == 1:
            out["type"] = rest[0]
        else:
            del out["type"]
            out["anyOf"] = [{"type": t} for t in rest]
    if out.get("openapi") == "3.1.0":
        out["openapi"] = "3.0.3"
    return out


# Cases 3.0 cannot write: webhooks, and type lists (3.0 spells them anyOf, another change).
_NOT_30 = {"stop sending a webhook", "send a new webhook", "a webhook event gains a value",
           "a webhook field may be absent", "list a new extensible response value",
           "unlist an extensible response value", "encode a response string differently",
           "discriminate webhook variants", "narrow a response field's type"}


@pytest.mark.parametrize("case", [c for c in CASES if c.id not in _NOT_30],
                         ids=[c.id for c in CASES if c.id not in _NOT_30])
def test_rule_fires_in_openapi_30(tmp_path: Path, case: Case) -> None:
    old = copy.deepcopy(BASE)
    if case.before is not None:
        case.before(old)
    new = copy.deepcopy(old)
    case.mutate(new)
    found = diff_specs(write(tmp_path / "old.yaml", _to_30(old)),
                       write(tmp_path / "new.yaml", _to_30(new))).changes
    assert {c.rule for c in found} == {case.rule}, [c.describe() for c in found]
    assert {c.grade_label for c in found} == {case.grade}
