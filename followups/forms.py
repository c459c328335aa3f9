"""The family's forms: a questionnaire built from its questions, and 「話を聞いてほしい」.
Both are plain HTML forms (radio buttons, check boxes, text areas): no JavaScript needed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Question
from .services import MESSAGE_LIMIT, AnswerValue

TEXT_LIMIT = 2000


def field_name(question: Question) -> str:
    return f"q{question.pk}"


class QuestionnaireForm(forms.Form):
    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.questions = questions
        for number, question in enumerate(questions, start=1):
            self.fields[field_name(question)] = _field_for(question, number)

    def answers(self) -> dict[int, AnswerValue]:
        values: dict[int, AnswerValue] = {}
        for question in self.questions:
            value = self.cleaned_data.get(field_name(question))
            if question.kind == Question.Kind.TEXT:
                values[question.pk] = value or ""
            elif question.kind == Question.Kind.MULTIPLE:
                values[question.pk] = [int(v) for v in value or []]
            else:
                values[question.pk] = [int(value)] if value else []
        return values


def _field_for(question: Question, number: int) -> forms.Field:
    required_message = _("この質問にはお答えください。")
    optional = "" if question.required else _("（任意）")
    common: dict[str, Any] = {
        "label": f"問{number}　{question.text}{optional}",
        "help_text": question.help_text,
        "required": question.required,
        "error_messages": {
            "required": required_message,
            "invalid_choice": _("選択肢の中から選んでください。"),
            "invalid_list": _("選択肢の中から選んでください。"),
        },
    }
    if question.kind == Question.Kind.TEXT:
        common["error_messages"]["max_length"] = _(
            "%(limit_value)d文字以内でお書きください（いま%(show_value)d文字）。"
        )
        return forms.CharField(
            max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 3}), **common
        )
    # Points are for the health staff: the family sees the words only.
    choices = [(str(i), o.label) for i, o in enumerate(question.parsed_options(), start=1)]
    if question.kind == Question.Kind.MULTIPLE:
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)


class TalkForm(forms.Form):
    message = forms.CharField(
        label=_("お話ししたいこと（任意）"),
        help_text=_("書かなくても大丈夫です。書くと、保健師が前もって知ることができます。"),
        required=False,
        max_length=MESSAGE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": _("%(limit_value)d文字以内でお書きください。")},
    )
    phone = forms.CharField(
        label=_("お電話番号（任意）"),
        help_text=_("お電話での連絡を希望されるときに。例: 090-1234-5678"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    reachable = forms.CharField(
        label=_("連絡のつきやすい時間（任意）"),
        help_text=_("例: 平日の午前中、15時以降"),
        required=False,
        max_length=100,
    )
