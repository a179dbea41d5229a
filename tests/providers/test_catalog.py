from __future__ import annotations

import json

import pytest

from providers import catalog
from providers.base import Teacher
from providers.catalog import (
    ProviderConfigError,
    UnknownProvider,
    catalog_entries,
    default_provider,
    get_teacher,
    provider_class,
)
from providers.local import LocalTeacher
from providers.openai_compatible import OpenAICompatibleTeacher
from providers.poe import PoeTeacher
from tests.providers.factories import SECRET_KEY, alain_config


def test_the_demo_teacher_is_the_default_when_nothing_is_configured():
    assert default_provider(alain_config()) == "demo"


def test_the_configured_default_provider_wins():
    assert default_provider(alain_config(DEFAULT_PROVIDER="local", OPENAI_API_KEY=SECRET_KEY)) == "local"


def test_a_configured_key_makes_its_provider_the_default():
    assert default_provider(alain_config(OPENAI_API_KEY=SECRET_KEY)) == "openai"
    assert default_provider(alain_config(POE_API_KEY=SECRET_KEY)) == "poe"
    assert default_provider(alain_config(OPENAI_BASE_URL="http://127.0.0.1:8077/v1")) == "openai"


def test_get_teacher_without_a_provider_builds_the_demo_teacher_when_nothing_is_configured():
    pytest.importorskip("providers.demo")

    teacher = get_teacher(None, settings=alain_config())

    assert teacher.key == "demo"
    assert teacher.is_demo


def test_get_teacher_reads_the_django_settings_when_none_are_given(settings):
    settings.ALAIN = alain_config(DEFAULT_PROVIDER="local", LOCAL_MODEL="qwen-coder", HTTP_MAX_ATTEMPTS=5)

    teacher = get_teacher(None)

    assert isinstance(teacher, LocalTeacher)
    assert teacher.model == "qwen-coder"
    assert teacher.http.policy.max_attempts == 5


def test_an_unknown_provider_is_a_config_error_that_lists_the_known_ones():
    with pytest.raises(UnknownProvider) as caught:
        get_teacher("anthropic-direct", settings=alain_config())

    assert isinstance(caught.value, ProviderConfigError)
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert "anthropic-direct" in message
    for key in ("demo", "local", "openai", "poe"):
        assert key in message


@pytest.mark.parametrize(("provider", "env_var"), [("openai", "OPENAI_API_KEY"), ("poe", "POE_API_KEY")])
def test_a_remote_provider_without_a_key_says_which_variable_to_set(provider, env_var):
    with pytest.raises(ProviderConfigError, match=env_var):
        get_teacher(provider, settings=alain_config())


def test_poe_needs_a_key_even_on_a_local_address():
    with pytest.raises(ProviderConfigError, match="POE_API_KEY"):
        get_teacher("poe", base_url="http://127.0.0.1:9000/v1", settings=alain_config())


def test_local_servers_need_no_key():
    teacher = get_teacher("local", settings=alain_config())

    assert isinstance(teacher, LocalTeacher)
    assert teacher.base_url == "http://127.0.0.1:8000/v1"
    assert teacher.model == "teacher"
    assert not teacher.has_api_key


def test_openai_compatible_needs_no_key_for_a_server_on_the_private_network():
    teacher = get_teacher("openai", base_url="http://ollama:11434/v1/", model="llama3", settings=alain_config())

    assert isinstance(teacher, OpenAICompatibleTeacher)
    assert teacher.base_url == "http://ollama:11434/v1"
    assert teacher.model == "llama3"


def test_explicit_arguments_win_over_settings():
    config = alain_config(OPENAI_API_KEY="sk-from-settings-000000000", OPENAI_MODEL="gpt-4o-mini")

    teacher = get_teacher(
        "openai", model="gpt-4o", base_url="https://gateway.example.com/v1", api_key=SECRET_KEY, settings=config
    )

    assert (teacher.model, teacher.base_url, teacher._api_key) == (
        "gpt-4o",
        "https://gateway.example.com/v1",
        SECRET_KEY,
    )


def test_empty_arguments_count_as_not_given():
    teacher = get_teacher("local", model="", base_url="", settings=alain_config(LOCAL_MODEL="qwen"))

    assert (teacher.model, teacher.base_url) == ("qwen", "http://127.0.0.1:8000/v1")


