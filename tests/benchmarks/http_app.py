"""The app as gunicorn serves it, plus the bare route the HTTP benchmark compares with:
`gunicorn 'tests.benchmarks.http_app:app'` (DATABASE_URL and SECRET_KEY from the environment)."""

from __future__ import annotations

from app import create_app

app = create_app()
app.add_url_rule("/bench/bare", "bench_bare", lambda: "ok")
