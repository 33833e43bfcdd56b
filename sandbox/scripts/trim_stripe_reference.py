"""Rebuild the trimmed Stripe reference data under ``sandbox/tests/reference/``.

The sandbox's shape tests compare its JSON with Stripe's published OpenAPI artifacts. The
repository carries only the part of them the tests read; this script makes that part again
from full copies, so the trimming can be repeated and reviewed::

    python sandbox/scripts/trim_stripe_reference.py \\
        path/to/fixtures3.json path/to/spec3.2024-06-20.json

- ``fixtures3.json`` keeps the example objects named in :data:`FIXTURE_RESOURCES`.
- The spec keeps ``info`` and the schemas named in :data:`SPEC_SCHEMAS` together with every
  schema they reach through ``$ref``; descriptions (prose, never checked) are dropped. It is
  written gzip-compressed with a fixed timestamp, so the same input gives the same bytes.

The tests are not affected by running it: it is a maintenance tool, run by hand.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "reference"
FIXTURES_OUT = "fixtures3.json"
SPEC_OUT = "spec3.2024-06-20.schemas.json.gz"

# Example objects compared by shape_check (test_shapes, test_writes, test_clocks).
FIXTURE_RESOURCES = (
    "billing.meter",
    "coupon",
    "customer",
    "deleted_customer",
    "discount",
    "event",
    "invoice",
    "invoiceitem",
    "line_item",
    "payment_method",
    "price",
    "product",
    "subscription",
    "subscription_item",
    "test_helpers.test_clock",
    "webhook_endpoint",
)

# Schemas validated by spec_check (test_webhooks); the schemas they reference come along.
SPEC_SCHEMAS = ("event", "invoice", "subscription")


def trim_fixtures(full: dict[str, Any]) -> dict[str, Any]:
    """The ``resources`` of :data:`FIXTURE_RESOURCES`, as in the full file.

    >>> trim_fixtures({"resources": {"customer": {"id": "cus_1"}, "charge": {}}})["resources"]
    Traceback (most recent call last):
    ...
    KeyError: "fixtures3.json has no example for 'billing.meter'"
    """
    resources = full["resources"]
    kept = {}
    for name in FIXTURE_RESOURCES:
        if name not in resources:
            raise KeyError(f"fixtures3.json has no example for {name!r}")
        kept[name] = resources[name]
    return {"resources": kept}


def _references(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value.rsplit("/", 1)[-1])
            else:
                _references(value, found)
    elif isinstance(node, list):
        for value in node:
            _references(value, found)


def reachable_schemas(schemas: dict[str, Any], roots: tuple[str, ...]) -> set[str]:
    """Names of ``roots`` and of every schema they reach through ``$ref``.

    >>> schemas = {"a": {"$ref": "#/components/schemas/b"}, "b": {}, "c": {}}
    >>> sorted(reachable_schemas(schemas, ("a",)))
    ['a', 'b']
    """
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        found: set[str] = set()
        _references(schemas[name], found)
        pending.extend(found - seen)
    return seen


def without_descriptions(node: Any) -> Any:
    """``node`` with every prose ``description`` removed.

    A property that happens to be called ``description`` is a schema (a dict), so it stays.

    >>> without_descriptions({"description": "prose", "properties": {"description": {}}})
    {'properties': {'description': {}}}
    """
    if isinstance(node, dict):
        return {
            key: without_descriptions(value)
            for key, value in node.items()
            if not (key == "description" and isinstance(value, str))
        }
    if isinstance(node, list):
        return [without_descriptions(value) for value in node]
    return node


def trim_spec(full: dict[str, Any]) -> dict[str, Any]:
    """``info`` and the schemas reachable from :data:`SPEC_SCHEMAS`, without prose."""
    schemas = full["components"]["schemas"]
    kept = reachable_schemas(schemas, SPEC_SCHEMAS)
    return {
        "info": full["info"],
        "openapi": full["openapi"],
        "components": {
            "schemas": {name: without_descriptions(schemas[name]) for name in sorted(kept)}
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fixtures", type=Path, help="full fixtures3.json")
    parser.add_argument("spec", type=Path, help="full spec3.json for API version 2024-06-20")
    parser.add_argument("--out", type=Path, default=REFERENCE, help="default: %(default)s")
    args = parser.parse_args()

    spec = json.loads(args.spec.read_text(encoding="utf-8"))
    version = spec["info"]["version"]
    if version != "2024-06-20":
        parser.error(f"{args.spec} describes API version {version}, not 2024-06-20")
    fixtures = trim_fixtures(json.loads(args.fixtures.read_text(encoding="utf-8")))
    trimmed = trim_spec(spec)

    args.out.mkdir(parents=True, exist_ok=True)
    fixtures_text = json.dumps(fixtures, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (args.out / FIXTURES_OUT).write_text(fixtures_text, encoding="utf-8")
    spec_text = json.dumps(trimmed, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    (args.out / SPEC_OUT).write_bytes(gzip.compress(spec_text.encode("utf-8"), mtime=0))
    count = len(trimmed["components"]["schemas"])
    print(f"wrote {len(FIXTURE_RESOURCES)} example objects and {count} schemas to {args.out}")


if __name__ == "__main__":
    main()
