"""shopfloor: run teams of specialist coding agents on real repositories, and verify their work."""

__version__ = "0.1.0"
