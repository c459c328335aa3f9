"""Factories for content texts (the shared tests/factories.py holds tenants and families)."""

import factory

from content.models import BirthdayMessage, LocalNotice, SpecialMessage, StageMessage
from tests.factories import MunicipalityFactory


class StageMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StageMessage

    track = "pregnancy"
    unit = "week"
    number = 20
    audience = "everyone"
    language = "ja"
    subject = factory.LazyAttribute(lambda m: f"妊娠{m.number}週：テストのメッセージ")
    body = "## 赤ちゃんのようす\n{{ nickname }}さんの赤ちゃんは順調です。"
    published = True


class SpecialMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpecialMessage

    kind = "welcome"
    audience = "everyone"
    language = "ja"
    subject = "ご登録ありがとうございます"
    body = "## ようこそ\n{{ service_name }}にご登録いただき、ありがとうございます。"
    published = True


class BirthdayMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BirthdayMessage

    municipality = None
    age_years = 1
    language = "ja"
    subject = factory.LazyAttribute(lambda m: f"{m.age_years}歳のお誕生日おめでとうございます")
    body = "## おめでとうございます\n{{ nickname }}さん、1年間おつかれさまでした。"
    published = True


class LocalNoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LocalNotice

    municipality = factory.SubFactory(MunicipalityFactory)
    title = "3〜4か月児健診のご案内"
    body = "日時: 毎月第2火曜日 13:00〜\n場所: 保健センター\n\n- 母子健康手帳\n- バスタオル"
    track = "child"
    unit = "month"
    number_from = 3
    number_to = 4
    published = True
