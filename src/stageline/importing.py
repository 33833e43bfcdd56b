"""CSV import of our own accounts and users: validated whole before anything is written.

Accounts: a header row with ``external_id``; ``name`` and every other column are optional,
every column but ``external_id`` and ``name`` is a property. Users: ``external_id``, optional
``name``, ``email`` and ``account_external_ids`` (separated by ``;``); every other column is a
property. A column the file does not name is left as it is; so is an empty cell, unless
``clear_empty`` asks to clear what it stands for.

The file is read strictly (RFC 4180 quoting): a quote that never closes, a stray character
after a closing quote, a row with the wrong number of cells, a NUL byte or bytes that are not
UTF-8 are refused with the line they are on.

>>> row = parse_accounts_csv("external_id,name,plan\\nacme,Acme,pro\\n")[0]
>>> row.name, row.properties
('Acme', {'plan': 'pro'})
>>> parse_accounts_csv("external_id,plan,seats\\nacme,,12\\n")[0]
AccountRow(external_id='acme', name=None, properties={'seats': '12'}, cleared=frozenset(), line=2)
>>> parse_accounts_csv('external_id,name\\nacme,"Acme\\n')
Traceback (most recent call last):
stageline.errors.InvalidInput: line 2: a quoted value never closes
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from stageline.errors import InvalidInput
from stageline.names import check_name
from stageline.store.accounts import USER_FIELDS, AccountRow, UserRow

MAX_ROWS = 1_000_000
MAX_LENGTH = {"external_id": 200, "name": 300, "email": 320}
SINGLE_LINE = ("external_id", "name", "email", "account_external_ids")


def decode_csv(data: bytes, *, what: str) -> str:
    """The text of a UTF-8 file (a byte order mark is allowed), or which line is not UTF-8.

    >>> decode_csv(b"external_id\\nacme\\ncaf\\xe9\\n", what="accounts")
    Traceback (most recent call last):
    stageline.errors.InvalidInput: line 3: the accounts CSV is not UTF-8 text
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidInput(
            f"line {line}: the {what} CSV is not UTF-8 text", hint="save the CSV as UTF-8"
        ) from None


def _records(text: str, what: str) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` for each record, ``line`` being where the record starts."""
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise InvalidInput(
            f"line {line}: the {what} CSV contains a NUL byte",
            hint="export the file again as CSV text",
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, skipinitialspace=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InvalidInput(f"line {start}: {_explain(str(exc))}", hint=_QUOTING) from None
        yield start, cells
        start = reader.line_num + 1


_QUOTING = 'quote a value that holds a comma, a quote or a line break, and double its quotes ("")'


def _explain(message: str) -> str:
    if message == "unexpected end of data":
        return "a quoted value never closes"
    if message.endswith("expected after '\"'"):
        return "a quoted value is followed by more text before the next comma"
    return message


def _rows(
    text: str, required: tuple[str, ...], what: str
) -> Iterator[tuple[int, list[str], dict[str, str]]]:
    """The header, then ``(line, header, row)`` per non-blank record, every value stripped."""
    records = _records(text, what)
    found = next(((n, cells) for n, cells in records if any(c.strip() for c in cells)), None)
    if found is None:
        raise InvalidInput(f"the {what} CSV is empty", hint="add a header row")
    header = [cell.strip() for cell in found[1]]
    _check_header(header, required, what, found[0])
    seen: dict[str, int] = {}
    count = 0
    for line, cells in records:
        if not cells or all(not cell.strip() for cell in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            raise InvalidInput(f"the {what} CSV has more than {MAX_ROWS} rows")
        if len(cells) != len(header):
            raise InvalidInput(
                f"line {line}: expected {len(header)} fields, found {len(cells)}",
                hint="quote values that contain commas",
            )
        row = {column: cell.strip() for column, cell in zip(header, cells, strict=True)}
        _check_row(row, line)
        external_id = row["external_id"]
        if external_id in seen:
            raise InvalidInput(
                f"line {line}: external_id {external_id!r} repeats line {seen[external_id]}"
            )
        seen[external_id] = line
        yield line, header, row


def _check_header(header: list[str], required: tuple[str, ...], what: str, line: int) -> None:
    for position, column in enumerate(header, start=1):
        if not column:
            raise InvalidInput(f"line {line}: column {position} of the header has no name")
        check_name(column, f"line {line}: column {position}'s name")
    repeated = sorted({column for column in header if header.count(column) > 1})
    if repeated:
        raise InvalidInput(
            f"line {line}: the {what} CSV header repeats {', '.join(repeated)}",
            hint="name each column once",
        )
    missing = [column for column in required if column not in header]
    if missing:
        raise InvalidInput(
            f"line {line}: the {what} CSV has no {', '.join(missing)} column",
            hint=f"the header row must name {', '.join(required)}",
        )


def _check_row(row: dict[str, str], line: int) -> None:
    if not row["external_id"]:
        raise InvalidInput(f"line {line}: external_id is empty")
    check_name(row.get("name", ""), f"line {line}: the name")
    for column in SINGLE_LINE:
        value = row.get(column, "")
        if "\n" in value or "\r" in value:
            raise InvalidInput(
                f"line {line}: {column} spans several lines (is a quote not closed?)",
                hint=_QUOTING,
            )
    for column, limit in MAX_LENGTH.items():
        if len(row.get(column, "")) > limit:
            raise InvalidInput(f"line {line}: {column} is longer than {limit} characters")


def parse_accounts_csv(text: str, *, clear_empty: bool = False) -> list[AccountRow]:
    """Account rows; an empty cell keeps the stored value, or clears it with ``clear_empty``.

    An account always has a name: clearing it is refused.
    """
    result = []
    for line, header, row in _rows(text, ("external_id",), "accounts"):
        if "name" in header and not row["name"] and clear_empty:
            raise InvalidInput(f"line {line}: name is empty", hint="every account has a name")
        columns = [c for c in header if c not in ("external_id", "name")]
        result.append(
            AccountRow(
                external_id=row["external_id"],
                name=row.get("name") or None,
                properties={c: row[c] for c in columns if row[c]},
                cleared=frozenset(c for c in columns if not row[c] and clear_empty),
                line=line,
            )
        )
    return result


def parse_users_csv(text: str, *, clear_empty: bool = False) -> list[UserRow]:
    """User rows; ``account_external_ids`` replaces the user's accounts when it has any (an
    empty cell keeps them, or removes them all with ``clear_empty``)."""
    result = []
    for line, header, row in _rows(text, ("external_id",), "users"):
        given = row.get("account_external_ids", "")
        accounts = tuple(dict.fromkeys(p.strip() for p in given.split(";") if p.strip()))
        columns = [c for c in header if c != "external_id"]
        result.append(
            UserRow(
                external_id=row["external_id"],
                name=row.get("name") or None,
                email=(row.get("email") or "").lower() or None,
                properties={c: row[c] for c in columns if c not in USER_FIELDS and row[c]},
                account_external_ids=accounts or None,
                cleared=frozenset(c for c in columns if not row[c] and clear_empty),
                line=line,
            )
        )
    return result
