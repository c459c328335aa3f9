#!/bin/sh
# The web process outside Docker: static files collected first (hashed names, compressed, a
# manifest), then gunicorn. Without collectstatic Kizuna still serves its static files, but from
# the source folders and without cache-busting names.
set -e
cd "$(dirname "$0")/.."
python manage.py collectstatic --noinput -v 0
exec gunicorn kizuna.wsgi:application --bind "${KIZUNA_BIND:-0.0.0.0:8000}" \
    --workers "${WEB_CONCURRENCY:-3}"
