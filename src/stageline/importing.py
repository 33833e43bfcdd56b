"""CSV import of our own accounts and users: validated whole before anything is written.

Accounts: a header row with ``external_id`` and ``name``; every other column is a property.
Users: ``external_id``, optional ``name`` and ``email``, ``account_external_ids`` separated by
``;``; every other column is a property.

>>> parse_accounts_csv("external_id,name,plan\\nacme,Acme,pro\\n")[0].properties
{'plan': 'pro'}
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from stageline.errors import InvalidInput
from stageline.names import check_name
from stageline.store.accounts import AccountRow, UserRow

MAX_ROWS = 1_000_000


def _rows(text: str, required: tuple[str, ...], what: str) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InvalidInput(f"the {what} CSV is empty", hint="add a header row") from None
    missing = [column for column in required if column not in header]
    if missing:
        raise InvalidInput(
            f"the {what} CSV has no {', '.join(missing)} column",
            hint=f"the header row must name {', '.join(required)}",
        )
    if len(set(header)) != len(header):
        raise InvalidInput(f"the {what} CSV header repeats a column name")
    for column, name in enumerate(header, start=1):
        check_name(name, f"line 1: column {column}'s name")
    seen: set[str] = set()
    for number, values in enumerate(reader, start=2):
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise InvalidInput(
                f"line {number}: expected {len(header)} fields, found {len(values)}",
                hint="quote values that contain commas",
            )
        if number > MAX_ROWS + 1:
            raise InvalidInput(f"the {what} CSV has more than {MAX_ROWS} rows")
        row = {h: v.strip() for h, v in zip(header, values, strict=True)}
        if not row["external_id"]:
            raise InvalidInput(f"line {number}: external_id is empty")
        if row["external_id"] in seen:
            raise InvalidInput(f"line {number}: external_id {row['external_id']!r} repeats")
        seen.add(row["external_id"])
        yield number, row


def parse_accounts_csv(text: str) -> list[AccountRow]:
    result = []
    for number, row in _rows(text, ("external_id", "name"), "accounts"):
        if not row["name"]:
            raise InvalidInput(f"line {number}: name is empty")
        check_name(row["name"], f"line {number}: the name")
        properties = {k: v for k, v in row.items() if k not in ("external_id", "name")}
        result.append(
            AccountRow(external_id=row["external_id"], name=row["name"], properties=properties)
        )
    return result


def parse_users_csv(text: str) -> list[UserRow]:
    reserved = ("external_id", "name", "email", "account_external_ids")
    result = []
    for number, row in _rows(text, ("external_id",), "users"):
        check_name(row.get("name", ""), f"line {number}: the name")
        accounts = tuple(
            part.strip() for part in row.get("account_external_ids", "").split(";") if part.strip()
        )
        result.append(
            UserRow(
                external_id=row["external_id"],
                name=row.get("name") or None,
                email=row.get("email") or None,
                properties={k: v for k, v in row.items() if k not in reserved},
                account_external_ids=accounts,
            )
        )
    return result
