"""A seeded mix of faults for ``FakeApi.fault_mix``: a share of the responses misbehaves, each in one of the ways
the real APIs (and the networks between) do.

Kinds (``KINDS``): ``429`` with and without ``Retry-After``, ``5xx`` (500, 502, 503, 504), ``timeout`` (an answer
slower than the client's read timeout), ``reset`` (a TCP RST before any answer), ``cut_body`` (the real answer's
headers and half its body, then a reset), ``bad_json`` (the first half of the real answer, served as a whole
200), ``html`` (a Cloudflare-style page), and schema drift of the real answer: ``renamed`` (one key of every
object in its row list renamed), ``retyped`` (one value of every row turned from number to text or back) and
``new_field`` (an extra key in every row). ``counts`` says how many of each were served.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any

from polymarket_assets.replay.fake_api import Fault

KINDS = ("429", "429_retry_after", "5xx", "timeout", "reset", "cut_body", "bad_json", "html", "renamed", "retyped", "new_field")


def _rows(value: Any) -> list[dict[str, Any]] | None:
    """The first list of objects in a JSON answer (the page's rows)."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return value
    if isinstance(value, dict):
        for child in value.values():
            found = _rows(child)
            if found is not None:
                return found
    return None


def _drift(kind: str, key_choice: random.Random) -> Any:
    def transform(body: bytes) -> bytes:
        try:
            value = json.loads(body)
        except ValueError:
            return body
        rows = _rows(value)
        if not rows:
            return body
        keys = sorted(rows[0])
        key = keys[key_choice.randrange(len(keys))]
        for row in rows:
            if kind == "renamed" and key in row:
                row[key + "_v2"] = row.pop(key)
            elif kind == "retyped" and key in row:
                v = row[key]
                row[key] = str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else (len(v) if isinstance(v, str) else v)
            elif kind == "new_field":
                row["added_by_the_api"] = {"nested": [1, 2]}
        return json.dumps(value).encode()

    return transform


class FaultMix:
    """``rate`` of the responses get a fault drawn (seeded) from ``kinds``; ``timeout_seconds`` is how long a
    ``timeout`` answer takes (set it above the client's read timeout)."""

    def __init__(self, rate: float, seed: int, *, kinds: Sequence[str] = KINDS, timeout_seconds: float = 3.0):
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {KINDS}")
        self.rate = rate
        self.kinds = tuple(kinds)
        self.timeout_seconds = timeout_seconds
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.responses = 0

    def pick(self) -> Fault | None:
        with self._lock:
            self.responses += 1
            if self._rng.random() >= self.rate:
                return None
            kind = self._rng.choice(self.kinds)
            self.counts[kind] += 1
            key_choice = random.Random(self._rng.random())
        if kind == "429":
            return Fault.rate_limited()
        if kind == "429_retry_after":
            return Fault.rate_limited(retry_after=1)
        if kind == "5xx":
            return Fault.error(key_choice.choice((500, 502, 503, 504)))
        if kind == "timeout":
            return Fault.slow(self.timeout_seconds)
        if kind == "reset":
            return Fault.reset()
        if kind == "html":
            return Fault.html(200)
        if kind in ("cut_body", "bad_json"):
            return Fault(kind, 200)
        return Fault("drift", 200, transform=_drift(kind, key_choice))
