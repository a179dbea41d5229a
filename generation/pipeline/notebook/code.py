"""The builder's own code cells: install, environment check, provider configuration, seeds, quiz.

Every value that comes from outside the builder (model ids, teacher text, labels) is embedded
with `repr()`, which always yields one valid Python string literal: quotes, triple quotes,
backslashes or newlines in teacher text cannot end the literal and inject code. (`json.dumps`
is not used for Python literals: it writes characters outside the BMP as surrogate pairs.)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from packaging.requirements import Requirement

# Exact pins, so a manual installs the same packages in a year as today. The openai client is
# what `ask()` uses; ipywidgets drives the assessment. Bump both together with a test run.
PINNED_REQUIREMENTS: tuple[str, ...] = ("openai==1.109.1", "ipywidgets==8.1.7")

# Import name of each pinned distribution, for the environment check.
IMPORT_NAMES: dict[str, str] = {"openai": "openai", "ipywidgets": "ipywidgets"}

SEED = 42

# Names the provider cell defines; section code (teacher or demo) may use exactly these.
HELPER_NAMES: tuple[str, ...] = ("ask", "MODEL", "BASE_URL", "DRY_RUN", "client")


def _lines(*parts: str) -> str:
    return "\n".join(parts)


def install_cell() -> str:
    # `%pip` (not `!pip`) installs into the running kernel, in Jupyter and in Colab alike.
    return "\n".join(f"%pip install -q {Requirement(spec)}" for spec in PINNED_REQUIREMENTS)


def environment_check_cell() -> str:
    modules = tuple(IMPORT_NAMES[Requirement(spec).name] for spec in PINNED_REQUIREMENTS)
    return _lines(
        "import importlib",
        "import platform",
        "import sys",
        "",
        'print("Python", platform.python_version())',
        "if sys.version_info < (3, 9):",
        '    print("This manual expects Python 3.9 or newer; some cells may fail.")',
        "",
        "# Report instead of raising: a missing package should not stop the rest of the setup.",
        f"for module_name in {modules!r}:",
        "    try:",
        "        module = importlib.import_module(module_name)",
        "    except ImportError as exc:",
        '        print(f"{module_name}: not available ({exc}); run the install cell above")',
        "    else:",
        "        print(f\"{module_name}: {getattr(module, '__version__', 'installed')}\")",
    )


def provider_cell(*, default_model: str) -> str:
    return _lines(
        "import os",
        "import sys",
        "from getpass import getpass",
        "",
        f"DEFAULT_MODEL = {default_model!r}",
        'BASE_URL = os.environ.get("OPENAI_BASE_URL", "").strip() or None',
        'MODEL = os.environ.get("ALAIN_MODEL", "").strip() or DEFAULT_MODEL',
        'DRY_RUN = os.environ.get("ALAIN_DRY_RUN", "").strip() == "1"',
        'API_KEY = os.environ.get("OPENAI_API_KEY", "").strip()',
        "",
        "",
        "def _prompt_for_key():",
        '    """Ask for a key only when someone can answer; never wait in a batch run."""',
        '    if "ipykernel" not in sys.modules and (sys.stdin is None or not sys.stdin.isatty()):',
        '        return ""',
        "    try:",
        '        return getpass("OPENAI_API_KEY (press Enter if your server needs none): ").strip()',
        "    except Exception:  # nbclient and papermill forbid stdin: StdinNotImplementedError",
        '        return ""',
        "",
        "",
        "if not API_KEY and not DRY_RUN:",
        "    API_KEY = _prompt_for_key()",
        "# Local servers ignore the key, but the client insists on having one.",
        'API_KEY = API_KEY or "not-needed"',
        "",
        "try:",
        "    import openai",
        "except ImportError:",
        "    openai = None",
        '    print("The openai package is missing: run the install cell. ask() gives stand-in replies.")',
        "",
        "client = None",
        "if openai is not None and not DRY_RUN:",
        "    client = openai.OpenAI(base_url=BASE_URL, api_key=API_KEY, timeout=60.0, max_retries=1)",
        "_warned_offline = []",
        "",
        "",
        "def _stand_in_reply(prompt):",
        "    # Deterministic and clearly labelled, so offline runs still execute every cell.",
        '    return "(offline stand-in reply; no model was reached) You asked: " + " ".join(prompt.split())[:160]',
        "",
        "",
        "def ask(prompt, *, system=None, model=None, temperature=0.2, max_tokens=256, **kw):",
        '    """Send one chat message to the configured endpoint and return the reply text."""',
        "    if client is None:",
        "        return _stand_in_reply(prompt)",
        "    messages = []",
        "    if system:",
        '        messages.append({"role": "system", "content": system})',
        '    messages.append({"role": "user", "content": prompt})',
        "    try:",
        "        response = client.chat.completions.create(",
        "            model=model or MODEL, messages=messages, temperature=temperature, max_tokens=max_tokens, **kw",
        "        )",
        "    except openai.APIConnectionError as exc:",
        "        # No endpoint reachable (offline, sandboxed, server down): say so once and carry on.",
        "        if not _warned_offline:",
        "            print(f\"Could not reach {BASE_URL or 'the OpenAI API'} ({type(exc).__name__}); using stand-in replies.\")",
        "            _warned_offline.append(True)",
        "        return _stand_in_reply(prompt)",
        '    return response.choices[0].message.content or ""',
        "",
        "",
        'print("Endpoint:", BASE_URL or "OpenAI default")',
        'print("Model:", MODEL)',
        'print("API key:", "provided" if API_KEY != "not-needed" else "not set (fine for local servers)")',
        "if DRY_RUN:",
        '    print("ALAIN_DRY_RUN=1: ask() answers with stand-in replies.")',
    )


def seeds_cell() -> str:
    return _lines(
        "import random",
        "",
        f"SEED = {SEED}",
        "random.seed(SEED)",
        "",
        "# numpy is optional here: seed it only when it is installed.",
        "try:",
        "    import numpy as np",
        "except ImportError:",
        "    np = None",
        "if np is not None:",
        "    np.random.seed(SEED)",
        'print("Seeded random" + (" and numpy" if np is not None else "") + " with", SEED)',
    )


def assessment_cell(*, questions: Sequence[dict[str, Any]], labels: dict[str, str]) -> str:
    """The quiz: questions as one JSON literal, widgets when available, plain text otherwise."""
    payload = json.dumps(list(questions), ensure_ascii=False, sort_keys=True)
    texts = json.dumps(labels, ensure_ascii=False, sort_keys=True)
    return _lines(
        "import json",
        "",
        f"QUESTIONS = json.loads({payload!r})",
        f"LABELS = json.loads({texts!r})",
        "",
        "try:",
        "    import ipywidgets as widgets",
        "    from IPython.display import display",
        "except ImportError:",
        "    widgets = None",
        "",
        "",
        "def _quiz_item(number, item):",
        "    # Label (plain text), never HTML: question text comes from the teacher.",
        "    title = widgets.Label(value=f\"{number}. {item['question']}\")",
        '    choice = widgets.RadioButtons(options=item["options"], index=None, layout=widgets.Layout(width="auto"))',
        '    button = widgets.Button(description=LABELS["check_answer"])',
        "    output = widgets.Output()",
        "",
        "    def check(_button):",
        "        output.clear_output()",
        "        with output:",
        "            if choice.index is None:",
        '                print(LABELS["choose_first"])',
        '            elif choice.index == item["answer_index"]:',
        '                print(LABELS["correct"], item["explanation"])',
        "            else:",
        '                print(LABELS["incorrect"], item["explanation"])',
        "",
        "    button.on_click(check)",
        "    return widgets.VBox([title, choice, button, output])",
        "",
        "",
        "if widgets is not None:",
        "    for number, item in enumerate(QUESTIONS, start=1):",
        "        display(_quiz_item(number, item))",
        "else:",
        "    for number, item in enumerate(QUESTIONS, start=1):",
        "        print(f\"{LABELS['question']} {number}: {item['question']}\")",
        '        for letter, option in zip("ABCDE", item["options"]):',
        '            print(f"  {letter}. {option}")',
        '        answer = "ABCDE"[item["answer_index"]]',
        "        print(f\"  {LABELS['answer']}: {answer}. {item['explanation']}\")",
        "        print()",
    )
