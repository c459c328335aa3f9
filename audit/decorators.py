"""Mark a view for the audit trail: the middleware records each request to it."""

from __future__ import annotations


def audited(action: str, target: str):
    """``@audited("view", "surveys.answers")`` or ``@audited("export", "adoption.readers")``."""

    def mark(view):
        view.audit_action = action
        view.audit_target = target
        return view

    return mark
