"""Dagster definitions only, autoloaded by ``polymarket_assets.definitions`` (``dg.load_from_defs_folder``).

One subfolder per layer: ``bronze/`` (one module per asset, jobs and schedules), ``streaming/`` (the order-book
logger job, the WebSocket stream job and their keep-alive sensors), ``silver/`` (the silver assets built from the models, cross-table checks, automation
sensors); ``resources.py`` binds the shared resources. The machinery these call lives in plain packages
(``clients``, ``bronze``, ``streaming``, ``silver``), which never import from here.
"""
