"""The accounts page counts accounts per stage as the workspace's rules name them, custom stages
included, and colours each stage by its rule's position."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from stageline.config import Settings
from stageline.store.db import Store
from stageline.web import create_app
from tests.facts.conftest import World, customer_json, sub_json
from tests.signin import sign_in_path

CARD = re.compile(
    r'<div class="card stage-card" data-stage="([^"]+)">.*?<div class="value">(\d+)</div>'
)


@pytest.fixture
def signed_in(settings: Settings, store: Store, world: World) -> Iterator[TestClient]:
    world.accounts(("acme", "Acme"), ("beta", "Beta"), ("gone", "Gone"), ("idle", "Idle"))
    world.put(
        "customer",
        customer_json("cus_a", "acme"),
        customer_json("cus_b", "beta"),
        customer_json("cus_g", "gone"),
        customer_json("cus_i", "idle"),
    )
    world.put(
        "subscription",
        sub_json("sub_a", "cus_a", status="past_due"),
        sub_json("sub_b", "cus_b", status="trialing"),
        sub_json("sub_g", "cus_g", status="canceled"),
        sub_json("sub_i", "cus_i", status="paused"),
    )
    world.settings(
        {
            "stage_rules": {
                "rules": [
                    {"name": "At risk", "statuses": ["past_due"]},
                    {"name": "Evaluating", "statuses": ["trialing"]},
                    {"name": "Paying", "statuses": ["active"]},
                    {"name": "Lost", "statuses": ["canceled"]},
                ]
            }
        }
    )
    world.recompute(cause="backfill")
    with TestClient(create_app(settings, store=store)) as client:
        client.get(sign_in_path(store, settings, world.workspace_id))
        yield client


def test_cards_follow_the_workspace_stage_rules(signed_in: TestClient) -> None:
    page = signed_in.get("/accounts").text
    assert CARD.findall(page) == [
        ("At risk", "1"),
        ("Evaluating", "1"),
        ("Paying", "0"),
        ("Lost", "1"),
        ("no matching stage", "1"),
    ]


def test_stage_colours_follow_rule_positions(signed_in: TestClient) -> None:
    page = signed_in.get("/accounts").text
    assert '<span class="stage tone-0">At risk</span>' in page
    assert '<span class="stage tone-3">Lost</span>' in page
    assert '<span class="stage stage-none">no matching stage</span>' in page
    detail = signed_in.get("/accounts/beta").text
    assert '<span class="stage tone-1">Evaluating</span>' in detail
