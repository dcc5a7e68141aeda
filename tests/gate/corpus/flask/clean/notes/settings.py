"""Settings the blueprints share."""

import os

SESSION_KEY = os.environ["NOTES_SESSION_KEY"]
UPLOADS = os.environ.get("NOTES_UPLOADS", "/srv/notes/uploads")
