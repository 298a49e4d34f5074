"""Bronze machinery: raw API data as day-partitioned, Hive-style Parquet (the assets are in ``polymarket_assets/defs/bronze/``).

``schemas`` (every bronze schema), ``rows`` (parsed API object -> bronze row: sentinels, derived columns, keys),
``coerce`` (row -> exact pyarrow types), ``parquet_io`` (the atomic partition writer and readers), ``partitions``
(the daily partitions and day arithmetic), ``engine/`` (the one run engine), ``datasets/`` (each dataset's own
part), ``asset_defaults`` + ``config`` (what every bronze asset declares and takes as run config),
``daily_runs`` (the runs the daily schedule asks for).
"""
