"""What happens to a reader or a child, announced for the apps that act on it.

Readers and children sit below the delivery engine and the feature apps: they don't reach up
to queue or stop messages. They announce the change here instead, and the apps above connect
receivers from their ``AppConfig.ready()`` (the delivery engine's are in
``delivery/reader_events.py``). Receivers run at once, inside the caller's transaction, so a
failure rolls the change back with everything else.
"""

from django.dispatch import Signal

# A reader's subscription is confirmed (by mail or by a LINE follow): ``subscription``.
reader_confirmed = Signal()
# A birth was reported for an expecting child: ``child`` (due date and birth date both set).
birth_reported = Signal()
# A loss was reported: ``child``; nothing more about it may reach anyone following it.
loss_reported = Signal()
# Staff corrected a due date or birth date: ``child``, ``old_anchor``, ``new_anchor``.
child_dates_moved = Signal()
# The reader chose another channel: ``subscriber``, ``channel`` (the new one).
channel_changed = Signal()
# The reader can no longer be reached on ``channel`` (a LINE block): ``subscriber``, ``reason``.
channel_stopped = Signal()
# The reader unsubscribed: ``subscriber``.
reader_unsubscribed = Signal()
# The readers' personal data is being erased (ids=[…]): apps forget what those readers wrote.
readers_erased = Signal()
