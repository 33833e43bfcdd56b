"""Names people give things (workspaces, accounts, users, stages, properties) are at most
``MAX_NAME_LENGTH`` characters: long enough for any real name, short enough to show.

>>> check_name("Acme", "the workspace name")
'Acme'
>>> check_name("x" * 201, "the workspace name")
Traceback (most recent call last):
...
stageline.errors.InvalidInput: the workspace name is 201 characters long: at most 200
"""

from __future__ import annotations

from stageline.errors import InvalidInput

MAX_NAME_LENGTH = 200


def check_name(name: str, what: str, *, param: str | None = None) -> str:
    """``name`` unchanged, or ``InvalidInput`` (``name_too_long``) saying how long it is."""
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            f"{what} is {len(name)} characters long: at most {MAX_NAME_LENGTH}",
            code="name_too_long",
            param=param,
        )
    return name
