"""The `cohesion` command (cli.main): argument parsing and one error path."""
