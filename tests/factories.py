"""factory_boy factories for the accounts app; other apps keep theirs in tests/<app>/factories.py."""

import factory

from accounts.models import User, UserPreferences

DEFAULT_PASSWORD = "diamond-practice-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"learner{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)
    preferences = factory.RelatedFactory("tests.factories.PreferencesFactory", factory_related_name="user")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PreferencesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserPreferences
