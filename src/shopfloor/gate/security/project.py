"""Facts about the whole project that decide whether a route is missing something (auth, a limiter)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ProjectFacts:
    """Gathered from every source file before any changed file is judged."""

    has_auth: bool = False
    """Some route or router authenticates its caller, so routes without it are suspect."""
    global_auth: bool = False
    """An app-wide middleware authenticates every request."""
    has_limiter: bool = False
    global_limiter: bool = False
    """An app-wide rate limiter covers every route."""
    limiter_defaults: bool = False
    """slowapi's Limiter has default limits (they apply app-wide once its middleware is added)."""
    slowapi_middleware: bool = False
    auth_aliases: set[str] = field(default_factory=set)
    """Python names bound to an auth dependency (`CurrentUser = Annotated[User, Depends(...)]`)."""
    protected_routers: set[str] = field(default_factory=set)
    """`file:name` of routers created with an auth dependency."""
    protected_modules: set[str] = field(default_factory=set)
    """Module stems (Python) or file paths (JS) whose routes are mounted behind auth."""
    limited_modules: set[str] = field(default_factory=set)
    """File paths (JS) whose routes are mounted behind a rate limiter."""

    def limiter_everywhere(self) -> bool:
        return self.global_limiter or (self.slowapi_middleware and self.limiter_defaults)
