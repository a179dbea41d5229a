"""Secrets in cells, outputs and metadata: known formats, credential literals, random tokens; never echoed."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from generation.pipeline.validators.secrets import find_secrets, looks_random, mask
from tests.generation.pipeline.validators.helpers import codes, demo, notebook, only, run

# Canaries assembled at run time, so this file holds no secret-shaped literal of its own.
OPENAI = "sk-proj-" + "A1b2C3d4" * 5
KNOWN = {
    "openai-key": OPENAI,
    "anthropic-key": "sk-ant-api03-" + "Zx9Yw8Vu7T" * 3,
    "huggingface-token": "hf_" + "aB3dE5gH7j" * 3 + "kLmN",
    "aws-access-key": "AKIA" + "ABCDEFGH23456789",
    "github-token": "ghp_" + "a1B2c3D4e5" * 3 + "F6g7H8",
    "slack-token": "xoxb-" + "1234567890-abcdefABCDEF",
    "google-api-key": "AIza" + "Sy" + "A1b2C3d4E5" * 3 + "f6G",
    "private-key": "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEow...",
    "stripe-key": "sk_" + "live_" + "Q1w2E3r4T5" * 3,
    "jwt": "eyJ" + "hbGciOiJIUzI1NiJ9" + ".eyJ" + "zdWIiOiIxMjM0NTY3ODkwIn0" + "." + "dozjgNryP4J3jVmNHl0w5N",
}
# Second spellings of some formats: each must pass the quick text check that `_known` runs first.
OTHER_SPELLINGS = [
    ("aws-access-key", "ASIA" + "ZYXWVUT987654321"),
    ("github-token", "github_pat_" + "11ABCDEFG0" * 6),
    ("slack-token", "https://hooks.slack.com/services/" + "T0000/B0000/" + "XXXXXXXXXXXXXXXXXXXXXXXX"),
]
RANDOM_TOKEN = "Qx7" + "fK2mZ9pL4vR8tW1yB6nD3hJ5sG0cX" + "aE"


@pytest.mark.parametrize(("code", "secret"), [*KNOWN.items(), *OTHER_SPELLINGS])
def test_a_known_key_format_in_code_is_an_error_that_never_echoes_it(code, secret):
    finding = only(notebook(f"value = {secret!r}"), "secrets", f"secret-{code}")
    assert finding.severity == "error" and finding.cell_index == 0
    body = secret.split("\n")[0] if code == "private-key" else secret
    if code != "private-key":
        assert body not in finding.message and mask(secret) in finding.message


@pytest.mark.parametrize("name", ["aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "AwsSecretKey"])
def test_an_aws_secret_access_key_is_found_by_its_name(name):
    secret = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
    finding = only(notebook(f'{name} = "{secret}"'), "secrets", "secret-aws-secret-key")
    assert secret not in finding.message


def test_every_known_format_has_the_text_it_cannot_match_without():
    from generation.pipeline.validators import secrets

    assert set(secrets._KNOWN_ANCHORS) == set(secrets.KNOWN_FORMATS) == set(KNOWN) | {"aws-secret-key"}
    for code, (_, pattern) in secrets.KNOWN_FORMATS.items():
        if pattern.flags & re.IGNORECASE:  # looked up in the lower-cased text
            assert all(anchor == anchor.lower() for anchor in secrets._KNOWN_ANCHORS[code]), code


def test_a_literal_key_assigned_in_code_is_fixable():
    finding = only(notebook(f'OPENAI_API_KEY = "{OPENAI}"'), "secrets", "secret-openai-key")
    assert finding.fixable and "auto-fix replaces the literal" in finding.message
    assert "sk-p…(48 chars)" in finding.message


def test_a_key_inside_a_call_is_reported_but_not_fixable():
    finding = only(notebook(f'client = OpenAI(api_key="{OPENAI}")'), "secrets", "secret-openai-key")
    assert not finding.fixable and 'os.environ["..."]' in finding.message


def test_a_key_in_an_output_is_found_with_its_own_fix():
    nb = notebook("print(key)")
    nb.cells[0].outputs = [{"output_type": "stream", "name": "stdout", "text": f"key is {OPENAI}\n"}]
    finding = only(nb, "secrets", "secret-openai-key")
    assert finding.message.startswith("An output of Cell 0 (code)") and "Clear the cell's outputs" in finding.message
    assert not finding.fixable and OPENAI not in finding.message


def test_a_key_in_rich_and_error_outputs_is_found():
    nb = notebook("show()", "fail()")
    nb.cells[0].outputs = [
        {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"text/plain": OPENAI}}
    ]
    nb.cells[1].outputs = [
        {"output_type": "error", "ename": "AuthError", "evalue": f"bad key {OPENAI}", "traceback": []}
    ]
    assert [f.cell_index for f in run(nb, "secrets")] == [0, 1]


def test_a_key_in_markdown_is_an_error_to_delete_by_hand():
    finding = only(notebook(f"md:My key: {OPENAI}"), "secrets", "secret-openai-key")
    assert "in its text. Delete it" in finding.message and not finding.fixable


def test_a_key_in_the_notebook_metadata_is_found():
    nb = notebook("x = 1")
    nb.metadata["alain"] = {"teacher": {"api_key": OPENAI}}
    finding = only(nb, "secrets", "secret-openai-key")
    assert finding.cell_index is None and "metadata" in finding.message


def test_a_random_literal_assigned_to_a_credential_name_is_an_error():
    finding = only(notebook('MY_SERVICE_TOKEN = "q8ZfT2r9LmV4xW"'), "secrets", "secret-assigned-literal")
    assert finding.fixable and "q8ZfT2r9LmV4xW" not in finding.message and "q8Zf…(14 chars)" in finding.message


def test_a_poe_key_has_no_prefix_and_is_found_by_its_name():
    assert "secret-poe-key" in codes(notebook(f'POE_API_KEY = "{RANDOM_TOKEN[:40]}"'), "secrets")


def test_a_long_random_token_anywhere_is_a_warning():
    finding = only(notebook(f'headers = {{"X-Custom": "{RANDOM_TOKEN}"}}'), "secrets", "secret-high-entropy")
    assert finding.severity == "warning" and RANDOM_TOKEN not in finding.message


def test_hex_digests_and_commit_ids_are_not_secrets():
    digest = hashlib.sha256(b"weights").hexdigest()
    source = (
        f"# sha256: {digest}\nREVISION = '{'0123456789abcdef' * 2}01234567'\nmd5 = '{hashlib.md5(b'x').hexdigest()}'"
    )
    assert codes(notebook(source), "secrets") == []


def test_a_hex_string_assigned_to_a_key_name_is_a_secret():
    assert "secret-assigned-literal" in codes(notebook(f'API_KEY = "{hashlib.md5(b"k").hexdigest()}"'), "secrets")


@pytest.mark.parametrize(
    "text",
    [
        "from transformers import AutoModelForSequenceClassification, Qwen2VLForConditionalGeneration",
        "model_id = 'meta-llama/Meta-Llama-3.1-8B-Instruct'",
        "url = 'https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/resolve/main/config.json'",
        "very_long_descriptive_function_name_for_tokenizing_inputs_v2 = 1",
        "tokenizer.pad_token = tokenizer.eos_token\nmax_tokens = 256\nTOKEN_LIMIT = 4096",
        "OPENAI_API_KEY = os.environ['OPENAI_API_KEY']\nkey = 'not-needed'",
        'client = OpenAI(api_key="sk-no-key-required")',
        "path = 'sentence-transformers/all-MiniLM-L6-v2/pytorch_model.bin'",
    ],
)
def test_ordinary_code_is_not_mistaken_for_a_secret(text):
    assert find_secrets(text) == []


def test_base64_images_in_outputs_are_not_scanned():
    nb = notebook("plot()")
    image = base64.b64encode(bytes(range(256)) * 4).decode()
    nb.cells[0].outputs = [{"output_type": "display_data", "metadata": {}, "data": {"image/png": image}}]
    assert codes(nb, "secrets") == []


def test_the_builders_own_text_has_no_secret_findings_in_any_language():
    for language in ("en", "fr", "es", "de"):
        assert codes(demo(language), "secrets") == [], language


def test_random_looking_means_mixed_case_digits_long_segments_and_high_entropy():
    assert looks_random(RANDOM_TOKEN)
    assert not looks_random(RANDOM_TOKEN.lower().replace("7", "x"))
    assert not looks_random("a" * 40)
    assert not looks_random("Qwen2-7B-Instruct-GPTQ-Int4-AWQ-v1")
