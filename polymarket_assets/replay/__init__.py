"""The offline replay: the local fake API and the worlds it serves, built from real captured bodies.

``python -m polymarket_assets.replay`` serves the offline world (``world.py``) on 127.0.0.1 so that bronze,
silver and gold run with no network (README "Try it offline"). The same modules are the test suite's fakes:
``fake_api`` (a threaded HTTP server with budgets, faults and a request log), ``gamma_world`` (Gamma events,
markets, tags, leaderboard), ``trades_world`` (trades and price history), ``resolutions``
(``/v2/resolutions``) and ``btc_windows`` (BTC 15-minute windows and the logger's captures of them). Real
bodies come from ``real`` (a link to ``polymarket_assets_tests/fixtures/real/``: one copy). Nothing here is
imported by the platform itself.
"""
