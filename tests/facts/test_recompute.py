"""Recomputing facts: MRR in the reporting currency, the MRR ledger, stage history, and a
partial recompute that gives the same facts as a full one."""

from __future__ import annotations

from datetime import timedelta

from stageline.store import accounts as account_store
from tests.facts.conftest import DAY, NOW, World, customer_json, price_json, sub_json


def test_first_computation_records_a_new_movement_and_the_first_stage(world: World) -> None:
    world.accounts(("acme", "Acme"), ("idle", "Idle"))
    world.put("customer", customer_json("cus_1", "acme"))
    world.put("subscription", sub_json("sub_1", "cus_1", quantity=2))
    summary = world.recompute(cause="backfill")
    assert (summary.accounts, summary.matched_customers, summary.movements) == (2, 1, 1)
    shown = world.show("acme")
    assert shown["mrr"] == {"amount": 20000, "currency": "usd"}
    assert shown["mrr_basis"] == "reporting_currency"
    assert [(m["kind"], m["amount"], m["cause"]) for m in shown["movements"]] == [
        ("new", 20000, "backfill")
    ]
    assert shown["stage_history"] == [
        {"from": None, "to": "Customer", "at": "2026-03-01T00:00:00Z", "cause": "backfill"}
    ]
    assert shown["time_in_stage_seconds"] == 0
    assert world.show("idle")["movements"] == [] and world.show("idle")["stage_history"] == []


def test_each_change_is_classified_and_recomputing_the_same_facts_writes_nothing(
    world: World,
) -> None:
    world.accounts(("acme", "Acme"))
    world.put("customer", customer_json("cus_1", "acme"))
    world.put("subscription", sub_json("sub_1", "cus_1"))
    world.recompute(cause="backfill")
    assert world.recompute(now=NOW + DAY, cause="again").movements == 0
    steps = [
        (sub_json("sub_1", "cus_1", quantity=3), "evt_up"),
        (sub_json("sub_1", "cus_1", quantity=2), "evt_down"),
        (sub_json("sub_1", "cus_1", status="canceled"), "evt_cancel"),
        (sub_json("sub_2", "cus_1"), "evt_back"),
    ]
    for day, (payload, event) in enumerate(steps, start=2):
        world.put("subscription", payload)
        world.recompute(now=NOW + day * DAY, cause=event)
    shown = world.show("acme", now=NOW + 10 * DAY)
    ledger = [(m["kind"], m["amount"], m["cause"]) for m in reversed(shown["movements"])]
    assert ledger == [
        ("new", 10000, "backfill"),
        ("expansion", 20000, "evt_up"),
        ("contraction", -10000, "evt_down"),
        ("churn", -20000, "evt_cancel"),
        ("reactivation", 10000, "evt_back"),
    ]
    stages = [(t["from"], t["to"], t["cause"]) for t in reversed(shown["stage_history"])]
    assert stages == [
        (None, "Customer", "backfill"),
        ("Customer", "Churn", "evt_cancel"),
        ("Churn", "Customer", "evt_back"),
    ]
    assert shown["stage_since"] == "2026-03-06T00:00:00Z"
    assert shown["time_in_stage_seconds"] == 5 * 86400
    assert shown["time_by_stage_seconds"] == {"Customer": 9 * 86400, "Churn": 86400}


def test_uncovered_statuses_show_no_matching_stage_and_are_listed(world: World) -> None:
    world.accounts(("paused", "Paused Co"), ("mixed", "Mixed Co"))
    world.put("customer", customer_json("cus_p", "paused"), customer_json("cus_m", "mixed"))
    world.put(
        "subscription",
        sub_json("sub_p", "cus_p", status="paused"),
        sub_json("sub_m1", "cus_m", status="paused"),
        sub_json("sub_m2", "cus_m"),
    )
    world.recompute()
    paused, mixed = world.show("paused"), world.show("mixed")
    assert (paused["stage"], paused["unmatched_statuses"]) == (None, ["paused"])
    assert (mixed["stage"], mixed["unmatched_statuses"]) == ("Customer", ["paused"])


def test_renewal_and_end_dates_follow_the_domain(world: World) -> None:
    world.accounts(("renews", "Renews"), ("ends", "Ends"), ("trial", "Trial"))
    world.put(
        "customer",
        customer_json("cus_r", "renews"),
        customer_json("cus_e", "ends"),
        customer_json("cus_t", "trial"),
    )
    world.put(
        "subscription",
        sub_json("sub_r1", "cus_r", period_end=NOW + 20 * DAY),
        sub_json("sub_r2", "cus_r", period_end=NOW + 5 * DAY + timedelta(hours=1)),
        sub_json("sub_e", "cus_e", cancel_at_period_end=True, period_end=NOW + 7 * DAY),
        sub_json("sub_t", "cus_t", status="trialing", trial_end=int((NOW + 14 * DAY).timestamp())),
    )
    world.recompute()
    renews, ends, trial = world.show("renews"), world.show("ends"), world.show("trial")
    assert (renews["renewal_date"], renews["renews_in_days"]) == ("2026-03-06T01:00:00Z", 6)
    assert (ends["renewal_date"], ends["ends_at"], ends["mrr"]["amount"]) == (
        None,
        "2026-03-08T00:00:00Z",
        0,
    )
    assert (trial["renewal_date"], trial["renews_in_days"], trial["stage"]) == (
        "2026-03-15T00:00:00Z",
        14,
        "Trial",
    )
    assert world.show("renews", now=NOW + 5 * DAY)["renews_in_days"] == 1


