"""The code location: every definition under ``polymarket_assets/defs/``, autoloaded (``dg.load_from_defs_folder``).

``dagster dev`` (``workspace.yaml``), ``dagster ... -m polymarket_assets`` and ``dg`` all load this.
"""

import logging
import os
import warnings
from pathlib import Path

import dagster as dg

from polymarket_assets.redact import install_log_redaction

# BackfillPolicy, pools and sensor owners are marked beta in Dagster 1.13; we rely on them on purpose, and
# the warning would otherwise print once per asset on every load of the code location.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
# Every log record of a run (context.log, this package's loggers, a driver's) has its credentials masked.
install_log_redaction()

if not os.environ.get("DAGSTER_HOME"):
    # `dagster asset materialize` without DAGSTER_HOME runs on a throwaway instance, silently: no run history in
    # the UI, no pool limits (the single DuckDB writer among them), nothing for `polymarket-assets slots`/`heal`
    logging.getLogger("polymarket_assets").warning(
        "DAGSTER_HOME is not set: this process uses a temporary Dagster instance (no run history, no pool limits, "
        "nothing `polymarket-assets heal` can see). Set it to the directory holding dagster.yaml, e.g. "
        "mkdir -p .dagster_home && cp dagster.yaml .dagster_home/ && export DAGSTER_HOME=$PWD/.dagster_home "
        "(README Quick start)."
    )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
