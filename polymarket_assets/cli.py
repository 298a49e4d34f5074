"""The ``polymarket-assets`` command (``python -m polymarket_assets`` too): ``doctor`` (see ``doctor.py``), ``slots`` and
``heal`` (runs whose process is gone and the pool slots they hold: ``reliability/cli.py``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from polymarket_assets import doctor
    from polymarket_assets.redact import install_log_redaction
    from polymarket_assets.reliability import cli as reliability_cli

    install_log_redaction()

    parser = argparse.ArgumentParser(prog="polymarket-assets", description="polymarket-assets utilities.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "doctor",
        help="reach the lake, the rate limiter's store and Dagster's instance storage; say what is wrong",
        description=(doctor.__doc__ or "").split("\n\n")[0],
    )
    check.add_argument("--skip", action="append", choices=sorted(doctor.CHECKS), default=[], help="skip a check (repeatable)")
    reliability_cli.add_commands(commands)
    args = parser.parse_args(argv)
    if args.command == "doctor":
        return doctor.main(skip=args.skip)
    if args.command in ("slots", "heal"):
        return reliability_cli.run(args)
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
