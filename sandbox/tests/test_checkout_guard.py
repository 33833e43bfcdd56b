"""The sandbox's tests run under the repository's checkout guard as well."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import CHECKOUT_GUARD, checkout_guard


def test_this_session_refuses_reading_beside_the_checkout() -> None:
    beside = Path(CHECKOUT_GUARD.parent) / "shared" / "stripe-openapi" / "fixtures3.json"
    assert CHECKOUT_GUARD.active
    assert CHECKOUT_GUARD.checkout == str(Path(__file__).resolve().parents[2])
    with pytest.raises(checkout_guard.OutsideCheckout) as caught:
        beside.read_text()
    assert str(beside) in str(caught.value)
    reference = Path(__file__).resolve().parent / "reference" / "fixtures3.json"
    assert reference.read_text(encoding="utf-8").startswith("{")
