"""Thin tasks: analyse an uploaded file and run a confirmed import, with progress in the row.

Both are time-limited (``KIZUNA_IMPORT_TIME_LIMIT_SECONDS``: the soft limit ends an analysis as
failed; the hard one, a minute later, kills a worker stuck in C code). They keep the project's
late acknowledgement, so a batch whose worker died is delivered again; analysis counts its
attempts in the batch and ends a second one as failed instead of reading the file again, and
an import resumes where its committed chunks stopped.
"""

from celery import shared_task
from django.conf import settings

from . import imports

_SOFT = settings.KIZUNA_IMPORT_TIME_LIMIT_SECONDS
_HARD = _SOFT + 60


@shared_task(ignore_result=True, soft_time_limit=_SOFT, time_limit=_HARD)
def analyse_import(batch_id: int) -> None:
    imports.analyse(batch_id)


@shared_task(ignore_result=True, soft_time_limit=_SOFT, time_limit=_HARD)
def run_import(batch_id: int) -> None:
    imports.run(batch_id)
