"""Who may do what in the admin: role × model × action, own municipality against another's.

Each case checks, through real HTTP requests to the admin, the list (and whether the object is
in it), the change page (viewing the object), its history, the add page, saving a change and
deleting. Anything not allowed must answer 403 or 404 and leave the database as it was.
"""

from datetime import date

import pytest
from django import forms
from django.test import Client

# (app_label, model_name, field changed by the "change" action, new value)
CASES = {
    "stage_message": ("content", "stagemessage", "subject", "妊娠20週：書き換えた件名"),
    "special_message": ("content", "specialmessage", "subject", "書き換えた件名"),
    "birthday_default": ("content", "birthdaymessage", "subject", "書き換えた件名"),
    "birthday_own": ("content", "birthdaymessage", "subject", "書き換えた件名"),
    "birthday_other": ("content", "birthdaymessage", "subject", "書き換えた件名"),
    "notice_own": ("content", "localnotice", "title", "書き換えたお知らせ"),
    "notice_other": ("content", "localnotice", "title", "書き換えたお知らせ"),
    "municipality_own": ("municipalities", "municipality", "service_name", "書き換えたメール"),
    "municipality_other": ("municipalities", "municipality", "service_name", "書き換えたメール"),
    "contact_own": ("municipalities", "consultationcontact", "name", "書き換えた窓口"),
    "contact_other": ("municipalities", "consultationcontact", "name", "書き換えた窓口"),
    "membership_own": ("municipalities", "staffmembership", "role", "editor"),
    "membership_other": ("municipalities", "staffmembership", "role", "viewer"),
    "subscriber_own": ("subscribers", "subscriber", "nickname", "かきかえ"),
    "subscriber_other": ("subscribers", "subscriber", "nickname", "かきかえ"),
    "child_own": ("subscribers", "child", "due_date", date(2027, 6, 1)),
    "subscription_own": ("subscribers", "subscription", "ended_at", None),
    "delivery_own": ("delivery", "delivery", "last_error", "書き換えたエラー"),
    "delivery_other": ("delivery", "delivery", "last_error", "書き換えたエラー"),
}

EVERYTHING = {"view", "history", "change", "delete"}
READ = {"view", "history"}
NATIONAL = ["stage_message", "special_message", "birthday_default"]
CONTENT_MODELS = {"stagemessage", "specialmessage", "birthdaymessage"}
MUNICIPALITY_MODELS = CONTENT_MODELS | {"localnotice", "municipality", "consultationcontact"}

# role -> case -> what the role may do with that object (absent: nothing at all).
ALLOWED: dict[str, dict[str, set[str]]] = {
    "superuser": dict.fromkeys(CASES, EVERYTHING),
    "content_editor": dict.fromkeys(NATIONAL, EVERYTHING),
    "editor": {
        **dict.fromkeys(NATIONAL, READ),
        "birthday_own": EVERYTHING,
        "notice_own": EVERYTHING,
        "municipality_own": READ | {"change"},
        "contact_own": EVERYTHING,
    },
    "viewer": {
        **dict.fromkeys(NATIONAL, READ),
        "birthday_own": READ,
        "notice_own": READ,
        "municipality_own": READ,
        "contact_own": READ,
    },
    "operator": {"delivery_own": READ, "delivery_other": READ},
    "norole": {},
}
# role -> models whose list page opens
LISTS = {
    "superuser": {case[1] for case in CASES.values()},
    "content_editor": CONTENT_MODELS,
    "editor": MUNICIPALITY_MODELS,
    "viewer": MUNICIPALITY_MODELS,
    "operator": {"delivery"},
    "norole": set(),
}
# role -> models whose add page opens
ADDS = {
    "superuser": {case[1] for case in CASES.values()},
    "content_editor": CONTENT_MODELS,
    "editor": {"birthdaymessage", "localnotice", "consultationcontact"},
    "viewer": set(),
    "operator": set(),
    "norole": set(),
}
DENIED = (403, 404)


def admin_url(app: str, model: str, action: str, pk=None) -> str:
    if pk is None:
        return f"/admin/{app}/{model}/{'add/' if action == 'add' else ''}"
    return f"/admin/{app}/{model}/{pk}/{action}/"


