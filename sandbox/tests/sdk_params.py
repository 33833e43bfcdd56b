"""The request parameters of Stripe's endpoints, as the pinned ``stripe`` SDK types them.

The SDK's services (``stripe/_customer_service.py``, ...) call
``self._request("post", "/v1/customers/{customer}", params=params)`` with ``params`` typed
by a TypedDict of ``stripe.params`` (``CustomerUpdateParams``). Reading the services' source
maps each endpoint to its TypedDict; walking the TypedDict (nested TypedDicts, lists and
unions included, via ``typing.get_type_hints``) lists every parameter path it can send.

>>> params = sdk_params_by_endpoint()[("POST", "/v1/customers/{}")]
>>> params.__name__
'CustomerUpdateParams'
>>> leaves = {leaf.path: leaf for leaf in parameter_leaves(params)}
>>> leaves[("invoice_settings", "custom_fields", 0, "name")].dummy
'x'
>>> ("stripe_version",) in leaves  # a request option the SDK never sends as a parameter
False
"""

from __future__ import annotations

import ast
import decimal
import importlib
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import stripe
import typing_extensions
from stripe._request_options import RequestOptions

REQUEST_OPTIONS = frozenset(RequestOptions.__annotations__)
"""``api_key``, ``stripe_version``, ``idempotency_key``...: the SDK turns them into headers or
client settings; they never reach the wire as parameters."""

_LOCALS = {"StripeContext": stripe.StripeContext, "Mapping": typing.Mapping}
_TEMPLATE = re.compile(r"\{\w+\}")

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Leaf:
    """One parameter the SDK can send: its path (``0`` for a list element) and a value."""

    path: Path_
    dummy: Any

    @property
    def name(self) -> str:
        """The bracketed name Stripe reports: ``items[0][discounts][0][coupon]``."""
        return bracketed(self.path)

    def as_params(self) -> dict[str, Any]:
        """The nested request parameters that send just this leaf."""
        value: Any = self.dummy
        for part in reversed(self.path[1:]):
            value = [value] if isinstance(part, int) else {part: value}
        return {str(self.path[0]): value}


def bracketed(path: Path_) -> str:
    head, *rest = path
    return str(head) + "".join(f"[{part}]" for part in rest)


def _service_files() -> Iterator[Path]:
    root = Path(stripe.__file__).parent
    for path in sorted(root.rglob("_*_service.py")):
        if "v2" not in path.relative_to(root).parts:
            yield path


def _imported_names(tree: ast.Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and ".params" in node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = node.module
    return names


def _params_annotation(func: ast.FunctionDef) -> str | None:
    for arg in func.args.args + func.args.posonlyargs:
        if arg.arg == "params" and arg.annotation is not None:
            text = ast.unparse(arg.annotation)
            found = re.search(r"(\w+Params)", text)
            return found.group(1) if found else None
    return None


def _request_call(func: ast.FunctionDef) -> tuple[str, str] | None:
    for node in ast.walk(func):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "_request"
            and len(node.args) >= 2
        ):
            method, path = node.args[0], node.args[1]
            if isinstance(path, ast.Call) and isinstance(path.func, ast.Attribute):
                path = path.func.value  # "/v1/x/{id}".format(...)
            if isinstance(method, ast.Constant) and isinstance(path, ast.Constant):
                return str(method.value).upper(), str(path.value)
    return None


def normalize(path: str) -> str:
    """``/v1/customers/{customer}`` and ``/v1/customers/{id}`` both as ``/v1/customers/{}``."""
    return _TEMPLATE.sub("{}", path)


@cache
def sdk_params_by_endpoint() -> dict[tuple[str, str], type]:
    """``(METHOD, normalized path) -> params TypedDict`` for every v1 endpoint of the SDK."""
    found: dict[tuple[str, str], type] = {}
    for file in _service_files():
        tree = ast.parse(file.read_text())
        imported = _imported_names(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            call = _request_call(node)
            name = _params_annotation(node)
            if call is None or name is None or name not in imported:
                continue
            module = importlib.import_module(imported[name])
            found[(call[0], normalize(call[1]))] = getattr(module, name)
    return found


def _dummy(tp: Any) -> Any:
    if tp is bool:
        return True
    if tp is int:
        return 1
    if tp is float:
        return 1.5
    if tp is decimal.Decimal:
        return decimal.Decimal("1.5")
    return "x"


def _walk(tp: Any, path: Path_) -> Iterator[Leaf]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Union or origin is types.UnionType:
        alternatives = [a for a in args if a is not type(None)]
        structured = [a for a in alternatives if _is_structured(a)]
        if structured:
            for alternative in structured:
                yield from _walk(alternative, path)
            return
        literal_values = [v for a in alternatives for v in typing.get_args(a) if _is_literal(a)]
        scalars = [a for a in alternatives if not _is_literal(a)]
        useful = [v for v in literal_values if v != ""]
        yield Leaf(path, useful[0] if useful else _dummy(scalars[0] if scalars else str))
        return
    if _is_literal(tp):
        values = [v for v in args if v != ""]
        if values:
            yield Leaf(path, values[0])
        return
    if origin is list:
        yield from _walk(args[0], (*path, 0))
        return
    if origin is dict and typing_extensions.is_typeddict(args[1]):
        yield from _walk(args[1], (*path, "key"))  # a hash of hashes: currency_options[eur]
        return
    if origin is dict or (origin is not None and "StripeObject" in repr(origin)):
        yield Leaf(path, {"key": "value"})
        return
    if typing_extensions.is_typeddict(tp):
        for name, hint in typing.get_type_hints(tp, localns=_LOCALS).items():
            if not path and name in REQUEST_OPTIONS:
                continue
            yield from _walk(hint, (*path, name))
        return
    if "StripeObject" in repr(tp):
        yield Leaf(path, {"key": "value"})
        return
    yield Leaf(path, _dummy(tp))


def _is_literal(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Literal, typing_extensions.Literal)


def _is_structured(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    return (
        origin is list
        or origin is dict
        or typing_extensions.is_typeddict(tp)
        or "StripeObject" in repr(tp)
    )


def parameter_leaves(params: type) -> list[Leaf]:
    """Every parameter ``params`` can send, once per path, with a well-typed dummy value."""
    unique: dict[Path_, Leaf] = {}
    for leaf in _walk(params, ()):
        unique.setdefault(leaf.path, leaf)
    return list(unique.values())
