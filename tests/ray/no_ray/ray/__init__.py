"""Stands in for a Python without Ray: put this folder first on PYTHONPATH and `import ray` fails."""

raise ImportError("No module named 'ray' (shopfloor's tests hide it)")
