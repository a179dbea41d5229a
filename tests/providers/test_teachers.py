from __future__ import annotations

from providers.local import LocalTeacher
from providers.openai_compatible import OpenAICompatibleTeacher
from providers.poe import PoeTeacher
from tests.fakes.teacher_server import FakeTeacherServer
from tests.providers.factories import SECRET_KEY, make_client, make_request


def test_describe_and_repr_never_show_the_key():
    for cls in (OpenAICompatibleTeacher, PoeTeacher, LocalTeacher):
        teacher = cls(model="m", base_url="https://example.com/v1", api_key=SECRET_KEY)

        assert SECRET_KEY not in repr(teacher)
        assert SECRET_KEY not in str(teacher.describe())
        assert SECRET_KEY not in repr(teacher.http)
        assert teacher.describe()["provider"] == cls.key
        assert teacher.describe()["structured_modes"] == list(cls.structured_modes)


def test_a_teacher_completes_through_the_shared_client(teacher_server):
    teacher = LocalTeacher(model="teacher", base_url=teacher_server.base_url, http=make_client())

    completion = teacher.complete(make_request())

    assert completion.text == '{"ok": true}'


def test_probe_lists_the_models_of_a_running_server():
    with FakeTeacherServer(models=("qwen", "smollm2")) as server:
        result = LocalTeacher(model="qwen", base_url=server.base_url, http=make_client()).probe()

        assert result.ok is True
        assert result.models == ("qwen", "smollm2")
        assert result.latency_ms is not None
        assert server.requests[0].method == "GET"
        assert server.requests[0].path == "/v1/models"


def test_probe_reports_a_refused_key_without_showing_it():
    with FakeTeacherServer(require_api_key="the-right-key") as server:
        teacher = OpenAICompatibleTeacher(model="m", base_url=server.base_url, api_key=SECRET_KEY, http=make_client())

        result = teacher.probe()

        assert result.ok is False
        assert "401" in result.message
        assert SECRET_KEY not in result.message
        assert server.requests[0].header("authorization") == f"Bearer {SECRET_KEY}"


def test_probe_reports_a_server_that_is_not_running():
    with FakeTeacherServer() as server:
        base_url = server.base_url

    result = LocalTeacher(model="m", base_url=base_url, http=make_client()).probe()

    assert result.ok is False
    assert "Could not reach" in result.message


def test_probe_of_a_remote_provider_without_a_key_makes_no_request():
    result = PoeTeacher(model="m", http=make_client()).probe()

    assert result.ok is False
    assert "POE_API_KEY" in result.message
