"""The stored-form examples and the default stage table in docs/ are what the code accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path

from stageline.domain.matching import strategy_from_dict
from stageline.domain.stages import DEFAULT_STAGE_RULES, rules_from_dict

DOCS = Path(__file__).resolve().parents[2] / "docs"


def json_blocks(name: str) -> list[object]:
    text = (DOCS / name).read_text(encoding="utf-8")
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]


def test_stage_rules_example_is_valid() -> None:
    (example,) = json_blocks("stages.md")
    assert isinstance(example, dict)
    rules = rules_from_dict(example)
    assert rules.names == ("Canceling", "Customer", "Trial", "Churn")


def test_default_stage_table_matches_the_code() -> None:
    text = (DOCS / "stages.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d) \| (\w+) \| (.+) \|$", text, re.M)
    documented = [(name, frozenset(re.findall(r"`(\w+)`", cells))) for _, name, cells in rows]
    assert documented == [(rule.name, rule.statuses) for rule in DEFAULT_STAGE_RULES.rules]


def test_matching_strategy_example_is_valid() -> None:
    (example,) = json_blocks("matching.md")
    assert isinstance(example, dict)
    assert len(strategy_from_dict(example).steps) == 4
