#!/usr/bin/env bash
# Make sure the services `make test` needs are up: PostgreSQL and Redis on loopback, and
# Debian's Chromium for the browser tests. Starts what is installed but down; says how to
# get what is missing. Never lets the tests run without them.
set -euo pipefail

pg_host=127.0.0.1 pg_port=5432 redis_port=6379
fail() { echo "ERROR: $*" >&2; exit 1; }

pg_up() { pg_isready -q -h "$pg_host" -p "$pg_port" 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG; }

if ! command -v pg_isready >/dev/null; then
  fail "PostgreSQL client tools are missing. Install PostgreSQL 15 (apt-get install -y postgresql) or run: docker compose up -d postgres"
fi
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "Starting PostgreSQL…"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  pg_up || fail "PostgreSQL is not answering on $pg_host:$pg_port. Start it (pg_ctlcluster … main start) or run: docker compose up -d postgres"
fi
if ! psql -h "$pg_host" -p "$pg_port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='kizuna'" | grep -q 1; then
  createdb -h "$pg_host" -p "$pg_port" -U postgres kizuna
fi

if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "Starting Redis…"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no >/dev/null
    for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  fi
  redis_up || fail "Redis is not answering on 127.0.0.1:$redis_port. Install redis-server (apt-get install -y redis-server) or run: docker compose up -d redis"
fi

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium for the browser tests…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  fi
  [ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing. Install it: sudo apt-get install -y chromium"
fi
# Japanese font for the signup flyer (PDF) and for Chromium's screenshots.
if [ ! -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] && [ "$(id -u)" = 0 ] \
    && command -v apt-get >/dev/null; then
  echo "Installing Debian's fonts-noto-cjk for the signup flyer…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null
fi
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] \
  || fail "The Japanese font for the flyer is missing. Install it: sudo apt-get install -y fonts-noto-cjk"
# Devanagari (नेपाली) and the other scripts of the parents' languages, for the pages in Chromium.
if [ ! -f /usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf ] && [ "$(id -u)" = 0 ] \
    && command -v apt-get >/dev/null; then
  echo "Installing Debian's fonts-noto-core for the Nepali pages…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-core >/dev/null
fi
[ -f /usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf ] \
  || fail "The Devanagari font is missing. Install it: sudo apt-get install -y fonts-noto-core"
# poppler's pdftoppm, which turns the yearly report's PDF into a picture for its browser test.
if ! command -v pdftoppm >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's poppler-utils for the PDF tests…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
fi
command -v pdftoppm >/dev/null || fail "pdftoppm is missing. Install it: sudo apt-get install -y poppler-utils"
# npm, to install axe-core for the accessibility test (the Makefile keeps it in a cache).
if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's npm for the accessibility test (axe-core)…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi
command -v npm >/dev/null \
  || fail "npm is missing (the accessibility test installs axe-core with it). Install it: sudo apt-get install -y npm"
echo "PostgreSQL, Redis, Chromium, the Japanese font and npm are ready."
