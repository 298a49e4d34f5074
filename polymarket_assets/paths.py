"""Safe path building under the data root: every name that becomes a path component goes through here.

* ``component(value, what)`` checks a name that must already be safe (an asset name, a venue, a run tag, a
  plot name: code or config values) and raises ``UnsafePathError`` naming it otherwise.
* ``encode_component(value)`` turns any string from data (an id, a slug, a tag from an API) into a safe,
  deterministic component: a safe name is kept; anything else is ``_~`` + its percent-encoding with ``~`` for
  ``%`` (ASCII letters, digits and ``._-`` kept), and a long result is cut and suffixed with a hash of the whole
  value. Two values never share a component, and nothing is rejected (no data is lost). No data-derived name
  becomes a path today (the lake's paths are asset names, days, venues, run ids and plot names, all checked by
  ``component``); this is the function to use when one does.
* ``child(root, *parts)`` joins checked components: the result lies under ``root``.

A safe component: 1-128 characters of ``A-Z a-z 0-9 . _ = ~ -``, not starting with ``.``, ``-`` or ``~`` (so no
``..``, no hidden files, nothing a shell reads as an option), no ``/``, ``\\``, NUL, other control or non-ASCII
characters.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from urllib.parse import quote

MAX_COMPONENT = 128
_SAFE = re.compile(r"[A-Za-z0-9_=][A-Za-z0-9._=~-]{0,%d}" % (MAX_COMPONENT - 1))
_RULE = (
    f"use 1-{MAX_COMPONENT} characters of A-Z, a-z, 0-9, '.', '_', '=', '~', '-', not starting with '.', '-' or '~' "
    "(no '/', '..', NUL or non-ASCII characters)"
)


class UnsafePathError(ValueError):
    """A name cannot be used as a path component; the message names it and what is allowed."""


def is_safe_component(value: object) -> bool:
    return isinstance(value, str) and _SAFE.fullmatch(value) is not None


def component(value: object, what: str = "name") -> str:
    if is_safe_component(value):
        return str(value)
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    raise UnsafePathError(f"{what} {shown} cannot be part of a file path: {_RULE}.")


def encode_component(value: str) -> str:
    """A safe component for any string (see the module docstring). Deterministic and one-to-one: a safe value
    without ``~`` is kept as it is; every other value becomes ``_~`` + its percent-encoding with ``~`` for
    ``%`` (which holds no ``~`` of its own, so two values never meet: a kept value has no ``~``, and the
    encoding is one-to-one after the fixed prefix). A result over 128 characters is cut and ends in a hash of
    the whole value."""
    if is_safe_component(value) and "~" not in value:
        return value
    raw = value.encode("utf-8", "surrogatepass")
    encoded = "_~" + quote(raw, safe="").replace("~", "%7E").replace("%", "~")
    if len(encoded) > MAX_COMPONENT:
        encoded = f"{encoded[: MAX_COMPONENT - 18]}~{hashlib.sha256(raw).hexdigest()[:16]}"
    return encoded


def child(root: str | os.PathLike[str], *parts: str, what: str = "name") -> Path:
    """``root / part / ...`` with every part checked by ``component``: the result lies under ``root``.

    Symlinks the user placed inside the data root (a table on another disk) are followed as the user meant;
    no name built from data can add one, climb out with ``..`` or restart from ``/``."""
    return Path(root).joinpath(*(component(p, what) for p in parts))
