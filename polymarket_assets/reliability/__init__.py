"""Reliability machinery: runs whose process is gone, the pool slots they hold, and an executor that heals them.

``processes`` tells whether a recorded process still exists on this host (Dagster-free); ``stuck_runs`` finds
STARTED/STARTING runs whose processes are all gone, marks them failed and frees their pool slots; ``executor``
is the default executor of the code location (Dagster's multiprocess/in-process executors plus: it records
the run worker's host and pid on the run, heals dead runs when a run starts and while its steps wait for a
pool slot, and sleeps instead of spinning while every step waits); ``cli`` is ``polymarket-assets heal`` /
``polymarket-assets slots``. The sensor that heals on a schedule lives in ``defs/reliability/``.
"""
