"""Changing settings re-evaluates every account: MRR switches, currencies and FX rates, value
sources, stage rules with a preview, and matching (with creating missing accounts)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import pytest

from stageline.domain.stages import rules_from_dict
from stageline.errors import InvalidInput
from stageline.facts import configure
from stageline.facts.settings import ConnectionMatching
from stageline.facts.users import user_detail
from stageline.facts.views import unmatched_customers
from stageline.store import accounts as account_store
from stageline.store.models import Workspace
from tests.facts.conftest import DAY, NOW, World, customer_json, price_json, sub_json, ts

T = TypeVar("T")


def _run(world: World, action: Callable[..., T], **kwargs: Any) -> T:
    with world.store.session() as session:
        workspace = session.get_one(Workspace, world.workspace_id)
        return action(session, workspace=workspace, **kwargs)


def _mrr(world: World, change: configure.MrrChange) -> dict[str, Any]:
    return _run(world, configure.set_mrr, change=change, now=NOW + DAY)


def test_each_mrr_switch_changes_the_accounts_it_concerns(world: World) -> None:
    world.accounts(("trial", "Trial"), ("leaving", "Leaving"), ("promo", "Promo"))
    world.put(
        "customer",
        customer_json("cus_t", "trial"),
        customer_json("cus_l", "leaving"),
        customer_json("cus_p", "promo"),
    )
    coupon = {"id": "HALF", "object": "coupon", "duration": "repeating", "percent_off": 50}
    discount = {
        "id": "di_1",
        "object": "discount",
        "start": ts(NOW - 10 * DAY),
        "end": ts(NOW + 80 * DAY),
        "source": {"type": "coupon", "coupon": coupon},
    }
    world.put(
        "subscription",
        sub_json("sub_t", "cus_t", status="trialing", trial_end=ts(NOW + 7 * DAY)),
        sub_json("sub_l", "cus_l", cancel_at_period_end=True, period_end=NOW + 20 * DAY),
        sub_json("sub_p", "cus_p", discounts=[discount]),
    )
    world.recompute()
    amounts = {ext: world.show(ext)["mrr"]["amount"] for ext in ("trial", "leaving", "promo")}
    assert amounts == {"trial": 0, "leaving": 0, "promo": 10000}
    done = _mrr(
        world,
        configure.MrrChange(
            switches={
                "count_trials": True,
                "keep_scheduled_cancellations": True,
                "apply_all_active_discounts": True,
            }
        ),
    )
    assert done["mrr"]["count_trials"] and done["recomputed"]["movements"] == 3
    after = {ext: world.show(ext, now=NOW + DAY) for ext in ("trial", "leaving", "promo")}
    assert {ext: a["mrr"]["amount"] for ext, a in after.items()} == {
        "trial": 10000,
        "leaving": 10000,
        "promo": 5000,
    }
    assert after["promo"]["movements"][0]["kind"] == "contraction"
    assert after["promo"]["movements"][0]["cause"] == "MRR settings changed"
    assert after["promo"]["mrr_lines"][0]["discount"].startswith("50% off")


def test_mrr_in_the_reporting_currency_uses_the_rates_the_user_set(world: World) -> None:
    world.accounts(("both", "Both"))
    world.put("customer", customer_json("cus_u", "both"), customer_json("cus_e", "both"))
    world.put(
        "subscription",
        sub_json("sub_u", "cus_u"),
        sub_json("sub_e", "cus_e", price=price_json("price_e", 20000, currency="eur")),
    )
    world.recompute()
    before = world.show("both")
    assert before["mrr"] == {"amount": 20000, "currency": "eur"}
    assert (
        before["mrr_basis"] == "primary_currency" and "no FX rate set for eur" in before["mrr_note"]
    )
    assert before["mrr_by_currency"] == {"eur": 20000, "usd": 10000}
    with pytest.raises(InvalidInput, match="need the date"):
        _mrr(world, configure.MrrChange(fx_rates={"eur": "1.10"}))
    with pytest.raises(InvalidInput, match="reporting currency usd"):
        _mrr(world, configure.MrrChange(fx_rates={"usd": "1"}, fx_rates_date="2026-02-01"))
    _mrr(world, configure.MrrChange(fx_rates={"eur": "1.10"}, fx_rates_date="2026-02-01"))
    after = world.show("both")
    assert after["mrr"] == {"amount": 32000, "currency": "usd"}
    assert (after["mrr_basis"], after["fx_rates_date"]) == ("converted", "2026-02-01")
    assert after["mrr_note"] == "converted at the rates of 2026-02-01: 1 eur = 1.10 usd"
    assert after["movements"][0]["kind"] == "new"  # the ledger follows Stripe MRR per currency
    moved = _mrr(world, configure.MrrChange(reporting_currency="eur"))
    assert moved["notes"] == ["FX rates cleared: they were to usd"]
    assert moved["mrr"]["fx_rates"] == {} and moved["mrr"]["fx_rates_date"] is None


def test_a_property_can_be_the_mrr_and_the_renewal_date(world: World) -> None:
    world.accounts(
        ("set", "Set", {"arr_override": "24000", "renews_on": "2026-09-01"}),
        ("unset", "Unset"),
    )
    world.put("customer", customer_json("cus_s", "set"), customer_json("cus_u", "unset"))
    world.put("subscription", sub_json("sub_s", "cus_s"), sub_json("sub_u", "cus_u"))
    world.recompute()
    _mrr(
        world,
        configure.MrrChange(
            mrr_source="property:arr_override:year", renewal_source="property:renews_on"
        ),
    )
    chosen, fallback = world.show("set"), world.show("unset")
    assert (chosen["mrr"], chosen["mrr_basis"]) == (
        {"amount": 200000, "currency": "usd"},
        "property",
    )
    assert (chosen["renewal_date"], chosen["renewal_basis"]) == ("2026-09-01T00:00:00Z", "property")
    assert chosen["mrr_by_currency"] == {"usd": 10000}  # Stripe's own figure stays visible
    assert (fallback["mrr"]["amount"], fallback["mrr_basis"]) == (10000, "reporting_currency")
    assert fallback["mrr_note"] == "property 'arr_override' is not set: Stripe's MRR used"
    assert fallback["renewal_basis"] == "stripe" and fallback["renewal_note"]
    with pytest.raises(InvalidInput, match="unknown MRR source"):
        _mrr(world, configure.MrrChange(mrr_source="arr_override"))


RULES = {
    "rules": [
        {"name": "At risk", "statuses": ["past_due"]},
        {"name": "Customer", "statuses": ["active", "incomplete", "incomplete_expired", "unpaid"]},
        {"name": "Trial", "statuses": ["trialing"]},
        {"name": "Churn", "statuses": ["canceled"]},
        {"name": "Paused", "statuses": ["paused"]},
    ]
}


def test_stage_rules_preview_changes_nothing_and_applying_moves_every_account(
    world: World,
) -> None:
    world.accounts(("late", "Late"), ("paused", "Paused"), ("fine", "Fine"), ("late2", "Late 2"))
    world.put(
        "customer",
        *(customer_json(f"cus_{ext}", ext) for ext in ("late", "paused", "fine", "late2")),
    )
    world.put(
        "subscription",
        sub_json("sub_late", "cus_late", status="past_due"),
        sub_json("sub_late2", "cus_late2", status="past_due"),
        sub_json("sub_paused", "cus_paused", status="paused"),
        sub_json("sub_fine", "cus_fine"),
    )
    world.recompute()
    rules = rules_from_dict(RULES)
    preview = _run(world, configure.preview_stage_rules, rules=rules)
    assert preview["moves"] == [
        {"from": "Customer", "to": "At risk", "accounts": 2},
        {"from": None, "to": "Paused", "accounts": 1},
    ]
    assert (preview["moved"], preview["unchanged"], preview["applied"]) == (3, 1, False)
    assert world.show("late")["stage"] == "Customer"
    with world.store.session() as session:
        stored = configure.stages_view(session.get_one(Workspace, world.workspace_id))
    assert stored["rules"][0]["name"] == "Customer"

    applied = _run(world, configure.set_stage_rules, rules=rules, now=NOW + DAY)
    assert applied["applied"] and applied["recomputed"]["stage_transitions"] == 3
    late = world.show("late", now=NOW + 3 * DAY)
    assert late["stage"] == "At risk" and late["time_in_stage_seconds"] == 2 * 86400
    assert late["stage_history"][0] == {
        "from": "Customer",
        "to": "At risk",
        "at": "2026-03-02T00:00:00Z",
        "cause": "stage rules changed",
    }
    paused = world.show("paused")
    assert (paused["stage"], paused["unmatched_statuses"]) == ("Paused", [])
    _run(world, configure.set_stage_rules, rules=None, now=NOW + 2 * DAY)
    assert world.show("late")["stage"] == "Customer"
    assert world.show("paused")["stage"] is None


def _matching(world: World, config: dict[str, Any] | None) -> dict[str, Any]:
    matching = ConnectionMatching.from_json(config) if config is not None else None
    return _run(world, configure.set_matching, connection_id=None, matching=matching, now=NOW + DAY)


def test_matching_steps_in_order_with_ambiguous_customers_listed(world: World) -> None:
    world.accounts(
        ("acme", "Acme", {"stripe_customer_id": "cus_prop", "domain": "acme.com"}),
        ("twin1", "Twin 1", {"domain": "twins.dev"}),
        ("twin2", "Twin 2", {"domain": "twins.dev"}),
    )
    world.put(
        "customer",
        customer_json("cus_prop"),
        customer_json("cus_dom", email="ops@acme.com"),
        customer_json("cus_twin", email="a@twins.dev"),
        customer_json("cus_free", email="joe@gmail.com"),
        {"id": "cus_gone", "object": "customer", "deleted": True},
    )
    world.put("subscription", sub_json("sub_prop", "cus_prop"), sub_json("sub_dom", "cus_dom"))
    world.recompute()
    assert world.show("acme")["mrr"]["amount"] == 0  # default: metadata account_id only
    done = _matching(
        world,
        {
            "steps": [
                {"type": "property", "property": "stripe_customer_id"},
                {"type": "metadata", "key": "account_id"},
                {"type": "email_domain"},
            ]
        },
    )
    assert not done["matching"]["default"]
    assert done["recomputed"]["customers"] == {
        "matched": 2,
        "unmatched": 1,
        "ambiguous": 1,
        "skipped": 1,
    }
    assert world.show("acme")["stripe_customer_ids"] == ["cus_dom", "cus_prop"]
    assert world.show("acme")["mrr"]["amount"] == 20000
    with world.store.session() as session:
        workspace = session.get_one(Workspace, world.workspace_id)
        rows = {r["customer_id"]: r for r in unmatched_customers(session, workspace=workspace)}
        everything = unmatched_customers(session, workspace=workspace, include_skipped=True)
    assert rows["cus_twin"]["status"] == "ambiguous"
    assert rows["cus_twin"]["reason"] == "email domain 'twins.dev' matches 2 accounts"
    assert (
        "free-mail" in rows["cus_free"]["reason"] and rows["cus_free"]["email"] == "joe@gmail.com"
    )
    assert {r["customer_id"]: r["status"] for r in everything}["cus_gone"] == "skipped"
    reset = _matching(world, None)
    assert reset["matching"]["default"] and world.show("acme")["mrr"]["amount"] == 0


def test_create_missing_makes_accounts_that_keep_matching(world: World) -> None:
    world.accounts(("acme", "Acme"))
    world.put(
        "customer",
        customer_json("cus_a", "acme"),
        customer_json("cus_new1", "newco", name="New Co"),
        customer_json("cus_new2", "newco"),
        customer_json("cus_bare", email="x@bare.io"),
    )
    world.put("subscription", sub_json("sub_1", "cus_new1"), sub_json("sub_2", "cus_new2"))
    done = _matching(
        world, {"steps": [{"type": "metadata", "key": "account_id"}], "create_missing": True}
    )
    assert done["recomputed"]["created"] == {"accounts": 2, "users": 0}
    assert done["recomputed"]["customers"]["unmatched"] == 0
    newco = world.show("newco")
    assert (newco["name"], newco["stripe_customer_ids"]) == ("New Co", ["cus_new1", "cus_new2"])
    assert newco["mrr"]["amount"] == 20000
    bare = world.show("cus_bare")
    assert (bare["name"], bare["properties"]) == ("x@bare.io", {"stripe_customer_id": "cus_bare"})
    again = world.recompute(now=NOW + 2 * DAY)
    assert (again.created_accounts, again.unmatched_customers, again.matched_customers) == (0, 0, 4)


def test_create_missing_users_and_a_user_shows_its_accounts_values(world: World) -> None:
    world.accounts(("acme", "Acme"))
    world.users(account_store.UserRow("u-1", "Ann", "ann@acme.com", {}, ("acme",)))
    world.put(
        "customer",
        customer_json("cus_ann", email="ann@acme.com"),
        customer_json("cus_bob", email="bob@acme.com", name="Bob"),
    )
    world.put("subscription", sub_json("sub_ann", "cus_ann", quantity=3))
    done = _matching(
        world, {"steps": [{"type": "email", "target": "user"}], "create_missing": True}
    )
    assert done["recomputed"]["created"] == {"accounts": 0, "users": 1}
    with world.store.session() as session:
        workspace = session.get_one(Workspace, world.workspace_id)
        ann = user_detail(session, workspace=workspace, external_id="u-1", now=NOW)
        bob = user_detail(session, workspace=workspace, external_id="cus_bob", now=NOW)
    assert [(a["external_id"], a["mrr"]["amount"], a["stage"]) for a in ann["accounts"]] == [
        ("acme", 30000, "Customer")
    ]
    assert ann["stripe_customers"][0]["customer_id"] == "cus_ann"
    assert (bob["email"], bob["accounts"]) == ("bob@acme.com", [])
    assert bob["stripe_customers"][0]["reason"].endswith("belongs to no account")


def test_rematching_runs_when_accounts_are_imported(world: World, store: Any) -> None:
    from stageline.operations import import_accounts

    world.put("customer", customer_json("cus_1", "late"))
    world.put("subscription", sub_json("sub_1", "cus_1"))
    world.recompute()
    import_accounts(store, workspace_ref="Acme", csv_text="external_id,name\nlate,Late\n",
                    now=datetime(2026, 3, 2, tzinfo=NOW.tzinfo))  # fmt: skip
    late = world.show("late")
    assert late["mrr"]["amount"] == 10000 and late["movements"][0]["cause"] == "import"
