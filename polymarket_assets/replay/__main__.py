"""``python -m polymarket_assets.replay``: serve the offline world on 127.0.0.1 until Ctrl-C (or SIGTERM).

Usage (README "Try it offline")::

    python -m polymarket_assets.replay                 # serve http://127.0.0.1:8765; write the BTC windows'
                                                       # logger captures into <data dir>/stream
    export $(python -m polymarket_assets.replay --print-env)   # point the platform at it

Options: ``--port``, ``--first`` / ``--days`` (the world's days, default 2026-11-01 and 3), ``--btc-windows-per-day``
(default 96: every window), ``--data-dir`` (default ``POLYMARKET_DATA_DIR``, else ``./data``), ``--no-stream``
(do not write the logger captures), ``--latency`` (seconds added to every response).
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import threading
from collections.abc import Sequence

DEFAULT_PORT = 8765
ENV = ("POLYMARKET_GAMMA_URL", "POLYMARKET_CLOB_URL", "POLYMARKET_DATA_URL", "LIMITLESS_API_URL")


def env_line(host: str, port: int) -> str:
    """``NAME=url ...`` for every base URL setting, for ``export $(...)``."""
    return " ".join(f"{name}=http://{host}:{port}" for name in ENV)


def main(argv: Sequence[str] | None = None) -> int:
    from polymarket_assets.replay import world as offline

    parser = argparse.ArgumentParser(prog="python -m polymarket_assets.replay", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--first", type=dt.date.fromisoformat, default=offline.FIRST_DAY, help="first day of the world (YYYY-MM-DD)")
    parser.add_argument("--days", type=int, default=offline.DAYS, help="days in the world")
    parser.add_argument("--btc-windows-per-day", type=int, default=96, help="BTC 15-minute windows per day (max 96)")
    parser.add_argument("--data-dir", default=None, help="data root the logger captures go to (default: POLYMARKET_DATA_DIR or ./data)")
    parser.add_argument("--no-stream", action="store_true", help="do not write the BTC windows' logger captures")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every response (default 0; slows runs down for kill tests)")
    parser.add_argument("--print-env", action="store_true", help="print the base URL settings for `export $(...)` and exit")
    args = parser.parse_args(argv)
    if args.print_env:
        print(env_line(args.host, args.port))
        return 0
    if not 1 <= args.days <= 31:
        parser.error("--days must be between 1 and 31")

    from polymarket_assets import settings
    from polymarket_assets.replay.fake_api import FakeApi

    world = offline.build(args.first, args.days, btc_windows_per_day=args.btc_windows_per_day)
    last = world.days[-1]
    if not args.no_stream:
        try:
            stream = settings.data_dir(args.data_dir) / "stream"
        except settings.SettingError as exc:
            print(f"{exc}\nThe replay writes its synthetic logger captures into a local data directory: pass --data-dir "
                  "<a local directory> (and run the platform on a local lake), or --no-stream to serve the APIs only.",
                  file=sys.stderr)
            return 2
        print(f"writing the synthetic logger snapshots of {len(world.btc)} BTC 15-minute windows into {stream} "
              "(about half a minute) ...", flush=True)
        files = world.write_stream(stream)
        print(f"wrote {sum(files.values())} synthetic logger snapshots of {len(world.btc)} BTC 15-minute windows "
              f"into {stream} ({len(files)} files)", flush=True)
    api = FakeApi(host=args.host, port=args.port, latency=args.latency)
    try:
        api.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port} ({exc}); is a replay already running? Use --port to pick another.",
              file=sys.stderr)
        return 1
    world.install(api)
    print(f"serving the offline world on {api.base_url}: days {world.days[0]}..{last}, {len(world.markets)} markets "
          f"({len(world.btc)} BTC windows), Gamma + CLOB + Data API routes", flush=True)
    print(f"point the platform at it:  export $({sys.executable} -m polymarket_assets.replay --print-env --port {args.port})", flush=True)
    print(f"  ({env_line(args.host, args.port)})", flush=True)
    print(f"then materialize the partition range {world.days[0]}...{last}; Ctrl-C stops the server.", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        api.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
