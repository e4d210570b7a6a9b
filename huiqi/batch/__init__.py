"""Screening a whole registry (免申即享): the same rules as the calculator, on DuckDB or Spark."""
