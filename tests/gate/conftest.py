"""The fixture projects hold their own test suites; they run inside the gate, not in ours."""

collect_ignore_glob = ["fixtures/*", "corpus/*"]
