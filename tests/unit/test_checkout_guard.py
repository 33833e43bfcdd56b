"""The checkout guard: what lies beside the checkout cannot be opened, what is inside can."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.checkout_guard import CheckoutGuard, OutsideCheckout
from tests.conftest import CHECKOUT_GUARD, HANG_LIMIT

GUARD_MODULE = Path(__file__).resolve().parents[1] / "checkout_guard.py"


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """``work/stageline`` (the checkout) beside ``work/neighbour/fixtures3.json``."""
    checkout = tmp_path / "work" / "stageline"
    (checkout / "tests").mkdir(parents=True)
    (checkout / "tests" / "data.json").write_text("{}")
    (tmp_path / "work" / "neighbour").mkdir()
    (tmp_path / "work" / "neighbour" / "fixtures3.json").write_text("{}")
    (tmp_path / "work" / ".netrc").write_text("")
    (tmp_path / "elsewhere.txt").write_text("")
    return checkout


def test_what_lies_beside_the_checkout_is_refused(layout: Path) -> None:
    guard = CheckoutGuard.for_checkout(layout)
    work = layout.parent
    assert guard.active
    assert guard.refuses(work / "neighbour" / "fixtures3.json")
    assert guard.refuses(str(work / "neighbour" / "missing.json"))  # absent files too
    assert guard.refuses(os.fsencode(work / "neighbour" / "fixtures3.json"))  # bytes paths
    assert guard.refuses(layout / ".." / "neighbour" / "fixtures3.json")  # '..' is resolved
    assert guard.refuses(work)  # listing the parent folder is looking beside the checkout
    assert not guard.refuses(layout / "tests" / "data.json")
    assert not guard.refuses(layout / ".venv" / "lib" / "site.py")
    assert not guard.refuses(work / ".netrc")  # per-user settings when the parent is a home
    assert not guard.refuses(layout.parent.parent / "elsewhere.txt")  # not beside it
    assert not guard.refuses(3)  # a file descriptor was judged when it was opened


def test_relative_paths_are_judged_from_the_working_folder(
    layout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    guard = CheckoutGuard.for_checkout(layout)
    monkeypatch.chdir(layout / "tests")
    assert guard.refuses("../../neighbour/fixtures3.json")
    assert not guard.refuses("data.json")


def test_symlinks_are_judged_by_where_they_lead(layout: Path) -> None:
    guard = CheckoutGuard.for_checkout(layout)
    inside_link = layout / "tests" / "reference"
    inside_link.symlink_to(layout.parent / "neighbour", target_is_directory=True)
    assert guard.refuses(inside_link / "fixtures3.json")
    alias = layout.parent / "alias"  # a second name for the checkout, beside it
    alias.symlink_to(layout, target_is_directory=True)
    assert not guard.refuses(alias / "tests" / "data.json")
    # the checkout reached through a symlinked path is still the checkout
    assert CheckoutGuard.for_checkout(alias).checkout == str(layout)


def test_a_checkout_without_a_folder_of_its_own_turns_the_guard_off() -> None:
    assert not CheckoutGuard.for_checkout(Path("/stageline")).active
    in_tmp = CheckoutGuard.for_checkout(Path(tempfile.gettempdir()) / "stageline")
    assert not in_tmp.active and not in_tmp.refuses(Path(tempfile.gettempdir()) / "pytest-x")
    assert "off" in in_tmp.describe()


def test_roots_that_hold_the_parent_folder_do_not_open_it_up(tmp_path: Path) -> None:
    # The checkout in a fresh temporary folder (as .ci/run clones it): the temporary folder
    # holds the parent, and must not make everything in it allowed.
    checkout = tmp_path / "fresh" / "stageline"
    checkout.mkdir(parents=True)
    guard = CheckoutGuard.for_checkout(checkout)
    assert guard.active
    assert guard.refuses(tmp_path / "fresh" / "neighbour" / "fixtures3.json")
    assert not guard.refuses(tmp_path / "other-test" / "file")  # other temporary files


def test_this_session_refuses_reading_beside_the_checkout() -> None:
    beside = Path(CHECKOUT_GUARD.parent) / "neighbour" / "stripe-openapi" / "fixtures3.json"
    assert CHECKOUT_GUARD.active and CHECKOUT_GUARD.refuses(beside)
    with pytest.raises(OutsideCheckout) as caught:
        beside.read_text()
    assert str(beside) in str(caught.value) and "beside the checkout" in str(caught.value)
    with pytest.raises(OutsideCheckout):
        open(os.path.join(CHECKOUT_GUARD.checkout, "..", "neighbour", "x"), "rb")  # noqa: SIM115
    with pytest.raises(OutsideCheckout):
        os.open(beside, os.O_RDONLY)
    # the guard is no OSError: a test catching OSError cannot swallow it
    assert not issubclass(OutsideCheckout, OSError)
    assert (Path(CHECKOUT_GUARD.checkout) / "pyproject.toml").read_text().startswith("[")


INSTALLED = """
import importlib.util, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("guard", sys.argv[1])
guard_module = importlib.util.module_from_spec(spec)
sys.modules["guard"] = guard_module
spec.loader.exec_module(guard_module)
guard_module.CheckoutGuard.for_checkout(Path(sys.argv[2])).install()
print(open(Path(sys.argv[2]) / "tests" / "data.json").read())
try:
    open(Path(sys.argv[2]).parent / "neighbour" / "fixtures3.json").read()
except guard_module.OutsideCheckout as exc:
    print("refused:", exc)
else:
    print("read it")
"""


def test_an_installed_guard_stops_a_real_read_of_an_existing_file(layout: Path) -> None:
    # In a fresh interpreter, with the file really there beside the checkout.
    assert (layout.parent / "neighbour" / "fixtures3.json").exists()
    shown = subprocess.run(
        [sys.executable, "-c", INSTALLED, str(GUARD_MODULE), str(layout)],
        capture_output=True,
        text=True,
        timeout=HANG_LIMIT,
        check=True,
    ).stdout.splitlines()
    assert shown[0] == "{}"
    assert shown[1].startswith("refused: a test opened ")
    assert str(layout.parent / "neighbour" / "fixtures3.json") in shown[1]
