"""CI: every parent-facing msgid translated in each language's .po, and each .mo compiled from it.

DEBUG=true .venv/bin/python scripts/check_messages.py
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kizuna.settings")

import django

django.setup()

from kizuna.message_catalogs import check_catalogs  # noqa: E402


def main() -> int:
    results = check_catalogs()
    failed = False
    for language, problems in results.items():
        print(f"{language}: {'ok' if not problems else f'{len(problems)} problems'}")
        for problem in problems[:50]:
            print(f"  {problem}")
        failed = failed or bool(problems)
    if not results:
        print("no catalogs besides Japanese yet")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
