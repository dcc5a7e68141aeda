"""File sizes for people, through a third-party formatter."""

import humanize


def describe(n_bytes: int) -> str:
    return humanize.naturalsize(n_bytes)
