"""Sign in to a running tracker with the demo's clerk password and read the demo's pages:
each answers 200 with what a user would see. Usage: smoke_pages.py BASE_URL CLERK_PASSWORD"""

from __future__ import annotations

import http.cookiejar
import re
import sys
import time
import urllib.parse
import urllib.request

PAGES = {
    "/": "Pending",
    "/cases": "LV-APMBC-2025",
    "/cases/LV-APMBC-2025": "Latvia",
    "/dashboard": "Dashboard",
    "/audit": "LV-APMBC-2025",
    "/api/docs": "openapi",
    "/api/v1/cases": "LV-APMBC-2025",
    "/static/tracker.css": "{",
    "/static/favicon.svg": "<svg",
}


def main(base: str, password: str) -> None:
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    deadline = time.time() + 30
    while True:
        try:
            login = browser.open(f"{base}/login", timeout=10).read().decode()
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.3)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login)
    assert token, "no CSRF token on the sign-in page"
    form = {"csrf_token": token.group(1), "name": "clerk", "password": password}
    signed = browser.open(f"{base}/login", urllib.parse.urlencode(form).encode(), timeout=10)
    assert "Signed in as clerk" in signed.read().decode(), "the clerk could not sign in"
    for path, expected in PAGES.items():
        with browser.open(f"{base}{path}", timeout=30) as response:
            body = response.read().decode()
            assert response.status == 200, (path, response.status)
            assert expected.lower() in body.lower(), (path, expected)
        print(f"ok {path}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
