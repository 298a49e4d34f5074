"""Python per-day transforms of the silver facts SQL cannot express (one module per model, like ``sql/``).

``orderbook_bbo`` and ``orderbook_gaps`` replay a day of ``bronze/orderbook_ws_events`` through the live
book machines (``orderbook_replay``); what the fields of a Python model mean: :mod:`polymarket_assets.silver.model`.
"""
