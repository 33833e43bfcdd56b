"""Customer → account/user matching: each step, order, ambiguity, reasons, stored form."""

from __future__ import annotations

from typing import Any

import pytest

from stageline.domain.billing import Customer
from stageline.domain.matching import (
    DEFAULT_MATCH_STRATEGY,
    AccountRecord,
    CustomerMatch,
    EmailDomainStep,
    EmailStep,
    MatchStrategy,
    MatchStrategyError,
    MetadataStep,
    PropertyStep,
    UserRecord,
    match_customers,
    strategy_from_dict,
    strategy_to_dict,
)

ACCOUNTS = (
    AccountRecord(1, "acme", "Acme", {"stripe_customer_id": "cus_prop"}, domain="acme.com"),
    AccountRecord(2, "globex", "Globex", {"stripe_ids": ["cus_g1", "cus_g2"]}, "www.globex.io"),
    AccountRecord(3, "initech", "Initech", {"domain": "https://Initech.com/about"}),
    AccountRecord(4, "twin-a", "Twin A", {"stripe_customer_id": "cus_twin"}, domain="twins.dev"),
    AccountRecord(5, "twin-b", "Twin B", {"stripe_customer_id": "cus_twin"}, domain="twins.dev"),
)
USERS = (
    UserRecord(10, "u-ann", "Ann@Acme.com", {}, account_ids=(1,)),
    UserRecord(11, "u-bob", "bob@gmail.com", {"stripe_customer_id": "cus_bob"}, (1, 2)),
    UserRecord(12, "u-cy", "shared@example.com", {}, ()),
    UserRecord(13, "u-dee", "shared@example.com", {}, (3,)),
)


def one(customer: Customer, *steps: Any) -> CustomerMatch:
    strategy = MatchStrategy(tuple(steps)) if steps else DEFAULT_MATCH_STRATEGY
    (match,) = match_customers([customer], ACCOUNTS, USERS, strategy).matches
    return match


@pytest.mark.parametrize(
    ("customer", "step", "expected"),
    [
        (
            Customer("cus_1", metadata={"account_id": "acme"}),
            MetadataStep(),
            CustomerMatch("cus_1", (1,), None, "metadata account_id -> account", "matched", None),
        ),
        (
            Customer("cus_1", metadata={"user_id": "u-bob"}),
            MetadataStep("user_id", "user"),
            CustomerMatch("cus_1", (1, 2), 11, "metadata user_id -> user", "matched", None),
        ),
        (
            Customer("cus_prop"),
            PropertyStep(),
            CustomerMatch(
                "cus_prop", (1,), None, "property stripe_customer_id -> account", "matched", None
            ),
        ),
        (
            Customer("cus_g2"),
            PropertyStep("stripe_ids"),
            CustomerMatch("cus_g2", (2,), None, "property stripe_ids -> account", "matched", None),
        ),
        (
            Customer("cus_bob"),
            PropertyStep(target="user"),
            CustomerMatch(
                "cus_bob", (1, 2), 11, "property stripe_customer_id -> user", "matched", None
            ),
        ),
        (
            Customer("cus_1", email=" ann@ACME.com "),
            EmailStep(),
            CustomerMatch("cus_1", (1,), 10, "email -> user", "matched", None),
        ),
        (
            Customer("cus_1", email="cfo@acme.com"),
            EmailDomainStep(),
            CustomerMatch("cus_1", (1,), None, "email domain -> account", "matched", None),
        ),
        (
            Customer("cus_1", email="cfo@globex.io"),
            EmailDomainStep(),
            CustomerMatch("cus_1", (2,), None, "email domain -> account", "matched", None),
        ),
        (
            Customer("cus_1", email="cfo@initech.com"),
            EmailDomainStep(),
            CustomerMatch("cus_1", (3,), None, "email domain -> account", "matched", None),
        ),
    ],
    ids=lambda value: getattr(value, "name", None) if not isinstance(value, Customer) else None,
)
def test_each_step_matches(customer: Customer, step: Any, expected: CustomerMatch) -> None:
    assert one(customer, step) == expected


@pytest.mark.parametrize(
    ("customer", "step", "status", "reason"),
    [
        (Customer("c"), MetadataStep(), "unmatched", "no metadata key 'account_id'"),
        (
            Customer("c", metadata={"account_id": " "}),
            MetadataStep(),
            "unmatched",
            "no metadata key 'account_id'",
        ),
        (
            Customer("c", metadata={"account_id": "nope"}),
            MetadataStep(),
            "unmatched",
            "metadata account_id='nope' matches no account",
        ),
        (
            Customer("c"),
            PropertyStep(),
            "unmatched",
            "property stripe_customer_id='c' matches no account",
        ),
        (
            Customer("cus_twin"),
            PropertyStep(),
            "ambiguous",
            "property stripe_customer_id='cus_twin' matches 2 accounts",
        ),
        (Customer("c"), EmailStep(), "unmatched", "customer has no email"),
        (Customer("c", email="x@y.z"), EmailStep(), "unmatched", "email 'x@y.z' matches no user"),
        (
            Customer("c", email="shared@example.com"),
            EmailStep(),
            "ambiguous",
            "email 'shared@example.com' matches 2 users",
        ),
        (
            Customer("c", email="bob@gmail.com"),
            EmailDomainStep(),
            "unmatched",
            "email domain 'gmail.com' is a free-mail domain",
        ),
        (
            Customer("c", email="ceo@twins.dev"),
            EmailDomainStep(),
            "ambiguous",
            "email domain 'twins.dev' matches 2 accounts",
        ),
        (
            Customer("c", email="a@nowhere.org"),
            EmailDomainStep(),
            "unmatched",
            "email domain 'nowhere.org' matches no account",
        ),
    ],
)
def test_unmatched_and_ambiguous_reasons(
    customer: Customer, step: Any, status: str, reason: str
) -> None:
    match = one(customer, step)
    assert (match.status, match.reason, match.account_ids, match.user_id) == (
        status,
        reason,
        (),
        None,
    )


