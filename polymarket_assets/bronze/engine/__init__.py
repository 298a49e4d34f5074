"""The one bronze engine: every day-partitioned bronze dataset runs through ``run_dataset``.

``dataset.py`` (the Dataset protocol and the items a fetch yields), ``run.py`` (the run loop, failure hint),
``days.py`` (each pending day's writer/quarantine/counters and its commit), ``checkpoint.py`` (range resume),
``quarantine.py`` (rejected bodies + threshold), ``metadata.py`` (run and partition metadata),
``object_walk.py`` (the Gamma-style walk over JSON objects), ``active_markets.py`` (which markets were
active on which day), ``upstream.py`` (reading another bronze dataset back).
"""

from polymarket_assets.bronze.engine.dataset import Complete, Dataset, Item, Kept, NotWritten, Rows, Table
from polymarket_assets.bronze.engine.object_walk import ObjectWalk, ObjectWalkSpec
from polymarket_assets.bronze.engine.run import RunContext, run_dataset

__all__ = ["Complete", "Dataset", "Item", "Kept", "NotWritten", "ObjectWalk", "ObjectWalkSpec", "Rows", "RunContext", "Table", "run_dataset"]
