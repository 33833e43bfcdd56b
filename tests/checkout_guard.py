"""A test session may open nothing beside the checkout: a clone has nothing there.

A test that reads a folder beside the checkout passes on a machine that happens to have it and
fails for everyone who clones the repository. Both test suites (``tests/`` and
``sandbox/tests/``) install this guard from their ``conftest.py`` before any test runs; from
then on, opening a path under the checkout's parent folder that is not inside the checkout
raises :class:`OutsideCheckout` naming the path::

    guard = CheckoutGuard.for_checkout(Path(__file__).resolve().parents[1])
    guard.install()

What stays allowed under the parent folder:

- the checkout itself (its ``.venv`` included), judged after symlinks are resolved, so a link
  inside the checkout that points beside it is refused;
- the interpreter's prefixes, site-packages and the temporary folder, should they lie there;
- hidden entries (``.netrc``, ``.cache``, ``.local``, ...), which are per-user settings when a
  checkout sits directly in a home folder, never project data.

When the checkout sits directly in ``/`` or in the temporary folder, its "beside" is the whole
system or every temporary file, so the guard stands down and :attr:`CheckoutGuard.active` says
so. Audit hooks last as long as the interpreter; :meth:`CheckoutGuard.refuses` is the decision
alone, for checking the guard itself.

>>> guard = CheckoutGuard.for_checkout(Path("/srv/work/stageline"))
>>> guard.refuses("/srv/work/neighbour/fixtures3.json"), guard.refuses("/srv/work/stageline/x")
(True, False)
>>> guard.refuses("/srv/work/.netrc"), guard.refuses("/usr/lib/python3/os.py")
(False, False)
"""

from __future__ import annotations

import os
import site
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class OutsideCheckout(RuntimeError):
    """A test opened a path beside the checkout. Not an ``OSError``: nothing swallows it."""


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _real(path: str | bytes | os.PathLike[Any]) -> str:
    return os.path.realpath(os.fsdecode(path))


def _interpreter_roots() -> list[str]:
    roots = [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix]
    roots += [*site.getsitepackages(), site.getusersitepackages(), tempfile.gettempdir()]
    return [_real(root) for root in roots if root]


@dataclass(frozen=True)
class CheckoutGuard:
    checkout: str
    parent: str
    allowed: tuple[str, ...]
    active: bool

    @classmethod
    def for_checkout(cls, checkout: Path) -> CheckoutGuard:
        """The guard for ``checkout``: refuses what lies beside it in its parent folder."""
        real = _real(checkout)
        parent = os.path.dirname(real)
        temporary = _real(tempfile.gettempdir())
        active = parent not in (os.sep, temporary)
        # Only a root strictly inside the parent folder narrows what is refused; one that
        # holds the parent folder (the checkout in /tmp/x/) would allow all of it.
        allowed = tuple(
            root
            for root in _interpreter_roots()
            if _inside(root, parent) and root != parent and not _inside(root, real)
        )
        return cls(checkout=real, parent=parent, allowed=allowed, active=active)

    def refuses(self, path: str | bytes | os.PathLike[Any] | int) -> bool:
        """Whether opening ``path`` (relative to the working folder) reads beside the checkout.

        An ``int`` is an open file descriptor: whatever opened it was judged then.
        """
        if not self.active or isinstance(path, int):
            return False
        real = _real(path)
        if not _inside(real, self.parent) or _inside(real, self.checkout):
            return False
        if any(_inside(real, root) for root in self.allowed):
            return False
        if real == self.parent:
            return True
        first = os.path.relpath(real, self.parent).split(os.sep, 1)[0]
        return not first.startswith(".")

    def describe(self) -> str:
        """One line for the test session's header."""
        if not self.active:
            return f"checkout guard: off ({self.checkout} has no folder of its own)"
        return f"checkout guard: nothing beside {self.checkout} (under {self.parent}) may be opened"

    def install(self) -> None:
        """From now on, in this interpreter, refuse every ``open`` of a path beside the checkout."""

        def audit(event: str, args: tuple[Any, ...]) -> None:
            if event == "open" and args and self.refuses(args[0]):
                shown = os.fsdecode(args[0])
                raise OutsideCheckout(
                    f"a test opened {shown!r} ({_real(args[0])}), which is beside the checkout "
                    f"{self.checkout}: a clone has nothing there. Keep what tests read inside "
                    "the repository."
                )

        sys.addaudithook(audit)
