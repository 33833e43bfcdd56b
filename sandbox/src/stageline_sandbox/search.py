"""Stripe's Search query language, turned into conditions on the store.

Clauses are ``field:'value'`` (exact), ``field~'value'`` (substring), ``field>n`` (also
``<``, ``>=``, ``<=``; numbers), ``metadata['key']:'value'``, a leading ``-`` negates, and
clauses join with ``AND`` or ``OR`` (not both), at most 10 of them.

>>> sql, args = to_sql("email:'a@b.c' AND metadata['account_id']:'acct-1'", CUSTOMER_FIELDS)
>>> print(sql)
(email = ?) AND (json_extract(data, '$.metadata."account_id"') = ?)
>>> args
['a@b.c', 'acct-1']
"""

from __future__ import annotations

import re
from typing import Any

from stageline_sandbox.errors import StripeApiError

MAX_CLAUSES = 10

CUSTOMER_FIELDS = {
    "email": "email",
    "name": "json_extract(data, '$.name')",
    "phone": "json_extract(data, '$.phone')",
    "created": "created",
}
SUBSCRIPTION_FIELDS = {
    "status": "status",
    "created": "created",
    "canceled_at": "json_extract(data, '$.canceled_at')",
}
INVOICE_FIELDS = {
    "status": "status",
    "customer": "customer",
    "created": "created",
    "total": "json_extract(data, '$.total')",
    "currency": "json_extract(data, '$.currency')",
}

_CLAUSE = re.compile(
    r"""\s*(?P<neg>-)?
    (?:metadata\[(?P<mq>['"])(?P<mkey>[^'"]+)(?P=mq)\]|(?P<field>[a-z_]+))
    \s*(?P<op>:|~|>=|<=|>|<)\s*
    (?:(?P<q>['"])(?P<text>(?:[^'"\\]|\\.)*)(?P=q)|(?P<number>-?\d+(?:\.\d+)?)|(?P<null>null))
    \s*""",
    re.VERBOSE,
)
_JOIN = re.compile(r"\s+(AND|OR)\s+")


def invalid_query(message: str) -> StripeApiError:
    return StripeApiError(400, message, code="parameter_invalid", param="query")


def _clause(match: re.Match[str], fields: dict[str, str]) -> tuple[str, list[Any]]:
    op = match["op"]
    if match["mkey"] is not None:
        column = f"json_extract(data, '$.metadata.\"{match['mkey']}\"')"
    elif match["field"] in fields:
        column = fields[match["field"]]
    else:
        raise invalid_query(
            f"Field '{match['field']}' is not supported here. Supported fields: "
            f"{', '.join(sorted(fields))}, metadata."
        )
    value: Any
    if match["null"] is not None:
        if op != ":":
            raise invalid_query("null can only be compared with ':'.")
        sql = f"{column} IS NULL"
        value = None
    elif match["number"] is not None:
        value = float(match["number"]) if "." in match["number"] else int(match["number"])
        sql = f"{column} {'=' if op == ':' else op} ?"
    else:
        value = match["text"].replace("\\'", "'").replace('\\"', '"')
        if op == "~":
            if len(value) < 3:
                raise invalid_query("A substring search (~) needs at least 3 characters.")
            sql, value = f"{column} LIKE ?", f"%{value}%"
        elif op == ":":
            sql = f"{column} = ?"
        else:
            raise invalid_query(f"The operator {op} needs a number.")
    if match["neg"]:
        sql = f"NOT ({sql})" if value is not None else f"{column} IS NOT NULL"
    return sql, [] if value is None else [value]


def to_sql(query: str, fields: dict[str, str]) -> tuple[str, list[Any]]:
    """One SQL condition (with its arguments) for a Search API query string."""
    if not query.strip():
        raise invalid_query("The query must not be empty.")
    parts = _JOIN.split(query.strip())
    clauses, joins = parts[0::2], parts[1::2]
    if len(set(joins)) > 1:
        raise invalid_query("A query cannot mix AND and OR.")
    if len(clauses) > MAX_CLAUSES:
        raise invalid_query(f"A query can have at most {MAX_CLAUSES} clauses.")
    sql_parts: list[str] = []
    args: list[Any] = []
    for text in clauses:
        match = _CLAUSE.fullmatch(text)
        if match is None:
            raise invalid_query(f"The query could not be parsed near: {text.strip()!r}")
        sql, clause_args = _clause(match, fields)
        sql_parts.append(f"({sql})")
        args.extend(clause_args)
    return f" {joins[0] if joins else 'AND'} ".join(sql_parts), args
