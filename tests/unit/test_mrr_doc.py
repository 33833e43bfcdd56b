"""docs/mrr.md is the published definition: its worked examples must be what the code computes."""

from __future__ import annotations

from dataclasses import dataclass, fields
from fractions import Fraction
from pathlib import Path

import pytest

from stageline.domain.money import Money
from stageline.domain.mrr import MrrPolicy, account_mrr
from stageline.domain.pricing import MONTHS_PER_INTERVAL

from .builders import NOW
from .mrr_cases import BY_ID

DOC = Path(__file__).resolve().parents[2] / "docs" / "mrr.md"


@dataclass(frozen=True)
class Row:
    id: str
    setup: str
    policy: MrrPolicy
    mrr: str


def worked_examples() -> list[Row]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Worked examples", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("|")]
    rows = []
    for line in table[2:]:  # header and separator
        id_, setup, policy, mrr = (cell.strip() for cell in line.strip("|").split("|"))
        rows.append(Row(id_, setup, parse_policy(policy), mrr))
    return rows


def parse_policy(cell: str) -> MrrPolicy:
    if cell == "default":
        return MrrPolicy()
    switches = [name.strip().strip("`") for name in cell.split(",")]
    known = {f.name for f in fields(MrrPolicy)}
    assert set(switches) <= known, f"unknown switch in docs/mrr.md: {switches}"
    return MrrPolicy(**dict.fromkeys(switches, True))


ROWS = worked_examples()


def test_the_table_is_there_and_names_known_cases() -> None:
    assert len(ROWS) >= 30
    assert len({row.id for row in ROWS}) == len(ROWS)
    assert [row.id for row in ROWS if row.id not in BY_ID] == []


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_documented_example_matches_the_code(row: Row) -> None:
    case = BY_ID[row.id]
    assert row.policy == case.policy, "the doc's policy column disagrees with the case"
    breakdown = account_mrr(
        case.subscriptions, now=NOW, policy=row.policy, customer_discounts=case.customer_discounts
    )
    shown = " + ".join(Money(v, c).format() for c, v in sorted(breakdown.totals.items()))
    assert shown == row.mrr


def test_documented_factors_match_the_code() -> None:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    for interval, factor in MONTHS_PER_INTERVAL.items():
        (row,) = [line for line in lines if line.startswith(f"| `{interval}` |")]
        written = row.split("|")[2].split()[0]  # e.g. "52/12" from "52/12 (≈ 4.333)"
        assert Fraction(written) == factor, row
