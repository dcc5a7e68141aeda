"""Taskboard: a small task board API."""
