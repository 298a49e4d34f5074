"""Gold: analysis tables (DuckDB schema ``gold``) and their plots, through the silver model framework.

Modules: ``models`` (one :class:`~polymarket_assets.silver.model.Model` per gold table, ``layer="gold"``),
``sql/`` (one SELECT per table), ``checks`` (the gold-only checks: the Murphy identity, the BTC window rules),
``plots`` (matplotlib figures drawn after each load, written under ``<data dir>/gold/plots/`` and shown in the
UI). The loaders, checks, ledger and the asset builder are the silver framework's
(``polymarket_assets/silver/``); the definitions are in ``polymarket_assets/defs/gold/``.
"""
