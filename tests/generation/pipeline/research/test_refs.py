from __future__ import annotations

import pytest

from generation.pipeline.errors import SourceError
from generation.pipeline.research.refs import HfReference, parse_hf_reference

ACCEPTED = [
    # bare ids
    ("Qwen/Qwen3-0.6B", "Qwen/Qwen3-0.6B", "main", ""),
    ("  Qwen/Qwen3-0.6B  ", "Qwen/Qwen3-0.6B", "main", ""),
    ("gpt2", "gpt2", "main", ""),
    ("t5-base", "t5-base", "main", ""),
    ("org/name@v2.0", "org/name", "v2.0", ""),
    ("org/name@refs/pr/3", "org/name", "refs/pr/3", ""),
    ("gpt2@0123456789abcdef0123456789abcdef01234567", "gpt2", "0123456789abcdef0123456789abcdef01234567", ""),
    ("org/name/tree/dev", "org/name", "dev", ""),
    # web links
    ("https://huggingface.co/org/name", "org/name", "main", ""),
    ("https://huggingface.co/org/name/", "org/name", "main", ""),
    ("http://huggingface.co/org/name", "org/name", "main", ""),
    ("huggingface.co/org/name", "org/name", "main", ""),
    ("https://www.huggingface.co/org/name", "org/name", "main", ""),
    ("HTTPS://HuggingFace.co/org/name", "org/name", "main", ""),
    ("https://hf.co/org/name", "org/name", "main", ""),
    ("hf.co/org/name/", "org/name", "main", ""),
    ("https://huggingface.co/gpt2", "gpt2", "main", ""),
    ("https://huggingface.co/org/name?library=transformers", "org/name", "main", ""),
    ("https://huggingface.co/org/name#model-details", "org/name", "main", ""),
    ("https://huggingface.co/org/name/tree/v2.0", "org/name", "v2.0", ""),
    ("https://huggingface.co/org/name/tree/main/onnx", "org/name", "main", ""),
    ("https://huggingface.co/org/name/tree/refs%2Fpr%2F7", "org/name", "refs/pr/7", ""),
    ("https://huggingface.co/gpt2/tree/main", "gpt2", "main", ""),
    ("https://huggingface.co/org/name/blob/main/README.md", "org/name", "main", "README.md"),
    ("https://huggingface.co/org/name/blob/refs/pr/10/README.md", "org/name", "refs/pr/10", "README.md"),
    ("https://huggingface.co/org/name/resolve/main/README.md?download=true", "org/name", "main", "README.md"),
    ("https://huggingface.co/org/name/raw/main/README.md", "org/name", "main", "README.md"),
    ("https://huggingface.co/org/name/resolve/abc123/onnx/model.onnx", "org/name", "abc123", "onnx/model.onnx"),
    ("https://hf.co/org/name/blob/v1/config.json#L3", "org/name", "v1", "config.json"),
    # hf:// URIs
    ("hf://org/name", "org/name", "main", ""),
    ("hf://models/org/name", "org/name", "main", ""),
    ("hf://org/name@v1/README.md", "org/name", "v1", "README.md"),
    ("hf://org/name@refs%2Fpr%2F2/README.md", "org/name", "refs/pr/2", "README.md"),
    ("hf://gpt2", "gpt2", "main", ""),
]


@pytest.mark.parametrize(("text", "repo_id", "revision", "filename"), ACCEPTED)
def test_it_parses_every_pasted_form(text: str, repo_id: str, revision: str, filename: str) -> None:
    assert parse_hf_reference(text) == HfReference(repo_id, revision, filename)


REJECTED = [
    ("", "empty"),
    ("   ", "empty"),
    ("https://huggingface.co/", "does not name a model"),
    ("https://hf.co", "does not name a model"),
    ("hf://", "does not name a model"),
    ("https://huggingface.co/datasets/org/name", "dataset, not a model"),
    ("huggingface.co/datasets/HuggingFaceH4/ultrachat_200k", "dataset, not a model"),
    ("datasets/org/name", "dataset, not a model"),
    ("hf://datasets/org/name", "dataset, not a model"),
    ("https://huggingface.co/spaces/user/app", "Space"),
    ("https://huggingface.co/org/name/discussions", "discussions"),
    ("https://huggingface.co/org/name/discussions/12", "discussions"),
    ("https://huggingface.co/org/name/commits/main", "commit history"),
    ("https://huggingface.co/org/name/settings", "settings"),
    ("https://huggingface.co/gpt2/discussions", "discussions"),
    ("https://huggingface.co/docs/transformers", "page of the Hub site"),
    ("https://huggingface.co/models?search=qwen", "page of the Hub site"),
    ("https://huggingface.co.evil.com/org/name", "not a link to huggingface.co"),
    ("huggingface.co.evil.com/org/name", "not a link to huggingface.co"),
    ("https://evil.com/huggingface.co/org/name", "not a link to huggingface.co"),
    ("https://huggingface.co@evil.com/org/name", "not a link to huggingface.co"),
    ("https://github.com/org/name", "not a link to huggingface.co"),
    ("ftp://huggingface.co/org/name", "not a web link"),
    ("javascript:alert(1)", "not a valid Hugging Face model id"),
    ("org/name/extra", "page of org/name"),
    ("foo--bar", "'--' or '..'"),
    ("org/na..me", "'--' or '..'"),
    ("org/name.git", "'.git'"),
    ("-org/name", "may not start or end"),
    ("org/name-", "may not start or end"),
    ("org/ca fé", "spaces"),
    ("org/café", "only letters, digits"),
    ("o/" + "n" * 96, "longer than 96"),
    ("org/name@", "invalid revision"),
    ("org/name@bad..rev", "invalid revision"),
]


@pytest.mark.parametrize(("text", "message"), REJECTED)
def test_it_rejects_what_is_not_a_model_reference_and_says_why(text: str, message: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse_hf_reference(text)
    assert message in caught.value.message
    assert caught.value.stage == "research"
    # One sentence that says what to do, not a traceback.
    assert caught.value.message.endswith(".")
    assert "\n" not in caught.value.message


def test_it_accepts_links_on_the_configured_endpoint() -> None:
    endpoint = "http://127.0.0.1:8123"
    assert parse_hf_reference("http://127.0.0.1:8123/org/name/tree/v1", endpoint=endpoint) == HfReference(
        "org/name", "v1"
    )
    assert parse_hf_reference("https://hub.internal.example/org/name", endpoint="https://hub.internal.example/") == (
        HfReference("org/name")
    )
    # Other ports of the same host are not the endpoint.
    with pytest.raises(SourceError, match="configured Hub endpoint"):
        parse_hf_reference("http://127.0.0.1:9999/org/name", endpoint=endpoint)


def test_it_still_rejects_unknown_hosts_when_an_endpoint_is_configured() -> None:
    with pytest.raises(SourceError, match=r"not a link to huggingface\.co"):
        parse_hf_reference("https://mirror.example/org/name", endpoint="https://hub.internal.example")


def test_the_reference_is_a_frozen_value() -> None:
    ref = parse_hf_reference("org/name")
    with pytest.raises(AttributeError):
        ref.repo_id = "other/name"  # type: ignore[misc]
    assert ref == HfReference("org/name", "main", "")
