"""Silver definitions: one asset per silver model, the cross-table checks, the automation sensors."""