def test_the_default_teacher_model_belongs_to_the_default_provider():
    config = alain_config(DEFAULT_PROVIDER="local", DEFAULT_TEACHER_MODEL="qwen2.5-coder", OPENAI_API_KEY=SECRET_KEY)

    assert get_teacher(None, settings=config).model == "qwen2.5-coder"
    assert get_teacher("openai", settings=config).model == "gpt-4o-mini"


def test_known_models_bring_their_context_window_and_unknown_ones_the_configured_one():
    config = alain_config(OPENAI_API_KEY=SECRET_KEY, TEACHER_CONTEXT_TOKENS=8192)

    assert get_teacher("openai", model="gpt-4o-mini", settings=config).context_tokens == 128000
    assert get_teacher("openai", model="my-finetune", settings=config).context_tokens == 8192


def test_the_catalog_lists_every_provider_with_its_capabilities_and_never_a_key():
    config = alain_config(OPENAI_API_KEY=SECRET_KEY, POE_API_KEY="poe-key-abcdefghijklmnopqrstuvwxyz0123456789")

    entries = {entry["key"]: entry for entry in catalog_entries(config)}

    assert set(entries) == {"openai", "poe", "local", "demo"}
    assert entries["openai"]["has_key"] is True
    assert entries["openai"]["configured"] is True
    assert entries["openai"]["default"] is True
    assert entries["openai"]["capabilities"] == ["json_schema", "json_object_schema", "json_object", "prompt_only"]
    assert entries["poe"]["capabilities"] == ["prompt_only"]
    assert entries["poe"]["base_url"] == "https://api.poe.com/v1"
    assert entries["local"]["has_key"] is False
    assert entries["local"]["configured"] is True
    assert entries["local"]["default_model"] == "teacher"
    serialized = json.dumps(entries)
    assert SECRET_KEY not in serialized
    assert "poe-key-abcdefghijklmnopqrstuvwxyz0123456789" not in serialized


def test_an_unconfigured_remote_provider_is_listed_as_not_configured():
    entries = {entry["key"]: entry for entry in catalog_entries(alain_config())}

    assert entries["openai"]["has_key"] is False
    assert entries["openai"]["configured"] is False
    assert entries["openai"]["api_key_env"] == "OPENAI_API_KEY"
    assert entries["demo"]["default"] is True


def test_gpt_oss_is_only_offered_when_enabled():
    def offered(config: dict) -> dict[str, set[str]]:
        return {e["key"]: {m["id"].lower() for m in e.get("models", [])} for e in catalog_entries(config)}

    hidden = offered(alain_config())
    shown = offered(alain_config(ENABLE_GPT_OSS=True))

    assert "gpt-oss-120b" not in hidden["openai"] | hidden["poe"]
    assert "gpt-oss-120b" in shown["openai"]
    assert "gpt-oss-120b" in shown["poe"]


class EchoTeacher(Teacher):
    key = "echo"
    label = "Echo"


def test_adding_a_provider_is_one_catalog_line(monkeypatch):
    monkeypatch.setitem(catalog.PROVIDERS, "echo", f"{__name__}.EchoTeacher")

    teacher = get_teacher("echo", model="parrot", settings=alain_config())

    assert isinstance(teacher, EchoTeacher)
    assert teacher.model == "parrot"
    assert "echo" in {entry["key"] for entry in catalog_entries(alain_config())}


def test_a_provider_whose_module_is_missing_is_listed_as_unavailable(monkeypatch):
    monkeypatch.setitem(catalog.PROVIDERS, "ghost", "providers.no_such_module.GhostTeacher")

    entries = {entry["key"]: entry for entry in catalog_entries(alain_config())}

    assert entries["ghost"]["available"] is False
    assert entries["openai"]["available"] is True
    with pytest.raises(ProviderConfigError, match="ghost"):
        provider_class("ghost")


def test_the_registry_classes_are_teachers_with_their_keys():
    assert provider_class("openai") is OpenAICompatibleTeacher
    assert provider_class("poe") is PoeTeacher
    assert provider_class("local") is LocalTeacher
