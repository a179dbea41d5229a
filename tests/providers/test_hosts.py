from __future__ import annotations

import pytest

from providers.hosts import is_local_base_url, is_local_host


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("0.0.0.0", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("172.31.255.254", True),
        ("172.32.0.1", False),
        ("192.168.1.20", True),
        ("169.254.10.1", True),
        ("::1", True),
        ("[::1]", True),
        ("fd12:3456::1", True),
        ("fe80::1%eth0", True),
        ("::ffff:192.168.0.5", True),
        ("host.docker.internal", True),
        ("host.containers.internal", True),
        ("ollama", True),
        ("vllm", True),
        ("gpu-box.local", True),
        ("api.openai.com", False),
        ("api.poe.com", False),
        ("8.8.8.8", False),
        ("100.64.0.1", False),
        ("2001:4860:4860::8888", False),
        ("localhost.example.com", False),
        ("", False),
    ],
)
def test_it_tells_local_hosts_from_remote_ones(host, local):
    assert is_local_host(host) is local


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8077/v1", True),
        ("http://localhost:11434/v1", True),
        ("http://[::1]:8000/v1", True),
        ("http://ollama:11434/v1", True),
        ("http://host.docker.internal:8000/v1", True),
        ("https://10.0.0.5/v1", True),
        ("https://api.openai.com/v1", False),
        ("https://api.poe.com/v1", False),
        ("not a url", False),
        ("", False),
    ],
)
def test_it_tells_local_base_urls_from_remote_ones(url, local):
    assert is_local_base_url(url) is local
