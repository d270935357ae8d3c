"""The spec-diff rules: every change a consumer can see, with its grade and meaning."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..findings import Severity

__all__ = ["CONSTRAINTS", "MAX_LEVELS", "MIN_LEVELS", "RULES"]

ERR, WARN, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


# -- the rules --------------------------------------------------------------------------------
# Graded for an integrator: ERR = code written against the old spec will break; WARN = it may
# break or silently misbehave; INFO = nothing to do. docs/drift.md mirrors this table (a test
# keeps them equal).
RULES: Mapping[str, tuple[Severity, str]] = MappingProxyType({
    # operations
    "operation.removed": (ERR, "an operation is gone (no operation with that method and path "
                               "shape, nor with its operationId)"),
    "operation.added": (INFO, "a new operation"),
    "operation.path.changed": (ERR, "an operation kept its operationId but moved to another "
                                    "path or method"),
    "operation.id.changed": (WARN, "same method and path, new operationId (generated clients "
                                   "rename their methods)"),
    "operation.deprecated": (WARN, "an operation became deprecated"),
    # webhooks (the provider calls the consumer: what it sends is graded like a response,
    # what the consumer answers like a request)
    "webhook.added": (INFO, "a new webhook (an event the consumer may subscribe to)"),
    "webhook.removed": (ERR, "a webhook is gone (the consumer's handler stops receiving it)"),
    # parameters
    "request.parameter.removed": (WARN, "a parameter is no longer documented (the server may "
                                        "ignore or reject what we send)"),
    "request.parameter.added": (INFO, "a new optional parameter"),
    "request.parameter.added.required": (ERR, "a new required parameter"),
    "request.parameter.renamed": (ERR, "a parameter removed and one with the same place and "
                                       "schema added"),
    "request.parameter.moved": (ERR, "a parameter kept its name but moved (query, header, "
                                     "cookie)"),
    "request.parameter.required.added": (ERR, "an optional parameter became required"),
    "request.parameter.required.removed": (INFO, "a required parameter became optional"),
    "request.parameter.deprecated": (WARN, "a parameter became deprecated"),
    "request.parameter.style.changed": (WARN, "a parameter's serialisation (style or explode) "
                                              "changed"),
    # request body
    "request.body.added": (INFO, "an operation accepts an optional body it did not document"),
    "request.body.added.required": (ERR, "an operation now requires a body"),
    "request.body.removed": (WARN, "an operation no longer documents its body"),
    "request.body.required.added": (ERR, "an optional body became required"),
    "request.body.required.removed": (INFO, "a required body became optional"),
    "request.content_type.added": (INFO, "the body may be sent in a new media type"),
    "request.content_type.removed": (ERR, "a request media type is no longer accepted"),
    # request schemas (bodies and parameters: what we send)
    "request.field.added": (INFO, "a new optional request field"),
    "request.field.added.required": (ERR, "a new required request field"),
    "request.field.removed": (WARN, "a request field is no longer documented (the server may "
                                    "ignore or reject it)"),
    "request.field.renamed": (ERR, "a request field removed and one with the same schema added "
                                   "beside it"),
    "request.field.required.added": (ERR, "an optional request field became required"),
    "request.field.required.removed": (INFO, "a required request field became optional"),
    "request.field.deprecated": (WARN, "a request field became deprecated"),
    "request.type.changed": (ERR, "a request value's type changed or narrowed (something we "
                                  "send may be rejected)"),
    "request.type.widened": (INFO, "a request value accepts more types"),
    "request.nullable.added": (INFO, "a request value may now be null"),
    "request.nullable.removed": (ERR, "a request value may no longer be null"),
    "request.format.changed": (WARN, "a request value's format was added, removed or changed"),
    "request.enum.value.added": (INFO, "a request enum accepts a new value"),
    "request.enum.value.removed": (ERR, "a request enum no longer accepts a value"),
    "request.extensible_enum.value.added": (INFO, "a request x-extensible-enum lists a new "
                                                  "value"),
    "request.extensible_enum.value.removed": (ERR, "a request x-extensible-enum no longer "
                                                   "lists a value we may send"),
    "request.encoding.changed": (ERR, "a request string's contentMediaType or "
                                      "contentEncoding changed (what we encode is read "
                                      "differently)"),
    "request.discriminator.changed": (INFO, "a request discriminator's property or mapping "
                                            "changed"),
    "request.constraint.tightened": (ERR, "a request constraint got stricter (max lower, min "
                                          "higher, pattern or enum added, extra fields "
                                          "forbidden, ...)"),
    "request.constraint.relaxed": (INFO, "a request constraint got looser"),
    "request.variant.added": (INFO, "a request oneOf/anyOf accepts a new variant"),
    "request.variant.removed": (ERR, "a request oneOf/anyOf no longer accepts a variant"),
    "request.default.changed": (WARN, "a request default was added, removed or changed (what "
                                      "we omit now means something else)"),
    "request.schema.changed": (WARN, "any other change to a request schema"),
    # responses
    "response.status.success.added": (WARN, "a new 1xx/2xx/3xx status our code may not expect"),
    "response.status.success.removed": (WARN, "a success status is no longer documented"),
    "response.status.error.added": (WARN, "a new error status (4xx, 5xx, default) our code may "
                                          "not handle"),
    "response.status.error.removed": (INFO, "an error status is no longer documented"),
    "response.content_type.added": (WARN, "a response may come in a new media type"),
    "response.content_type.removed": (ERR, "a response media type is no longer sent"),
    "response.header.added": (INFO, "a new response header"),
    "response.header.removed": (ERR, "a response header is no longer documented"),
    "response.header.required.added": (INFO, "a response header is now always sent"),
    "response.header.required.removed": (ERR, "a response header may now be absent"),
    # response schemas (what we read)
    "response.field.added": (INFO, "a new response field"),
    "response.field.removed": (ERR, "a response field is gone"),
    "response.field.renamed": (ERR, "a response field removed and one with the same schema "
                                    "added beside it"),
    "response.field.required.added": (INFO, "a response field is now always present"),
    "response.field.required.removed": (ERR, "a response field may now be absent"),
    "response.field.deprecated": (WARN, "a response field became deprecated"),
    "response.type.changed": (ERR, "a response value's type changed or widened (we may read a "
                                   "type we do not handle)"),
    "response.type.narrowed": (INFO, "a response value comes in fewer types"),
    "response.nullable.added": (ERR, "a response value may now be null"),
    "response.nullable.removed": (INFO, "a response value is no longer null"),
    "response.format.changed": (WARN, "a response value's format was added, removed or "
                                      "changed"),
    "response.enum.value.added": (WARN, "a response enum has a new value (our switch may not "
                                        "handle it)"),
    "response.enum.value.removed": (INFO, "a response enum lost a value"),
    "response.extensible_enum.value.added": (INFO, "a response x-extensible-enum lists a new "
                                                   "value (extensible: clients already "
                                                   "handle unknown values)"),
    "response.extensible_enum.value.removed": (INFO, "a response x-extensible-enum no "
                                                     "longer lists a value"),
    "response.encoding.changed": (ERR, "a response string's contentMediaType or "
                                       "contentEncoding changed (we decode it wrongly)"),
    "response.discriminator.changed": (WARN, "a response discriminator's property or "
                                             "mapping changed (generated clients pick "
                                             "variants by it)"),
    "response.constraint.relaxed": (WARN, "a response constraint got looser (longer strings, "
                                          "wider ranges, extra fields, ...)"),
    "response.constraint.tightened": (INFO, "a response constraint got stricter"),
    "response.variant.added": (WARN, "a response oneOf/anyOf has a new variant"),
    "response.variant.removed": (INFO, "a response oneOf/anyOf lost a variant"),
    "response.default.changed": (INFO, "a response default was added, removed or changed"),
    "response.schema.changed": (WARN, "any other change to a response schema"),
    # security and servers
    "security.requirement.added": (INFO, "a new way to authenticate is accepted"),
    "security.requirement.removed": (ERR, "a way to authenticate (or calling without "
                                          "credentials) is no longer accepted"),
    "security.changed": (ERR, "the accepted ways to authenticate were replaced by others"),
    "security.auth.removed": (INFO, "calling without credentials is now accepted (what we "
                                    "send is ignored, nothing breaks)"),
    "security.scopes.added": (ERR, "a security requirement needs a new scope"),
    "security.scopes.removed": (INFO, "a security requirement needs fewer scopes"),
    "server.added": (INFO, "a new server URL"),
    "server.removed": (WARN, "a server URL is no longer documented"),
})


# Schema keywords graded as constraints: a lower maximum or a higher minimum is stricter.
MAX_LEVELS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties",
              "maxContains")
MIN_LEVELS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties",
              "minContains")
OTHER_CONSTRAINTS = ("pattern", "multipleOf", "uniqueItems", "additionalProperties")
CONSTRAINTS = frozenset(MAX_LEVELS + MIN_LEVELS + OTHER_CONSTRAINTS)
