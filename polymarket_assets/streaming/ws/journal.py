"""The one entry of every record of a live stream: raw log first, then the book machine, in the same order.

When a record's receive time falls in a new UTC day, the machine's day checkpoint
(:mod:`~polymarket_assets.streaming.ws.checkpoint`) is written first, with the same receive time, so the day's
raw log (and so its bronze partition) replays on its own.
"""

from __future__ import annotations

from typing import Any

from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.checkpoint import day_of


class Journal:
    def __init__(self, writer: Any, machine: Any):
        self.writer = writer
        self.machine = machine
        self.day: int | None = None
        self.checkpoints = 0

    def record(self, rec: R.Record) -> Any:
        """Append ``rec`` to the raw log and feed it to the machine; returns what the machine returns."""
        day = day_of(rec.t_ns)
        if self.day is None or day > self.day:
            if self.day is not None:
                for cp in self.machine.checkpoint_records(rec.t_ns, rec.conn):
                    self.writer.write(cp)  # the machine already has this state: nothing to apply
                    self.checkpoints += 1
            self.day = day
        self.writer.write(rec)
        return self.machine.apply(rec)
