"""An ``Endpoint`` that hands 2xx bodies that are not JSON to a hook and asks again.

HTML error pages served with 200, truncated JSON and other undecodable bodies are handed to
``on_bad_body(body, reason, url)`` (bronze stores them in ``_quarantine``) and the *same* request (same
cursor) is sent again, up to ``refetches`` times, so a paged walk survives a glitch without losing a page.
When every attempt is bad, ``QuarantinedResponseError`` is raised (its body is already with the hook).

Bodies that are JSON but of the wrong shape are left to the client, which raises
``MalformedResponseError`` (bronze quarantines those and restarts the walk). Built by
:class:`~polymarket_assets.clients.api_clients.ApiClients` when it is given ``on_bad_body``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from polymarket_assets.clients.errors import MalformedResponseError
from polymarket_assets.clients.http import Endpoint, RawResponse

BadBodyHook = Callable[[bytes, str, str], None]


class QuarantinedResponseError(MalformedResponseError):
    """Every attempt returned an undecodable body; all of them are already in quarantine."""

    already_quarantined = True


def json_problem(response: RawResponse) -> str | None:
    """Why a 2xx body cannot be used as JSON, or ``None`` when it decodes."""
    content_type = response.headers.get("Content-Type", response.headers.get("content-type", "")) or ""
    head = response.body[:512].lower()
    if not response.body.strip():
        return "empty body"
    try:
        json.loads(response.body)
    except UnicodeDecodeError as exc:
        return f"body is not UTF-8: {exc}"
    except json.JSONDecodeError as exc:
        if b"<html" in head or b"<!doctype" in head or "html" in content_type.lower():
            return f"HTML page instead of JSON ({exc.msg} at char {exc.pos})"
        if _ends_inside_a_value(response.body):
            return f"truncated JSON (body ends inside a string/array/object: {exc.msg} at char {exc.pos} of {len(response.body)})"
        return f"invalid JSON ({exc.msg} at char {exc.pos})"
    return None


def _ends_inside_a_value(body: bytes) -> bool:
    """True when the body stops with an open string, array or object (the shape of a cut-off response)."""
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return in_string or depth > 0


class GuardedEndpoint(Endpoint):
    def __init__(self, inner: Endpoint, on_bad_body: BadBodyHook, refetches: int = 2):
        super().__init__(inner.transport, inner.api, inner.base_url, inner.setting)
        self.on_bad_body = on_bad_body
        self.refetches = refetches
        self.bad_bodies = 0

    def raw(self, method: str, path: str, *, params: Any = None, json_body: Any = None, ok_statuses: Sequence[int] = ()) -> RawResponse:
        attempts = self.refetches + 1
        for attempt in range(attempts):
            response = super().raw(method, path, params=params, json_body=json_body, ok_statuses=ok_statuses)
            if not 200 <= response.status < 300:
                return response
            problem = json_problem(response)
            if problem is None:
                return response
            self.bad_bodies += 1
            self.on_bad_body(response.body, problem, response.url)
            if attempt == attempts - 1:
                raise QuarantinedResponseError(
                    f"{response.url} returned an unusable body {attempts} times in a row ({problem}); every body is "
                    f"in the quarantine directory.",
                    body=response.body,
                    url=response.url,
                    reason=problem,
                    setting=self.setting,
                )
        raise AssertionError("unreachable")
