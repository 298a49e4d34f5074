"""The raw-log record: the journal of everything the live book state machines were fed.

One JSON line per record::

    {"t": <receive time, ns since the epoch>, "v": "<venue>", "c": "<connection id>", "k": "<kind>", "f": "<text>"}

``f`` is always a JSON *string* holding the text exactly as received (a malformed frame is kept as it came),
so every line is valid JSON whatever the venue sent. Kinds:

=========  ==================================================================================================
``recv``   a frame as received: Polymarket text frames verbatim (``PONG`` included); Limitless Socket.IO
           events as the JSON of their packet data ``["<event>", <payload>]`` (the form of the real captures)
``sent``   a subscription change we sent (Polymarket subscribe/unsubscribe frame; Limitless
           ``["subscribe_market_prices", {"marketSlugs": [...]}]``); a Polymarket unsubscribe decided while the
           connection is down is logged too (the reconnect's subscribe leaves those assets out); heartbeats
           and the unsubscribe + subscribe of a resync (see ``resync``) are not logged as ``sent``
``open``   the connection opened (``f`` = the URL)
``close``  the connection was lost or closed (``f`` = JSON ``{"reason": ...}``)
``stale``  the live side declared books untrustworthy without a frame saying so (silence watchdog, no
           snapshot after subscribe): JSON ``{"reason": ..., "assets": [...] | null}`` (null = the connection's)
``resync`` how stale books are being refreshed: JSON ``{"via": "resubscribe" | "rest", "assets": [...]}``
``rest``   a REST ``POST /books`` answer used for a resync (the JSON array as received)
``checkpoint``  the book machine's state when a new UTC day begins, so each day's log replays on its own:
           one record per followed asset, and per open Polymarket connection
           (:mod:`~polymarket_assets.streaming.ws.checkpoint`)
=========  ==================================================================================================

Because every input of the state machines is in the log in the order they were fed, replaying the log
through the same machines rebuilds exactly the books (and gaps) the live run had.
"""

from __future__ import annotations

from dataclasses import dataclass

from polymarket_assets.clients import fastjson

RECV = "recv"
SENT = "sent"
OPEN = "open"
CLOSE = "close"
STALE = "stale"
RESYNC = "resync"
REST = "rest"
CHECKPOINT = "checkpoint"
KINDS = (RECV, SENT, OPEN, CLOSE, STALE, RESYNC, REST, CHECKPOINT)


@dataclass(slots=True)
class Record:
    t_ns: int
    venue: str
    conn: str
    kind: str
    data: str


def encode(record: Record) -> bytes:
    """One JSONL line (with its newline). Venue, connection id and kind are our own ASCII names."""
    return b'{"t":%d,"v":"%s","c":"%s","k":"%s","f":%s}\n' % (
        record.t_ns,
        record.venue.encode(),
        record.conn.encode(),
        record.kind.encode(),
        fastjson.dumps(record.data),
    )


def decode(line: bytes | str) -> Record:
    """A line back to a record; raises ``ValueError`` for a line that is not a complete record."""
    obj = fastjson.loads(line)
    if not isinstance(obj, dict):
        raise ValueError("raw-log line is not a JSON object")
    try:
        return Record(int(obj["t"]), str(obj["v"]), str(obj["c"]), str(obj["k"]), str(obj["f"]))
    except KeyError as exc:
        raise ValueError(f"raw-log line lacks {exc}") from exc
