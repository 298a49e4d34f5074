"""Each bronze dataset's own part: how it fetches its source and routes rows to days (the engine does the rest)."""
