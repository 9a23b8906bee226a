"""Release products built from a published release file: no Dagster, no orchestration imports."""
