"""``python -m polymarket_assets doctor``: the same as the ``polymarket-assets`` command."""

from polymarket_assets.cli import main

raise SystemExit(main())
