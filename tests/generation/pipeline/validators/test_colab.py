"""Colab compatibility: %pip, no local paths, no input(), credentials from the environment, GPU checks, size."""

from __future__ import annotations

import pytest

from generation.pipeline.validators import colab
from tests.generation.pipeline.validators.helpers import codes, demo, notebook, only


def test_the_builders_output_has_no_colab_findings():
    assert codes(demo(), "colab") == []
    assert codes(demo("fr"), "colab") == []


@pytest.mark.parametrize(
    "line", ["!pip install -q requests==2.32.3", "!python -m pip install x==1", "  !pip3 install y"]
)
def test_shell_pip_is_a_fixable_error(line):
    finding = only(notebook(line), "colab", "shell-pip")
    assert finding.fixable and finding.severity == "error" and "%pip install" in finding.message


def test_percent_pip_passes():
    assert codes(notebook("%pip install -q requests==2.32.3"), "colab") == []


@pytest.mark.parametrize(
    "source",
    [
        'import subprocess\nsubprocess.run(["pip", "install", "x==1"])',
        'import subprocess, sys\nsubprocess.check_call([sys.executable, "-m", "pip", "install", "x"])',
        'import os\nos.system("pip install x==1")',
    ],
)
def test_pip_through_a_subprocess_is_a_fixable_error(source):
    assert not only(notebook(source), "colab", "subprocess-pip").fixable, "no automatic fix exists for it"


@pytest.mark.parametrize(
    "path", ["/home/ana/data.csv", "/Users/ana/model.bin", "C:\\\\Users\\\\ana\\\\x.txt", "/work/repo/file.json"]
)
def test_an_absolute_local_path_is_an_error_that_shows_it(path):
    finding = only(notebook(f'data = open("{path}").read()'), "colab", "local-path")
    assert path.replace("\\\\", "\\")[:10] in finding.message and "Colab" in finding.message


def test_a_local_path_in_a_magic_line_is_found():
    assert "local-path" in codes(notebook("%cd /home/ana/project"), "colab")


def test_urls_relative_paths_and_colab_paths_are_fine():
    source = 'a = "https://example.com/home/x"\nb = "data/x.csv"\nc = "/content/x.csv"\nd = "http://localhost:8000/v1"'
    assert codes(notebook(source), "colab") == []


def test_input_blocks_and_is_an_error():
    assert "waits for ever" in only(notebook('name = input("Name? ")'), "colab", "blocking-input").message
    assert codes(notebook("from getpass import getpass\nkey = getpass('Key: ')"), "colab") == []


def test_a_literal_credential_is_an_error_and_fixable_when_it_is_a_plain_assignment():
    finding = only(notebook('HF_TOKEN = "abc12345"'), "colab", "literal-credential")
    assert finding.fixable and "abc12345" not in finding.message and 'os.environ.get("HF_TOKEN")' in finding.message
    keyword = only(notebook('client = OpenAI(api_key="letmein99")'), "colab", "literal-credential")
    assert not keyword.fixable


@pytest.mark.parametrize(
    "source",
    [
        'OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")',
        'OPENAI_API_KEY = "EMPTY"',
        'client = OpenAI(api_key="not-needed")',
        'from google.colab import userdata\nHF_TOKEN = userdata.get("HF_TOKEN")',
        'max_tokens = "256"\npad_token = "<pad>"',
    ],
)
def test_credentials_from_the_environment_or_stand_in_values_pass(source):
    assert "literal-credential" not in codes(notebook(source), "colab")


def test_a_real_looking_key_is_left_to_the_secrets_validator():
    source = 'OPENAI_API_KEY = "sk-proj-' + "A1b2C3d4" * 5 + '"'
    assert "literal-credential" not in codes(notebook(source), "colab")


@pytest.mark.parametrize(
    "source",
    ["model = model.cuda()", 'x = x.to("cuda")', 'm = load(device_map="cuda")', 'p = pipeline("t", device=0)'],
)
def test_a_gpu_assumed_without_a_check_is_an_error(source):
    assert "torch.cuda.is_available()" in only(notebook(source), "colab", "gpu-assumed").message


def test_a_gpu_used_after_a_check_passes():
    nb = notebook('import torch\ndevice = "cuda" if torch.cuda.is_available() else "cpu"', 'x = x.to("cuda")')
    assert codes(nb, "colab") == []
    assert codes(notebook('m = load(device_map="auto")'), "colab") == []


def test_a_large_notebook_gets_a_warning_and_a_huge_one_an_error(monkeypatch):
    nb = notebook("x = 1")
    nb.cells[0].outputs = [{"output_type": "stream", "name": "stdout", "text": "a" * 3000}]
    monkeypatch.setattr(colab, "NOTEBOOK_WARN_BYTES", 1000)
    assert only(nb, "colab", "notebook-large").severity == "warning"
    monkeypatch.setattr(colab, "NOTEBOOK_MAX_BYTES", 2000)
    assert "MB" in only(nb, "colab", "notebook-too-large").message
