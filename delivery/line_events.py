"""LINE webhook events handed to the reader side (:mod:`subscribers.line_chat`)."""

from __future__ import annotations

from municipalities.models import Municipality
from subscribers import line_chat

from .webhooks import LineEvent, LineFollow, LinePostback, LineText, LineUnfollow


def handle(municipality: Municipality, event: LineEvent) -> str | None:
    """Apply the event; returns the reply text, if the event deserves one."""
    if isinstance(event, LineUnfollow):
        line_chat.unfollowed(municipality, event.user_id)
        return None
    if isinstance(event, LineFollow):
        return line_chat.followed(municipality, event.user_id)
    if isinstance(event, LineText):
        return line_chat.wrote(municipality, event.user_id, event.text)
    if isinstance(event, LinePostback):
        return line_chat.pressed(municipality, event.user_id, event.data)
    return None
