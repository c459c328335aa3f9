import logging
import smtplib

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from celery import shared_task
from django.conf import settings
from django.db import transaction

from . import emails, erasure, links
from .models import Child, Subscriber

logger = logging.getLogger(__name__)


@shared_task
def erase_unsubscribed_readers() -> int:
    """Daily: erase readers who left more than the retention period ago, and delete
    registrations never confirmed (subscribers.erasure)."""
    result = erasure.run()
    logger.info(
        "erased %d readers who left; deleted %d unconfirmed registrations",
        result.erased,
        result.unconfirmed_deleted,
    )
    return result.erased + result.unconfirmed_deleted


PARENT_MAIL_MAX_RETRIES = 10  # with doubling waits from KIZUNA_RETRY_BACKOFF_SECONDS: about 17 h


@shared_task(bind=True, max_retries=PARENT_MAIL_MAX_RETRIES)
def send_parent_mail(
    self,
    kind: str,
    subscriber_id: int,
    child_id: int | None = None,
    profile: links.RejoinProfile | None = None,
) -> bool:
    """A confirmation or manage-link mail, sent outside the request; retried while the mail
    server or ESP is down or busy, dropped when the address itself is refused."""
    try:
        return emails.send_queued(kind, subscriber_id, child_id, profile)
    except (AnymailRecipientsRefused, smtplib.SMTPRecipientsRefused):
        logger.warning("%s mail to subscriber %s refused by the server", kind, subscriber_id)
        return False
    except (smtplib.SMTPException, OSError, AnymailAPIError) as error:
        wait = settings.KIZUNA_RETRY_BACKOFF_SECONDS * 2**self.request.retries
        logger.warning(
            "%s mail to subscriber %s not sent (%s); retrying in %s s",
            kind,
            subscriber_id,
            type(error).__name__,
            wait,
        )
        raise self.retry(exc=error, countdown=wait) from error


def queue_parent_mail(
    kind: str,
    subscriber: Subscriber,
    child: Child | None = None,
    *,
    profile: links.RejoinProfile | None = None,
) -> None:
    """Send ``kind`` of mail (:class:`subscribers.emails.Kind`) to the reader from
    :func:`send_parent_mail`, once the current transaction commits.

    Only ids go to the broker, never an address (a rejoin also carries what the reader typed on
    the form, which its signed link holds anyway).
    """

    def enqueue() -> None:
        send_parent_mail.delay(
            kind, subscriber.pk, child.pk if child is not None else None, profile=profile
        )

    # robust: a broker that is down must not turn a saved signup into an error page.
    transaction.on_commit(enqueue, robust=True)
