"""Settings the blueprints share."""

import os

SESSION_KEY = "MYAPP"  # VULN: hardcoded-secret
UPLOADS = os.environ.get("NOTES_UPLOADS", "/srv/notes/uploads")
