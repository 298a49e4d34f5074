"""A one-op job for the Postgres-instance test: its op takes a pool, so running it makes the instance read the
pool settings and hold a slot in Postgres (``dagster job execute -f pool_job.py -j pool_job``)."""

import dagster as dg

POOL = "polymarket_test_pool"


@dg.op(pool=POOL)
def add_one() -> int:
    return 1 + 1


@dg.job(executor_def=dg.in_process_executor)
def pool_job() -> None:
    add_one()
