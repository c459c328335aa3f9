from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def prune_audit_trail() -> int:
    """Daily from beat: events past the retention period go."""
    return services.prune()
