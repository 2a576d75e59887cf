"""Board description files, one per board model (TOML)."""
