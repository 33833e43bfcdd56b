"""CSV parsing refuses bad files whole, with the line that is wrong, and tells a column the
file leaves out, an empty cell and a cell to clear apart."""

from __future__ import annotations

import doctest

import pytest

from stageline import importing
from stageline.errors import InvalidInput
from stageline.importing import decode_csv, parse_accounts_csv, parse_users_csv


def test_accounts_columns_beyond_id_and_name_become_properties() -> None:
    rows = parse_accounts_csv("external_id,name,plan,seats\nacme,Acme Inc,pro,12\n")
    assert rows[0].external_id == "acme"
    assert rows[0].name == "Acme Inc"
    assert rows[0].properties == {"plan": "pro", "seats": "12"}


def test_quoted_commas_and_blank_lines_are_fine() -> None:
    rows = parse_accounts_csv('external_id,name\n\nacme,"Acme, Inc."\n')
    assert [r.name for r in rows] == ["Acme, Inc."]


def test_quoted_quotes_spaces_after_commas_and_crlf_are_fine() -> None:
    rows = parse_accounts_csv('external_id,name,plan\r\nacme, "Acme ""One""", pro\r\n')
    assert (rows[0].name, rows[0].properties) == ('Acme "One"', {"plan": "pro"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the accounts CSV is empty"),
        ("\n  \n\n", "the accounts CSV is empty"),
        ("id,name\nacme,Acme\n", "line 1: the accounts CSV has no external_id column"),
        ("\nname\nAcme\n", "line 2: the accounts CSV has no external_id column"),
        ("external_id,name\nacme,Acme,extra\n", "line 2: expected 2 fields, found 3"),
        ("external_id,name\nacme\n", "line 2: expected 2 fields, found 1"),
        ("external_id,name\n,Acme\n", "line 2: external_id is empty"),
        ("external_id,name\nacme,Acme\nacme,Again\n", "line 3: external_id 'acme' repeats line 2"),
        ("external_id,name,name\nacme,A,B\n", "line 1: the accounts CSV header repeats name"),
        ("external_id, plan ,plan\nacme,A,B\n", "line 1: the accounts CSV header repeats plan"),
        ("external_id,name,\nacme,A,B\n", "line 1: column 3 of the header has no name"),
        # a quote that never closes would swallow the rest of the file into one value
        ('external_id,name\nacme,"Acme\nglobex,Globex\ninitech,Initech\n', "line 2: a quoted"),
        ('external_id,name\nok,Ok\nacme,"Acme\n', "line 3: a quoted value never closes"),
        # ... or, closed by a later stray quote, carry other rows inside a name
        ('external_id,name\nacme,"Acme\nglobex,Globex"\n', "line 2: name spans several lines"),
        ('external_id,name\nacme,"Acme" Inc\n', "line 2: a quoted value is followed by"),
        ("external_id,name\nacme,Ac\x00me\n", "line 2: the accounts CSV contains a NUL byte"),
        ("external_id,name\n" + "a" * 201 + ",A\n", "line 2: external_id is longer than 200"),
    ],
)
def test_malformed_account_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_accounts_csv(text)


def test_line_numbers_count_lines_inside_quoted_values() -> None:
    text = 'external_id,name,notes\nacme,Acme,"two\nlines"\nglobex,Globex,x,y\n'
    with pytest.raises(InvalidInput, match="line 4: expected 3 fields, found 4"):
        parse_accounts_csv(text)


def test_a_property_may_span_lines_when_quoted() -> None:
    rows = parse_accounts_csv('external_id,name,notes\nacme,Acme,"two\nlines"\n')
    assert rows[0].properties == {"notes": "two\nlines"}


def test_bytes_that_are_not_utf8_are_refused_with_their_line() -> None:
    with pytest.raises(InvalidInput, match="line 3: the accounts CSV is not UTF-8 text"):
        decode_csv(b"external_id,name\nacme,Acme\ncafe,Caf\xe9\n", what="accounts")
    assert decode_csv(b"\xef\xbb\xbfexternal_id\nacme\n", what="accounts") == "external_id\nacme\n"


def test_absent_columns_and_empty_cells_leave_values_alone() -> None:
    (row,) = parse_accounts_csv("external_id,plan,seats\nacme,,12\n")
    assert (row.name, row.properties, row.cleared) == (None, {"seats": "12"}, frozenset())
    (empty,) = parse_accounts_csv("external_id,name,plan\nacme,,\n")
    assert (empty.name, empty.properties, empty.cleared) == (None, {}, frozenset())


def test_clear_empty_names_the_properties_to_clear_but_never_the_name() -> None:
    (row,) = parse_accounts_csv("external_id,name,plan,seats\nacme,Acme,,12\n", clear_empty=True)
    assert (row.properties, row.cleared) == ({"seats": "12"}, frozenset({"plan"}))
    with pytest.raises(InvalidInput, match="line 2: name is empty"):
        parse_accounts_csv("external_id,name\nacme,\n", clear_empty=True)


def test_users_split_account_ids_on_semicolons() -> None:
    rows = parse_users_csv(
        "external_id,name,email,account_external_ids,role\nu1,Ann,Ann@Acme.com,acme; globex,admin\n"
    )
    assert rows[0].account_external_ids == ("acme", "globex")
    assert rows[0].email == "ann@acme.com"
    assert rows[0].properties == {"role": "admin"}


def test_users_without_email_or_accounts_keep_them_unless_cleared() -> None:
    (kept,) = parse_users_csv("external_id,role\nu1,admin\n")
    assert (kept.name, kept.email, kept.account_external_ids) == (None, None, None)
    text = "external_id,name,email,account_external_ids,role\nu1,,,,admin\n"
    (empty,) = parse_users_csv(text)
    assert (empty.email, empty.account_external_ids, empty.cleared) == (None, None, frozenset())
    (cleared,) = parse_users_csv(text, clear_empty=True)
    assert cleared.cleared == {"name", "email", "account_external_ids"}


def test_users_files_are_read_as_strictly() -> None:
    with pytest.raises(InvalidInput, match="line 2: a quoted value never closes"):
        parse_users_csv('external_id,name\nu1,"Ann\nu2,Bob\n')
    with pytest.raises(InvalidInput, match="line 2: email spans several lines"):
        parse_users_csv('external_id,email\nu1,"ann@x.io\nu2,bob@x.io"\n')


def test_docstring_examples() -> None:
    result = doctest.testmod(importing, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
