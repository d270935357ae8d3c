"""OpenAPI's additions to JSON Schema in the validator: a ``discriminator`` chooses which
alternative's failures are reported, and ``readOnly`` / ``writeOnly`` are read by direction."""

from __future__ import annotations

from typing import Any

import jsonschema
import orjson
import pytest
import referencing
import referencing.jsonschema

import contracts
from contracts import Severity
from contracts.specs import Spec, spec_from_text
from contracts.validation import Validator

SPEC = """
openapi: 3.1.0
info: {title: pets, version: "1"}
paths:
  /pets/{id}:
    get:
      operationId: getPet
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses:
        "200":
          description: a pet
          content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}
    put:
      operationId: putPet
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}
      responses:
        "200":
          description: the stored pet
          content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}
  /owners:
    post:
      operationId: createOwner
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "#/components/schemas/Owner"}}}
      responses:
        "201":
          description: created
          content: {application/json: {schema: {$ref: "#/components/schemas/Owner"}}}
  /things:
    get:
      operationId: getThing
      responses:
        "200":
          description: implicit mapping, anyOf
          content: {application/json: {schema: {$ref: "#/components/schemas/Thing"}}}
components:
  schemas:
    Pet:
      oneOf: [{$ref: "#/components/schemas/Cat"}, {$ref: "#/components/schemas/Dog"}]
      discriminator:
        propertyName: petType
        mapping: {cat: "#/components/schemas/Cat", dog: Dog}
    Cat:
      type: object
      required: [petType, lives]
      properties: {petType: {type: string}, lives: {type: integer}}
    Dog:
      type: object
      required: [petType, bark]
      properties: {petType: {type: string}, bark: {type: string}}
    Thing:
      anyOf: [{$ref: "#/components/schemas/Rock"}, {$ref: "#/components/schemas/Tree"}]
      discriminator: {propertyName: kind}
    Rock:
      type: object
      required: [kind, mass]
      properties: {kind: {type: string}, mass: {type: number}}
    Tree:
      type: object
      required: [kind, height]
      properties: {kind: {type: string}, height: {type: number}}
    Id:
      type: string
      readOnly: true
    Owner:
      type: object
      required: [id, name, password, created, default]
      properties:
        id: {$ref: "#/components/schemas/Id"}
        name: {type: string}
        password: {type: string, writeOnly: true}
        created: {type: string, format: date-time, readOnly: true}
        default: {type: boolean, readOnly: true}
        pets:
          type: array
          items:
            type: object
            required: [tag]
            properties: {tag: {type: string, readOnly: true}, nick: {type: string}}
        contact:
          oneOf:
            - {type: object, required: [email], properties: {email: {type: string, readOnly: true}},
               additionalProperties: false}
            - {type: object, required: [phone], properties: {phone: {type: string}},
               additionalProperties: false}
"""

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def pets() -> Spec:
    return spec_from_text(SPEC, name="pets")


def found(spec: Spec, method: str, url: str, status: int | None, body: Any
          ) -> list[tuple[str, str, str, Severity]]:
    raw = orjson.dumps(body)
    if status is None:
        items = contracts.iter_request_violations(spec, method, url, raw, headers=JSON)
    else:
        items = contracts.iter_response_violations(spec, method, url, status, raw, headers=JSON)
    return [(v.code, v.pointer, v.message, v.severity) for v in items]


def python_jsonschema_verdict(spec: Spec, name: str, value: Any) -> bool:
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (uri, referencing.jsonschema.DRAFT202012.create_resource(doc.data))
        for uri, doc in spec.resources.items())
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"{spec.uri}#/components/schemas/{name}"}, registry=registry)
    return bool(validator.is_valid(value))


# -- discriminator ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def undiscriminated() -> Spec:
    """The same spec without Pet's discriminator: the closest alternative is reported."""
    text = SPEC.replace("""      discriminator:
        propertyName: petType
        mapping: {cat: "#/components/schemas/Cat", dog: Dog}
""", "")
    assert text != SPEC
    return spec_from_text(text, name="pets")


