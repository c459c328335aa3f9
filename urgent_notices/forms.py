from django import forms
from django.utils.translation import gettext_lazy as _

from kizuna import clock

from .models import UrgentNotice


class UrgentNoticeForm(forms.ModelForm):
    class Meta:
        model = UrgentNotice
        fields = [
            "title",
            "body",
            "audience",
            "age_months_from",
            "age_months_to",
            "include_bereaved",
            "send_at",
        ]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 10, "cols": 80}),
            "audience": forms.RadioSelect,
            "send_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }

    def __init__(self, *args, municipality, author, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The model's clean() renders the text for LINE with the municipality's contacts.
        self.instance.municipality = municipality
        if self.instance.created_by_id is None:
            self.instance.created_by = author

    def clean_send_at(self):
        send_at = self.cleaned_data.get("send_at")
        if send_at is not None and send_at < clock.now():
            raise forms.ValidationError(
                _("過去の日時は指定できません。すぐに送るときは空欄にしてください。")
            )
        return send_at

    def clean(self):
        data = super().clean()
        if data.get("audience") != UrgentNotice.Audience.CHILDREN:
            data["age_months_from"] = data["age_months_to"] = None
            self.instance.age_months_from = self.instance.age_months_to = None
        return data
