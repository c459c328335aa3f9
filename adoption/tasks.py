"""Thin tasks: analyse an uploaded file and run a confirmed import, with progress in the row."""

from celery import shared_task

from . import imports


@shared_task(ignore_result=True)
def analyse_import(batch_id: int) -> None:
    imports.analyse(batch_id)


@shared_task(ignore_result=True)
def run_import(batch_id: int) -> None:
    imports.run(batch_id)
