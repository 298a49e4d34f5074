"""Bronze definitions: one module per asset (named after it), and ``schedules.py`` (jobs and schedules)."""
