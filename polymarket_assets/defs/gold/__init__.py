"""Gold definitions: one asset per gold model, and the gold automation sensor."""
