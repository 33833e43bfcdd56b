"""Settings as stored JSON, value sources, and MRR in the reporting currency."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from stageline.cli.settings import parse_step
from stageline.domain.matching import MetadataStep, PropertyStep
from stageline.domain.money import Money
from stageline.domain.mrr import MrrBreakdown
from stageline.errors import InvalidInput
from stageline.facts.compute import reporting_mrr
from stageline.facts.settings import ConnectionMatching, WorkspaceSettings
from stageline.facts.sources import ValueSource, property_mrr, property_renewal


def test_settings_round_trip_through_json() -> None:
    stored = {
        "reporting_currency": "EUR",
        "fx_rates": {"usd": "0.92", "GBP": 1.17},
        "fx_rates_date": "2026-01-31",
        "mrr_policy": {"count_trials": True},
        "mrr_source": "property:arr:year",
        "renewal_source": "property:renews_on",
        "matching": {
            "conn_1": {
                "steps": [{"type": "property", "property": "sid", "target": "user"}],
                "create_missing": True,
            }
        },
    }
    settings = WorkspaceSettings.from_json(stored)
    assert settings.reporting_currency == "eur"
    assert dict(settings.fx_rates) == {"gbp": Decimal("1.17"), "usd": Decimal("0.92")}
    assert settings.mrr_policy.count_trials and not settings.mrr_policy.apply_all_active_discounts
    assert (settings.mrr_source.property, settings.mrr_source.period) == ("arr", "year")
    assert settings.matching_for("conn_1").created_target == "user"
    assert WorkspaceSettings.from_json(settings.to_json()) == settings


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        ({"reporting_currency": "dollars"}, "3-letter"),
        ({"fx_rates": {"eur": "-1"}}, "positive"),
        ({"fx_rates": {"eur": "abc"}}, "not a number"),
        ({"fx_rates_date": "31/01/2026"}, "not a date"),
        ({"mrr_policy": {"count_trial": True}}, "unknown MRR switch"),
        ({"mrr_source": "hubspot"}, "unknown MRR source"),
        ({"renewal_source": "property:renews:year"}, "unknown renewal date source"),
        ({"stage_rules": {"rules": [{"name": "X", "statuses": ["cancelled"]}]}}, "unknown status"),
        ({"matching": {"c": {"steps": [{"type": "email", "target": "account"}]}}}, "target"),
        ({"matching": {"c": {"steps": [{"type": "email"}], "create_missing": "yes"}}}, "true"),
    ],
)
def test_invalid_settings_are_refused_with_the_problem_named(
    stored: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        WorkspaceSettings.from_json(stored)


def test_create_missing_adds_a_last_step_reading_the_created_property() -> None:
    plain = ConnectionMatching.from_json({"steps": [{"type": "metadata", "key": "org"}]})
    assert plain.effective_strategy() == plain.strategy
    creating = ConnectionMatching(plain.strategy, create_missing=True)
    assert creating.effective_strategy().steps == (
        MetadataStep("org"),
        PropertyStep("stripe_customer_id", "account"),
    )
    own = ConnectionMatching.from_json(
        {"steps": [{"type": "property", "property": "sid"}], "create_missing": True}
    )
    assert own.created_property == "sid" and own.effective_strategy() == own.strategy


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metadata:org:account", {"type": "metadata", "key": "org", "target": "account"}),
        ("property:sid:user", {"type": "property", "property": "sid", "target": "user"}),
        ("email", {"type": "email", "target": "user"}),
        ("email_domain:account", {"type": "email_domain", "target": "account"}),
    ],
)  # fmt: skip
def test_cli_steps_read_as_the_stored_form(text: str, expected: dict[str, str]) -> None:
    assert parse_step(text) == expected


@pytest.mark.parametrize("text", ["metadata", "magic:x", "email:user:extra", "property::account"])
def test_unreadable_cli_steps_name_the_forms(text: str) -> None:
    with pytest.raises(InvalidInput, match="cannot read matching step") as raised:
        parse_step(text)
    assert "metadata:KEY" in (raised.value.hint or "")


@pytest.mark.parametrize(
    ("source", "value", "expected"),
    [
        ("property:mrr", "99.50", Money(9950, "usd")),
        ("property:mrr", "1,200", Money(120000, "usd")),
        ("property:mrr", "80 EUR", Money(8000, "eur")),
        ("property:arr:year", "1000", Money(8333, "usd")),
        ("property:arr:year", "12000 jpy", Money(1000, "jpy")),
    ],
)
def test_an_mrr_property_is_read_in_major_units(source: str, value: str, expected: Money) -> None:
    parsed = ValueSource.parse(source, what="MRR")
    assert property_mrr(parsed, {parsed.property or "": value}, reporting_currency="usd") == (
        expected,
        None,
    )


@pytest.mark.parametrize(
    ("properties", "reason"),
    [({}, "not set"), ({"mrr": "lots"}, "not an amount"), ({"mrr": "-5"}, "negative")],
)
def test_an_unusable_mrr_property_says_why(properties: dict[str, str], reason: str) -> None:
    money, why = property_mrr(ValueSource("property", "mrr"), properties, reporting_currency="usd")
    assert money is None and why is not None and reason in why


def test_a_renewal_property_is_an_iso_date_in_utc() -> None:
    source = ValueSource("property", "renews")
    assert property_renewal(source, {"renews": "2026-04-01T09:30:00+02:00"})[0] == datetime(
        2026, 4, 1, 7, 30, tzinfo=UTC
    )
    assert property_renewal(source, {"renews": "soon"})[1] == (
        "property 'renews' is not an ISO 8601 date: 'soon'"
    )


def _breakdown(**totals: int) -> MrrBreakdown:
    return MrrBreakdown(lines=(), totals=totals)


def test_mrr_is_converted_with_the_rates_of_their_date_else_the_primary_currency() -> None:
    rates = WorkspaceSettings(fx_rates={"eur": Decimal("1.08")}, fx_rates_date="2026-01-31")
    assert reporting_mrr(_breakdown(usd=10000, eur=0), WorkspaceSettings()) == (
        Money(10000, "usd"),
        "reporting_currency",
        None,
    )
    money, basis, note = reporting_mrr(_breakdown(usd=10000, eur=10000), rates)
    assert (money, basis) == (Money(20800, "usd"), "converted")
    assert note == "converted at the rates of 2026-01-31: 1 eur = 1.08 usd"
    money, basis, note = reporting_mrr(_breakdown(gbp=9000, usd=100), rates)
    assert (money, basis) == (Money(9000, "gbp"), "primary_currency")
    assert note is not None and "no FX rate set for gbp" in note