def form_data(response) -> dict:
    """POST data reproducing a change form as rendered, inlines included."""
    data: dict = {}

    def add_form(form) -> None:
        for name, field in form.fields.items():
            key = form.add_prefix(name)
            value = form[name].value()
            if isinstance(field.widget, forms.MultiWidget):
                for index, part in enumerate(field.widget.decompress(value)):
                    data[f"{key}_{index}"] = "" if part is None else part
            elif isinstance(field, forms.BooleanField):
                if value:
                    data[key] = "on"
            elif value is not None:
                data[key] = value

    add_form(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for form in formset.forms:
            add_form(form)
    return data


def _check(world, role, case) -> list[str]:
    """Every way ``role`` meets ``case`` that differs from ALLOWED; empty when all is right."""
    app, model, field, new_value = CASES[case]
    obj = world.objects[case]
    allowed = ALLOWED[role].get(case, set())
    client = Client()
    client.force_login(world.users[role])
    superuser = Client()
    superuser.force_login(world.users["superuser"])
    problems = []

    def expect(what: str, ok: bool, status: int, wanted_ok=(200,)) -> None:
        if ok and status not in wanted_ok:
            problems.append(f"{what}: expected {wanted_ok}, got {status}")
        if not ok and status not in DENIED:
            problems.append(f"{what}: expected 403/404, got {status}")

    change_url = admin_url(app, model, "change", obj.pk)
    # List, and whether this object shows in it.
    response = client.get(admin_url(app, model, "list"))
    expect("list", model in LISTS[role], response.status_code)
    if response.status_code == 200 and (change_url in response.content.decode()) != (
        "view" in allowed
    ):
        problems.append(f"list: object {'missing' if 'view' in allowed else 'visible'}")
    # View the object and its history.
    expect("view", "view" in allowed, client.get(change_url).status_code)
    expect(
        "history",
        "history" in allowed,
        client.get(admin_url(app, model, "history", obj.pk)).status_code,
    )
    # Add page.
    expect("add", model in ADDS[role], client.get(admin_url(app, model, "add")).status_code)
    # Save a change, starting from the form as a superuser sees it.
    data = form_data(superuser.get(change_url))
    if f"{field}_0" in data:
        data[f"{field}_0"], data[f"{field}_1"] = "2026-12-01", "10:00:00"
    else:
        data[field] = new_value
    before = getattr(type(obj).objects.get(pk=obj.pk), field)
    response = client.post(change_url, data)
    after = getattr(type(obj).objects.get(pk=obj.pk), field)
    expect("change", "change" in allowed, response.status_code, (302,))
    if response.status_code == 200 and response.context and response.context.get("errors"):
        problems.append(f"change: form errors {response.context['errors']}")
    if ("change" in allowed) != (after != before):
        problems.append(f"change: value {'unchanged' if 'change' in allowed else 'changed'}")
    # Delete (a municipality with readers is protected: Django explains instead of deleting).
    response = client.post(admin_url(app, model, "delete", obj.pk), {"post": "yes"})
    gone = not type(obj).objects.filter(pk=obj.pk).exists()
    protected = response.status_code == 200 and bool(response.context.get("protected"))
    expect("delete", "delete" in allowed, response.status_code, (302, 200))
    if "delete" in allowed and not (gone or protected):
        problems.append("delete: object still there")
    if "delete" not in allowed and gone:
        problems.append("delete: object deleted")
    return problems


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("role", list(ALLOWED))
def test_role_model_action_matrix(world, role, case):
    assert _check(world, role, case) == []


def test_other_municipalitys_objects_answer_404_not_a_redirect(world):
    client = Client()
    client.force_login(world.users["editor"])
    for case in ("notice_other", "birthday_other", "municipality_other", "contact_other"):
        app, model, *_ = CASES[case]
        pk = world.objects[case].pk
        for action in ("change", "delete", "history"):
            assert client.get(admin_url(app, model, action, pk)).status_code == 404, (case, action)


def test_the_matrix_check_itself_notices_a_wrong_expectation(world, monkeypatch):
    monkeypatch.setitem(ALLOWED["viewer"], "notice_own", {"view", "history", "change"})
    assert "change: expected (302,), got 403" in _check(world, "viewer", "notice_own")
