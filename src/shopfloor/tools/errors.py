"""The one error a tool raises for the model to see."""


class ToolError(Exception):
    """Raised inside a tool; becomes a tool result with is_error=True and this message."""
