"""Run ``orderbook_logger_job`` in this process like a run worker does (SIGTERM mapped to an interrupt),
against a given base URL and data dir. Used by the SIGTERM shutdown test::

    python -m polymarket_assets_tests.streaming.run_logger_job <base url> <data dir> <duration minutes>
"""

import json
import sys

import dagster as dg
from dagster._utils.interrupts import setup_interrupt_handlers

from polymarket_assets.defs.streaming.orderbook_logger import orderbook_logger_job
from polymarket_assets.resources import LakeResource, PolymarketApiResource, RateLimiterResource
from polymarket_assets.streaming.clock import SYSTEM_CLOCK


def main() -> int:
    url, data_dir, minutes = sys.argv[1], sys.argv[2], float(sys.argv[3])
    setup_interrupt_handlers()  # what `dagster api execute_run` does: SIGTERM behaves like SIGINT
    limiter = RateLimiterResource(db_path=f"{data_dir}/ratelimit.sqlite")
    resources = {
        "polymarket_api": PolymarketApiResource(rate_limiter=limiter, gamma_url=url, clob_url=url, limitless_url=url),
        "lake": LakeResource(data_dir=data_dir),
        "clock": SYSTEM_CLOCK,
    }
    config = {"duration_minutes": minutes, "polymarket_top_n": 3, "progress_interval_seconds": 0.5}
    with dg.instance_for_test() as instance:
        result = orderbook_logger_job.execute_in_process(
            run_config={"ops": {"orderbook_logger": {"config": config}}}, resources=resources, instance=instance, raise_on_error=False
        )
        run = instance.get_run_by_id(result.run_id)
        print(json.dumps({"success": result.success, "status": run.status.value if run else None}), flush=True)
    return 0 if result.success else 3


if __name__ == "__main__":
    sys.exit(main())
