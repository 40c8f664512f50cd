"""The `hot` command line: `hot dev` runs the platform locally; `hot run` runs a Hot file."""
