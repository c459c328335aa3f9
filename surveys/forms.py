"""The reader's answer form, built from the survey's questions; works without JavaScript."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from content.rendering import plain_html

from .models import Question, Response, Survey

TEXT_LIMIT = 2000


def field_name(question: Question) -> str:
    return f"q{question.pk}"


class AnswerForm(forms.Form):
    def __init__(self, *args, survey: Survey, questions: list[Question], **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.survey = survey
        self.questions = questions
        for number, question in enumerate(questions, start=1):
            self.fields[field_name(question)] = _field_for(question, number)

    def answers(self) -> dict[int, int | list[int] | str | None]:
        """Question id → value, as services.submit_response takes them."""
        values = {}
        for question in self.questions:
            value = self.cleaned_data.get(field_name(question))
            if question.kind == Question.Kind.MULTIPLE:
                values[question.pk] = [int(v) for v in value or []]
            elif question.kind == Question.Kind.TEXT:
                values[question.pk] = value or ""
            else:
                values[question.pk] = int(value) if value not in (None, "") else None
        return values


def _field_for(question: Question, number: int) -> forms.Field:
    required_message = _("この質問にはお答えください。")
    optional = "" if question.required else _("（任意）")
    common = {
        "label": f"問{number}　{question.text}{optional}",
        "help_text": plain_html(question.help_text),
        "required": question.required,
        "error_messages": {
            "required": required_message,
            "invalid_choice": _("選択肢の中から選んでください。"),
            "invalid_list": _("選択肢の中から選んでください。"),
        },
    }
    choices = [(str(value), label) for value, label in question.choices()]
    if question.kind == Question.Kind.MULTIPLE:
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    if question.kind == Question.Kind.TEXT:
        return forms.CharField(
            max_length=TEXT_LIMIT,
            widget=forms.Textarea(attrs={"rows": 4}),
            **{
                **common,
                "error_messages": {
                    "required": required_message,
                    "max_length": _(
                        "%(limit_value)d文字以内でお書きください（いま%(show_value)d文字）。"
                    ),
                },
            },
        )
    return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)


def initial_from(response: Response | None, questions: list[Question]) -> dict:
    """The reader's saved answers as form initial values, to change them."""
    if response is None:
        return {}
    initial: dict = {}
    by_question: dict[int, list] = {}
    for answer in response.answers.all():
        by_question.setdefault(answer.question_id, []).append(answer)
    for question in questions:
        answers = by_question.get(question.pk, [])
        if not answers:
            continue
        if question.kind == Question.Kind.MULTIPLE:
            initial[field_name(question)] = [str(a.choice) for a in answers]
        elif question.kind == Question.Kind.TEXT:
            initial[field_name(question)] = answers[0].text
        else:
            initial[field_name(question)] = str(answers[0].choice)
    return initial
