"""The raw layer: contract, loader (simulated Parquet -> raw) and importer (your own events -> raw)."""
