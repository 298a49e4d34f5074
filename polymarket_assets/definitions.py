"""The code location: every definition under ``polymarket_assets/defs/``, autoloaded (``dg.load_from_defs_folder``).

``dagster dev`` (``workspace.yaml``), ``dagster ... -m polymarket_assets`` and ``dg`` all load this.
"""

import warnings
from pathlib import Path

import dagster as dg

from polymarket_assets.redact import install_log_redaction

# BackfillPolicy, pools and sensor owners are marked beta in Dagster 1.13; we rely on them on purpose, and
# the warning would otherwise print once per asset on every load of the code location.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
# Every log record of a run (context.log, this package's loggers, a driver's) has its credentials masked.
install_log_redaction()


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
