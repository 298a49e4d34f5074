# Fixtures for every test directory: real Postgres, Redis and S3 servers on 127.0.0.1, started on first use.
pytest_plugins = ["polymarket_assets_tests.support.service_fixtures"]