def test_first_hit_wins_and_misses_accumulate() -> None:
    steps = (MetadataStep(), PropertyStep(), EmailStep(), EmailDomainStep())
    by_metadata = Customer("cus_prop", email="ann@acme.com", metadata={"account_id": "globex"})
    assert one(by_metadata, *steps).account_ids == (2,)
    by_email = Customer("cus_x", email="ann@acme.com")
    assert one(by_email, *steps).step == "email -> user"
    nothing = one(Customer("cus_y", email="joe@gmail.com"), *steps)
    assert nothing.status == "unmatched"
    assert nothing.reason == (
        "no metadata key 'account_id'; property stripe_customer_id='cus_y' matches no account; "
        "email 'joe@gmail.com' matches no user; email domain 'gmail.com' is a free-mail domain"
    )


def test_ambiguity_stops_the_strategy() -> None:
    """A later, weaker step must not hide a conflict found by an earlier one."""
    match = one(Customer("cus_twin", email="cfo@acme.com"), PropertyStep(), EmailDomainStep())
    assert (match.status, match.step) == ("ambiguous", "property stripe_customer_id -> account")


def test_user_without_accounts_is_matched_but_says_so() -> None:
    match = one(Customer("c", metadata={"user_id": "u-cy"}), MetadataStep("user_id", "user"))
    assert (match.status, match.user_id, match.account_ids) == ("matched", 12, ())
    assert match.reason == "user 12 belongs to no account"


def test_custom_free_mail_list() -> None:
    step = EmailDomainStep(free_mail_domains=frozenset({"acme.com"}))
    assert one(Customer("c", email="x@acme.com"), step).status == "unmatched"
    assert one(Customer("c", email="x@gmail.com"), step).status == "unmatched"  # no such account


def test_report_groups_customers_and_skips_deleted_ones() -> None:
    customers = [
        Customer("cus_a", metadata={"account_id": "acme"}),
        Customer("cus_b", metadata={"account_id": "acme"}),
        Customer("cus_c", metadata={"account_id": "globex"}),
        Customer("cus_d"),
        Customer("cus_e", deleted=True),
    ]
    report = match_customers(customers, ACCOUNTS, USERS)
    assert [m.customer_id for m in report.matches] == ["cus_a", "cus_b", "cus_c", "cus_d", "cus_e"]
    assert report.customers_by_account() == {1: ("cus_a", "cus_b"), 2: ("cus_c",)}
    assert [m.customer_id for m in report.unmatched] == ["cus_d"]
    assert report.skipped == (
        CustomerMatch("cus_e", (), None, None, "skipped", "customer deleted in Stripe"),
    )
    assert report.ambiguous == ()


def test_strategy_metadata_shortcut() -> None:
    assert MatchStrategy.metadata() == DEFAULT_MATCH_STRATEGY
    assert MatchStrategy.metadata("org", "user").steps == (MetadataStep("org", "user"),)


def test_strategy_round_trips_through_plain_data() -> None:
    strategy = MatchStrategy(
        (
            PropertyStep("sid", "user"),
            MetadataStep("org"),
            EmailStep(),
            EmailDomainStep(),
            EmailDomainStep(free_mail_domains=frozenset({"corp-mail.example"})),
        )
    )
    assert strategy_from_dict(strategy_to_dict(strategy)) == strategy


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "non-empty list"),
        ({"steps": []}, "non-empty list"),
        ({"steps": [{"type": "magic"}]}, "'type' must be one of"),
        ({"steps": ["metadata"]}, "'type' must be one of"),
        ({"steps": [{"type": "metadata"}]}, "'key' must be a non-empty string"),
        ({"steps": [{"type": "property", "property": ""}]}, "'property' must be"),
        ({"steps": [{"type": "metadata", "key": "k", "target": "org"}]}, "'account' or 'user'"),
        ({"steps": [{"type": "email_domain", "target": "user"}]}, "target must be 'account'"),
        ({"steps": [{"type": "email", "key": "x"}]}, "unknown field"),
        ({"steps": [{"type": "email_domain", "free_mail_domains": "x"}]}, "list of strings"),
    ],
)
def test_invalid_strategy_raises_a_named_error(data: Any, message: str) -> None:
    with pytest.raises(MatchStrategyError, match=message):
        strategy_from_dict(data)
