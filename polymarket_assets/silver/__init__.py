"""Silver: DuckDB dimensions and facts loaded incrementally from bronze Parquet.

Modules: ``ledger`` (load ledger + partition fingerprints, reusable), ``duck`` (single-writer connection,
typed bronze views), ``model`` (what a model declares), ``models`` + ``sql/`` (one declaration and one
SELECT per table), ``load`` (incremental fact/dimension loads), ``checks/`` (asset checks), ``assets``
(Dagster assets), ``automation`` (refresh after bronze lands), ``definitions`` (``defs``).
"""
