"""Reliability definitions: the code location's default executor (``executor.py``) and ``dead_run_sensor``."""
