"""GET /console: the staff console page and its files (works offline, no CDN, strict CSP).

The page holds no data: it signs the user in with Firebase Authentication (e-mail and
password, through the endpoints /web/config.json names) and calls /v1/triage with the ID
token. What a role may do is enforced by the API; the page only hides what would be refused.
"""

from pathlib import Path

from api.web.pages import page_router

router = page_router("/console", "console.html", Path(__file__).resolve().parent / "static")
