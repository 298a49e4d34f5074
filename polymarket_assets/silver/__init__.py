"""Silver: the model framework that loads DuckDB dimensions and facts incrementally from bronze Parquet.

Modules: ``ledger`` (load ledger + partition fingerprints, reusable), ``duck`` (single-writer connection,
typed bronze views), ``model`` (what a model declares), ``models`` + ``orderbook_models`` + ``sql/`` (one
declaration and one SELECT per table; ``transforms/`` for the two Python models), ``load`` (incremental
fact/dimension loads), ``checks/`` (asset checks), ``asset_builder`` (a model -> its Dagster asset and cross-table checks), ``automation`` (the automation
conditions and the bronze-files state). The definitions themselves are in ``polymarket_assets/defs/silver/``.
"""
