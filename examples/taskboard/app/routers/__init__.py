"""HTTP routes. Every module here that defines `router` is mounted by app.main."""
