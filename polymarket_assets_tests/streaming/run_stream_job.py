"""Run ``orderbook_stream_job`` in this process like a run worker does (SIGTERM mapped to an interrupt), against
given WebSocket URLs and data dir. Used by the SIGTERM shutdown test::

    python -m polymarket_assets_tests.streaming.run_stream_job <polymarket ws url> <limitless ws url> <data dir> <op config JSON>
"""

import json
import sys

import dagster as dg
from dagster._utils.interrupts import setup_interrupt_handlers

from polymarket_assets.defs.streaming.orderbook_stream import orderbook_stream_job
from polymarket_assets.resources import LakeResource, PolymarketApiResource, RateLimiterResource


def main() -> int:
    pm_url, lm_url, data_dir, config = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    setup_interrupt_handlers()  # what `dagster api execute_run` does: SIGTERM behaves like SIGINT
    limiter = RateLimiterResource(db_path=f"{data_dir}/ratelimit.sqlite")
    nowhere = "http://127.0.0.1:9"
    resources = {
        "polymarket_api": PolymarketApiResource(rate_limiter=limiter, gamma_url=nowhere, clob_url=nowhere, limitless_url=nowhere,
                                                polymarket_ws_url=pm_url, limitless_ws_url=lm_url),
        "lake": LakeResource(data_dir=data_dir),
    }
    with dg.instance_for_test() as instance:
        result = orderbook_stream_job.execute_in_process(
            run_config={"ops": {"orderbook_stream": {"config": config}}}, resources=resources, instance=instance, raise_on_error=False
        )
        run = instance.get_run_by_id(result.run_id)
        print(json.dumps({"success": result.success, "status": run.status.value if run else None}), flush=True)
    return 0 if result.success else 3


if __name__ == "__main__":
    sys.exit(main())
