"""GET /dashboard: the leadership page, served with every file it needs (works offline, no CDN).

The page itself holds no data; it signs the user in like the staff console (shared modules
under /web/static) and calls /v1/stats with the ID token. Served under the same strict
Content-Security-Policy (api.web.pages).
"""

from pathlib import Path

from api.web.pages import page_router

router = page_router("/dashboard", "dashboard.html", Path(__file__).resolve().parent / "static")
