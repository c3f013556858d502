"""A local cluster on loopback for ``make cluster``: background services started and stopped
with PID files (:mod:`engine.cluster.processes`) and their command lines
(:mod:`engine.cluster.services`)."""
