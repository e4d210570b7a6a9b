"""HTTP layer: the JSON API and pages, thin over the catalogue and engine."""
