"""Validate responses against the response schemas of Amazon's official swagger models."""

from __future__ import annotations

import copy
import functools
from typing import Any

import jsonschema

from spapi_sim.tests.conftest import amazon_data, load_json

# Where Amazon's own samples break a model's "required" list, the simulator still keeps it:
# nothing is dropped today. List (model, definition, field) here, with the sample, if one must go.
DROPPED_REQUIRED: set[tuple[str, str, str]] = set()


def _strict(node: Any, model: str, name: str | None = None, composed: bool = False) -> Any:
    """Forbid properties the model does not define, so a misspelt field fails the test.

    Members of an allOf stay open: each sees only its own properties.
    """
    if isinstance(node, dict):
        result = {k: _strict(v, model, composed=(k == "allOf")) for k, v in node.items()}
        if "properties" in result and "additionalProperties" not in result and not composed:
            result["additionalProperties"] = False
        if name and "required" in result:
            result["required"] = [
                r for r in result["required"] if (model, name, r) not in DROPPED_REQUIRED
            ]
        return result
    if isinstance(node, list):
        return [_strict(v, model, composed=composed) for v in node]
    return node


@functools.cache
def _definitions(model: str) -> dict[str, Any]:
    swagger = load_json(amazon_data() / "models" / f"{model}.json")
    definitions = copy.deepcopy(swagger["definitions"])
    strict = {name: _strict(schema, model, name) for name, schema in definitions.items()}
    # Definitions that take part in an allOf only see their own properties: keep them open.
    for schema in definitions.values():
        for member in schema.get("allOf", []):
            ref = member.get("$ref", "")
            if ref.startswith("#/definitions/"):
                strict[ref.split("/")[-1]].pop("additionalProperties", None)
    # Free-form attribute bags: Amazon defines them as open objects.
    for name in ("ItemAttributes",):
        if name in strict:
            strict[name].pop("additionalProperties", None)
            strict[name]["additionalProperties"] = True
    return strict


def validate(model: str, definition: str, body: Any) -> None:
    definitions = _definitions(model)
    schema = {"$ref": f"#/definitions/{definition}", "definitions": definitions}
    jsonschema.Draft4Validator(schema).validate(body)
