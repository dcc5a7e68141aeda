"""`shopfloor dashboard`: a local live web page over a run's state.

The web stack (FastAPI, uvicorn) loads only when one of these names is first used, so importing this
package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shopfloor.dashboard.app import create_app
    from shopfloor.dashboard.server import DashboardError, DashboardServer, serve_dashboard

__all__ = ["DashboardError", "DashboardServer", "create_app", "serve_dashboard"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from shopfloor.dashboard.app import create_app

        return create_app
    if name in ("DashboardError", "DashboardServer", "serve_dashboard"):
        from shopfloor.dashboard import server

        return getattr(server, name)
    raise AttributeError(f"module 'shopfloor.dashboard' has no attribute {name!r}")
