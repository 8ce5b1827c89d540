"""Great Expectations suites: a gate on what entered ``raw`` (derived from the exchange contract) and checks on
the marts. Each dataset has one suite factory; ``expectations.checkpoints.validate`` runs one and returns a result
the orchestration turns into a Dagster asset check."""
