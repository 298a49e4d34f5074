"""The benchmarks: run each from the repo root as ``python -m bench.<name>`` (``bench`` is a package, so
they import the project and each other without touching ``sys.path``)."""
