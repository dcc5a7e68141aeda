"""The verification gate: shopfloor re-runs a task's checks itself and binds the verdict to the tree.

The package imports nothing: a run that only needs the gate's records (its events name `GateReport`)
loads the checks, the checklist and the test proofs at its first gate, or in the thread that warms them
up meanwhile.
"""
