"""The `shopfloor` command line."""

import os

# shopfloor's own data models use no pydantic plugins; without this, pydantic reads every installed
# package's metadata to look for some, a tenth of a second of each command's start. Programs shopfloor
# starts get an allowlisted environment, so this does not reach them.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