@pytest.mark.parametrize(("body", "expected", "closest"), [
    # Both alternatives fail. The discriminator says dog: Dog's failure is reported, not
    # Cat's, which is "closer" by the depth of its failure.
    ({"petType": "dog", "lives": "nine"},
     [("response.body.schema", "", "missing required property 'bark'")], "/lives"),
    ({"petType": "cat", "bark": 5},
     [("response.body.schema", "", "missing required property 'lives'")], "/bark"),
    ({"petType": "dog", "bark": 7},
     [("response.body.schema", "/bark", "expected string, got integer")], "/bark"),
    # A value the discriminator does not know: said at the discriminating property.
    ({"petType": "hamster"},
     [("response.body.schema", "/petType", "not one of the discriminator's values (cat, dog)")],
     ""),
], ids=["dog-as-cat", "cat-as-dog", "dog-wrong-type", "unknown-value"])
def test_the_discriminator_picks_the_alternative_to_report(
        pets: Spec, undiscriminated: Spec, body: dict[str, Any], expected: list[Any],
        closest: str) -> None:
    got = found(pets, "GET", "/pets/1", 200, body)
    assert [(code, pointer, message) for code, pointer, message, _s in got] == expected
    assert all(severity is Severity.ERROR for *_rest, severity in got)
    without = found(undiscriminated, "GET", "/pets/1", 200, body)
    assert [pointer for _c, pointer, _m, _s in without] == [closest]
    # Only the report changes, never the verdict: python-jsonschema agrees it is invalid.
    assert python_jsonschema_verdict(pets, "Pet", body) is False


def test_a_body_another_alternative_accepts_is_valid(pets: Spec) -> None:
    """OpenAPI 3.1's discriminator is a hint over oneOf/anyOf, never a stricter rule: a dog
    that is also a valid cat passes, as JSON Schema says."""
    body = {"petType": "dog", "lives": 9}
    assert found(pets, "GET", "/pets/1", 200, body) == []
    assert python_jsonschema_verdict(pets, "Pet", body) is True


def test_a_valid_discriminated_body_passes_and_agrees(pets: Spec) -> None:
    for body in ({"petType": "cat", "lives": 9}, {"petType": "dog", "bark": "woof"}):
        assert found(pets, "GET", "/pets/1", 200, body) == []
        assert python_jsonschema_verdict(pets, "Pet", body) is True


def test_unknown_discriminator_values_are_not_echoed(pets: Spec) -> None:
    violation = next(contracts.iter_response_violations(
        pets, "GET", "/pets/1", 200, orjson.dumps({"petType": "Zelda Canaryfield"}),
        headers=JSON))
    assert "Canaryfield" not in violation.describe()
    assert violation.expected == ["cat", "dog"] and violation.actual == "Zelda Canaryfield"
    assert violation.schema_path.endswith("/components/schemas/Pet/discriminator")


def test_without_a_usable_discriminator_value_the_alternatives_speak(pets: Spec) -> None:
    # No petType at all, or not a string: the closest alternative's failures, as before.
    assert found(pets, "GET", "/pets/1", 200, {"lives": 9}) == [
        ("response.body.schema", "", "missing required property 'petType'", Severity.ERROR)]
    assert found(pets, "GET", "/pets/1", 200, {"petType": 3, "lives": 9}) == [
        ("response.body.schema", "/petType", "expected string, got integer", Severity.ERROR)]


@pytest.mark.parametrize(("body", "expected"), [
    ({"kind": "Tree", "mass": "x"}, [("", "missing required property 'height'")]),
    ({"kind": "Rock", "height": "x"}, [("", "missing required property 'mass'")]),
    ({"kind": "Cloud"}, [("/kind", "not one of the discriminator's values (Rock, Tree)")]),
], ids=["tree", "rock", "unknown"])
def test_implicit_mapping_by_component_name_with_anyof(pets: Spec, body: dict[str, Any],
                                                      expected: list[Any]) -> None:
    got = found(pets, "GET", "/things", 200, body)
    assert [(pointer, message) for _c, pointer, message, _s in got] == expected


# -- readOnly / writeOnly -----------------------------------------------------------------------

OWNER_IN = {"name": "Test Owner", "password": "s3cret-Canary"}
OWNER_OUT = {"id": "o-1", "name": "Test Owner", "created": "2026-01-05T09:00:00Z",
             "default": False}


