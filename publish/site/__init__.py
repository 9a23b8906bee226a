"""The release site: a static site (maps, one page per commune, the method and sources) in French,
Dutch and English, built from a release's DuckDB file. No Dagster here."""
