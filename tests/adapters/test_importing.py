"""CSV parsing refuses bad files whole, with the line that is wrong."""

from __future__ import annotations

import pytest

from stageline.errors import InvalidInput
from stageline.importing import parse_accounts_csv, parse_users_csv


def test_accounts_columns_beyond_id_and_name_become_properties() -> None:
    rows = parse_accounts_csv("external_id,name,plan,seats\nacme,Acme Inc,pro,12\n")
    assert rows[0].external_id == "acme"
    assert rows[0].name == "Acme Inc"
    assert rows[0].properties == {"plan": "pro", "seats": "12"}


def test_quoted_commas_and_blank_lines_are_fine() -> None:
    rows = parse_accounts_csv('external_id,name\n\nacme,"Acme, Inc."\n')
    assert [r.name for r in rows] == ["Acme, Inc."]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("id,name\nacme,Acme\n", "no external_id column"),
        ("external_id,name\nacme,Acme,extra\n", "line 2: expected 2 fields, found 3"),
        ("external_id,name\n,Acme\n", "line 2: external_id is empty"),
        ("external_id,name\nacme,Acme\nacme,Again\n", "line 3: external_id 'acme' repeats"),
        ("external_id,name\nacme,\n", "line 2: name is empty"),
        ("external_id,name,name\nacme,A,B\n", "repeats a column"),
    ],
)
def test_malformed_account_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_accounts_csv(text)


def test_users_split_account_ids_on_semicolons() -> None:
    rows = parse_users_csv(
        "external_id,name,email,account_external_ids,role\nu1,Ann,ann@acme.com,acme; globex,admin\n"
    )
    assert rows[0].account_external_ids == ("acme", "globex")
    assert rows[0].email == "ann@acme.com"
    assert rows[0].properties == {"role": "admin"}