def test_several_customers_add_up_and_a_user_rolls_up_to_its_accounts(world: World) -> None:
    world.accounts(("acme", "Acme"), ("globex", "Globex"))
    world.users(account_store.UserRow("u-1", "Ann", "ann@x.io", {}, ("acme", "globex")))
    world.settings(
        {
            "matching": {
                world.connection_id: {
                    "steps": [
                        {"type": "metadata", "key": "account_id", "target": "account"},
                        {"type": "email", "target": "user"},
                    ]
                }
            }
        }
    )
    world.put(
        "customer",
        customer_json("cus_1", "acme"),
        customer_json("cus_2", "acme"),
        customer_json("cus_3", email="ann@x.io"),
    )
    world.put(
        "subscription",
        sub_json("sub_1", "cus_1"),
        sub_json("sub_2", "cus_2", price=price_json("price_y", 120000, "year")),
        sub_json("sub_3", "cus_3", price=price_json("price_w", 1000, "week")),
    )
    world.recompute()
    acme, globex = world.show("acme"), world.show("globex")
    assert acme["stripe_customer_ids"] == ["cus_1", "cus_2", "cus_3"]
    assert acme["mrr"]["amount"] == 10000 + 10000 + 4333
    assert globex["stripe_customer_ids"] == ["cus_3"] and globex["mrr"]["amount"] == 4333


def test_a_partial_recompute_gives_the_same_facts_as_a_full_one(world: World) -> None:
    world.accounts(("a", "A"), ("b", "B"), ("c", "C"))
    world.put(
        "customer",
        customer_json("cus_a", "a"),
        customer_json("cus_b1", "b"),
        customer_json("cus_b2", "b"),
        customer_json("cus_x", "c"),
    )
    world.put(
        "subscription",
        sub_json("sub_a", "cus_a"),
        sub_json("sub_b1", "cus_b1"),
        sub_json("sub_b2", "cus_b2", quantity=2),
        sub_json("sub_x", "cus_x", quantity=5),
    )
    world.recompute(cause="backfill")
    # cus_b2 grows; cus_x now points at account a instead of c.
    world.put("subscription", sub_json("sub_b2", "cus_b2", quantity=4))
    world.put("customer", customer_json("cus_x", "a"))
    summary = world.recompute(now=NOW + DAY, cause="evt_1", customer_ids=["cus_b2", "cus_x"])
    assert summary.accounts == 3  # b, and c (lost cus_x), and a (gained cus_x)
    partial = {ext: world.show(ext) for ext in "abc"}
    world.recompute(now=NOW + DAY, cause="full")
    full = {ext: world.show(ext) for ext in "abc"}
    for ext in "abc":
        for key in ("mrr", "mrr_by_currency", "stage", "renewal_date", "stripe_customer_ids"):
            assert partial[ext][key] == full[ext][key], (ext, key)
    assert partial["a"]["mrr"]["amount"] == 60000 and partial["c"]["mrr"]["amount"] == 0
    assert partial["c"]["movements"][0]["kind"] == "churn"
    assert partial["c"]["movements"][0]["cause"] == "evt_1"


def test_an_untouched_account_is_left_alone_by_a_partial_recompute(world: World) -> None:
    world.accounts(("a", "A"), ("b", "B"))
    world.put("customer", customer_json("cus_a", "a"), customer_json("cus_b", "b"))
    world.put("subscription", sub_json("sub_a", "cus_a"), sub_json("sub_b", "cus_b"))
    world.recompute()
    world.put("subscription", sub_json("sub_a", "cus_a", quantity=2))
    world.put("subscription", sub_json("sub_b", "cus_b", quantity=9))
    world.recompute(now=NOW + DAY, cause="evt_a", customer_ids={"cus_a"})
    assert world.show("a")["mrr"]["amount"] == 20000
    assert world.show("b")["mrr"]["amount"] == 10000  # not asked for: not recomputed
    assert world.recompute(customer_ids=[]).accounts == 0


def test_a_batch_cause_is_credited_to_each_accounts_event(world: World) -> None:
    from stageline.store import facts as fact_store
    from stageline.store.locks import lock_workspace

    world.accounts(("a", "A"), ("b", "B"))
    world.put("customer", customer_json("cus_a", "a"), customer_json("cus_b", "b"))
    world.put("subscription", sub_json("sub_a", "cus_a"), sub_json("sub_b", "cus_b"))
    world.recompute(cause="inbox-batch:evt_9")
    with world.store.session() as session:
        lock_workspace(session, workspace_id=world.workspace_id)
        ids = account_store.account_ids_by_external_id(session, workspace_id=world.workspace_id)
        updated = fact_store.recredit_causes(
            session,
            workspace_id=world.workspace_id,
            marker="inbox-batch:evt_9",
            causes={ids["a"]: "evt_1", ids["b"]: "evt_2"},
        )
    assert updated == 2 * (3 + 1 + 1)  # per account: 3 fact changes, a movement, a stage move
    a, b = world.show("a"), world.show("b")
    assert {h["cause"] for h in a["history"]} == {"evt_1"}
    assert (a["movements"][0]["cause"], a["stage_history"][0]["cause"]) == ("evt_1", "evt_1")
    assert b["movements"][0]["cause"] == "evt_2"