def test_read_only_fields_are_not_required_in_requests_but_are_in_responses(pets: Spec) -> None:
    assert found(pets, "POST", "/owners", None, OWNER_IN) == []
    assert found(pets, "POST", "/owners", 201, OWNER_OUT) == []
    # The response must carry its read-only fields; the request must carry its write-only one.
    assert found(pets, "POST", "/owners", 201, {"name": "Test Owner"}) == [
        ("response.body.schema", "", f"missing required property {name!r}", Severity.ERROR)
        for name in ("id", "created", "default")]
    assert found(pets, "POST", "/owners", None, {"name": "Test Owner"}) == [
        ("request.body.schema", "", "missing required property 'password'", Severity.ERROR)]


def test_read_only_fields_sent_in_a_request_are_warnings_at_their_place(pets: Spec) -> None:
    body = {**OWNER_IN, "id": "o-1", "default": True,
            "pets": [{"nick": "Rex"}, {"tag": "t-2", "nick": "Fido"}]}
    got = found(pets, "POST", "/owners", None, body)
    assert sorted((code, pointer, severity) for code, pointer, _m, severity in got) == [
        ("request.body.read_only", "/default", Severity.WARNING),
        ("request.body.read_only", "/id", Severity.WARNING),  # read-only through its $ref
        ("request.body.read_only", "/pets/1/tag", Severity.WARNING),
    ]
    assert all(message == "a read-only property is sent in a request"
               for _c, _p, message, _s in got)
    actual = {v.pointer: v.actual for v in contracts.iter_request_violations(
        pets, "POST", "/owners", orjson.dumps(body), headers=JSON)}
    assert actual == {"/default": True, "/id": "o-1", "/pets/1/tag": "t-2"}
    assert contracts.is_valid_request(pets, "POST", "/owners", orjson.dumps(body), headers=JSON)
    with pytest.raises(contracts.ContractViolation):
        contracts.validate_request(pets, "POST", "/owners", orjson.dumps(body), headers=JSON,
                                   fail_on=Severity.WARNING)


def test_write_only_fields_returned_in_a_response_are_errors(pets: Spec) -> None:
    got = found(pets, "POST", "/owners", 201, {**OWNER_OUT, "password": "s3cret-Canary"})
    assert got == [("response.body.write_only", "/password",
                    "a write-only property is returned in a response", Severity.ERROR)]
    violation = next(contracts.iter_response_violations(
        pets, "POST", "/owners", 201, orjson.dumps({**OWNER_OUT, "password": "s3cret-Canary"}),
        headers=JSON))
    assert "Canary" not in violation.describe()
    assert violation.schema_path.endswith("/components/schemas/Owner/properties/password")
    assert violation.actual == "s3cret-Canary"  # carried for callers that opt in to values


def test_only_the_alternative_that_applies_decides_what_is_read_only(pets: Spec) -> None:
    email = {**OWNER_IN, "contact": {"email": "owner@example.invalid"}}
    phone = {**OWNER_IN, "contact": {"phone": "+1 555 0100"}}
    assert [(c, p) for c, p, _m, _s in found(pets, "POST", "/owners", None, email)] == [
        ("request.body.read_only", "/contact/email")]
    assert found(pets, "POST", "/owners", None, phone) == []


def test_specs_without_the_keywords_compile_against_the_plain_registry() -> None:
    """The bundled specs use neither keyword: no relaxed copy, no evaluation pass."""
    for api in contracts.BUNDLED:
        validator = Validator(api)
        for op in validator.spec.operations:
            for status in (op.node.value.get("responses") or {}):
                response = validator.spec.resolve(op.node.child("responses", status))
                for media in (response.value.get("content") or {}):
                    node = response.child("content", media)
                    if "schema" in node.value:
                        schema = validator._schemas.compile(node.child("schema"), "response")
                        assert schema.flag is None, (api, op.operation_id, status)


def test_a_body_matching_several_one_of_alternatives_says_so(pets: Spec) -> None:
    body = {"petType": "dog", "lives": 9, "bark": "woof"}  # a valid Cat and a valid Dog
    assert found(pets, "GET", "/pets/1", 200, body) == [
        ("response.body.schema", "", "matches more than one oneOf alternative", Severity.ERROR)]
    assert python_jsonschema_verdict(pets, "Pet", body) is False
