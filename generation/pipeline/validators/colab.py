"""Colab compatibility: the manual must run in a fresh Colab (or any Jupyter) runtime unchanged.

- packages install with `%pip`, which targets the running kernel; `!pip` and `subprocess`
  calls may install into another interpreter (fixable: the auto-fix rewrites them);
- no absolute paths of the author's machine (`/home/..`, `/Users/..`, `C:\\..`, `/work/..`);
- no `input()`, which blocks a batch run (nbclient, papermill) for ever;
- credentials come from the environment, `getpass` or Colab's `userdata`, never a literal
  (literals that look like real keys are reported by the `secrets` validator instead);
- no GPU assumed (`.cuda()`, `device="cuda"`) unless the notebook checks
  `torch.cuda.is_available()`: Colab's default runtime has none;
- the .ipynb stays small enough to open and share.
"""

from __future__ import annotations

import ast
import json
import re

import nbformat

from generation.pipeline.validators import FindingData, validator
from generation.pipeline.validators.layout import cell_ref, is_python_notebook, parse_python, readable
from generation.pipeline.validators.secrets import (
    autofixable_secret_values,
    find_secrets,
    is_credential_variable,
    is_dummy_value,
)
from prompts import limits
from prompts.content_rules import tree_nodes

NAME = "colab"
# Not in prompts/limits.py yet: Colab and GitHub struggle with larger notebooks.
NOTEBOOK_WARN_BYTES = limits.NOTEBOOK_WARN_BYTES
NOTEBOOK_MAX_BYTES = limits.NOTEBOOK_MAX_BYTES

_SHELL_PIP = re.compile(r"^\s*!.*\bpip3?\s+install\b", re.MULTILINE)
# The form the auto-fix rewrites (generation.pipeline.autofix.fix_shell_pip).
_SHELL_PIP_FIXABLE = re.compile(r"^(\s*)!\s*(?:python3?\s+-m\s+)?pip3?\s+install\b", re.MULTILINE)
_SHELL_CALLS = {
    "subprocess.run",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "subprocess.Popen",
    "os.system",
    "os.popen",
}
_LOCAL_PATH = re.compile(
    r"(?<![\w.:/~-])(?:/home/|/Users/|/work/|/mnt/[a-z]/)[^\s'\"]*"
    r"|(?<![A-Za-z])[A-Za-z]:\\[^\s'\"]*|(?<![A-Za-z/])[A-Za-z]:/(?!/)[^\s'\"]*"
)
_CUDA_GUARD = re.compile(r"cuda\.is_available\s*\(")
_CREDENTIAL_KEYWORDS = {"api_key", "token", "hf_token", "password", "secret", "use_auth_token", "access_token"}


def finding(code: str, severity: str, message: str, cell_index: int | None = None, **kw: bool) -> FindingData:
    return FindingData(NAME, code, severity, message, cell_index, **kw)


@validator(NAME)
def check_colab(nb: nbformat.NotebookNode) -> list[FindingData]:
    nb = readable(nb)
    findings = _size(nb)
    python = is_python_notebook(nb)
    cells = nb.get("cells", [])
    code_cells = [(i, c) for i, c in enumerate(cells) if c.cell_type == "code"]
    guarded = any(_CUDA_GUARD.search(c.source) for _, c in code_cells)
    for index, cell in code_cells:
        source = cell.source or ""
        findings += _shell_pip(nb, index, source)
        findings += _magic_paths(nb, index, source)
        tree = parse_python(source) if python else None
        if tree is None:
            continue
        findings += _tree_findings(nb, index, source, tree, guarded=guarded)
    return findings


def _size(nb: nbformat.NotebookNode) -> list[FindingData]:
    # Compact JSON goes through the C encoder; the saved file's indentation adds a few percent,
    # which matters nowhere near the megabyte limits (large notebooks are large by their outputs).
    size = len(json.dumps(nb, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    megabytes = size / (1024 * 1024)
    if size > NOTEBOOK_MAX_BYTES:
        return [
            finding(
                "notebook-too-large",
                "error",
                f"The notebook is {megabytes:.1f} MB; Colab and GitHub handle at most "
                f"{NOTEBOOK_MAX_BYTES // (1024 * 1024)} MB well. Clear large outputs (images, data dumps).",
            )
        ]
    if size > NOTEBOOK_WARN_BYTES:
        return [
            finding(
                "notebook-large",
                "warning",
                f"The notebook is {megabytes:.1f} MB (over {NOTEBOOK_WARN_BYTES // (1024 * 1024)} MB): it opens "
                "slowly in Colab. Clear large outputs before sharing it.",
            )
        ]
    return []


def _shell_pip(nb: nbformat.NotebookNode, index: int, source: str) -> list[FindingData]:
    if not _SHELL_PIP.search(source):
        return []
    return [
        finding(
            "shell-pip",
            "error",
            f"{cell_ref(nb, index)} installs with `!pip`, which may install into a different Python than the "
            "notebook's kernel. Use `%pip install ...` instead (the auto-fix rewrites it).",
            index,
            fixable=bool(_SHELL_PIP_FIXABLE.search(source)),
        )
    ]


def _magic_paths(nb: nbformat.NotebookNode, index: int, source: str) -> list[FindingData]:
    lines = [line for line in source.splitlines() if line.lstrip().startswith(("%", "!"))]
    paths = [m.group(0) for line in lines for m in _LOCAL_PATH.finditer(line)]
    return [_local_path(nb, index, paths[0])] if paths else []


def _local_path(nb: nbformat.NotebookNode, index: int, path: str) -> FindingData:
    shown = path if len(path) <= 60 else path[:59] + "…"
    return finding(
        "local-path",
        "error",
        f"{cell_ref(nb, index)} uses the absolute path `{shown}` of the author's machine, which does not exist on "
        "Colab or a reader's computer. Download the file in the notebook or use a path relative to it.",
        index,
    )


def _dotted(node: ast.expr) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _tree_findings(
    nb: nbformat.NotebookNode, index: int, source: str, tree: ast.Module, *, guarded: bool
) -> list[FindingData]:
    findings: list[FindingData] = []
    where = cell_ref(nb, index)
    subprocess_pip = blocking = gpu = False
    path = None
    credentials: list[tuple[str, str]] = []
    for node in tree_nodes(tree):
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            # Only a shell call's strings matter: walking every call's subtree made this
            # validator quadratic in the nesting of calls.
            if name in _SHELL_CALLS and any("pip" in s.split() or "pip install" in s for s in _strings(node)):
                subprocess_pip = True
            if isinstance(node.func, ast.Name) and node.func.id == "input":
                blocking = True
            gpu = gpu or _assumes_gpu(node)
            credentials += _credential_arguments(node)
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            credentials += [
                (name, node.value.value)
                for target in targets
                if (name := _target_name(target)) and is_credential_variable(name)
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
            ]
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and path is None
            and (match := _LOCAL_PATH.search(node.value))
        ):
            path = match.group(0)
    if subprocess_pip:
        findings.append(
            finding(
                "subprocess-pip",
                "error",
                f"{where} runs pip through a subprocess, which may install into a different Python than the "
                "kernel's. Use a `%pip install ...` line instead.",
                index,
            )
        )
    if path is not None:
        findings.append(_local_path(nb, index, path))
    if blocking:
        findings.append(
            finding(
                "blocking-input",
                "error",
                f"{where} calls `input()`, which waits for ever when the notebook runs unattended (CI, nbclient, "
                "papermill). Read the value from an environment variable, or use `getpass` guarded by a check "
                "that someone is at the keyboard.",
                index,
            )
        )
    if gpu and not guarded:
        findings.append(
            finding(
                "gpu-assumed",
                "error",
                f"{where} puts work on a CUDA GPU, but nothing in the notebook checks `torch.cuda.is_available()`: "
                "Colab's default runtime and most laptops have none. Pick the device with "
                '`device = "cuda" if torch.cuda.is_available() else "cpu"`.',
                index,
            )
        )
    findings += _credential_findings(where, index, source, credentials)
    return findings


def _target_name(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        value = target.slice.value
        return value if isinstance(value, str) else None
    return None


def _is_cuda(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("cuda")


def _is_gpu_index(node: ast.expr) -> bool:
    value = node.value if isinstance(node, ast.Constant) else None
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _assumes_gpu(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "cuda" and not node.args:
        return True  # model.cuda(), tensor.cuda()
    if any(kw.arg in ("device", "device_map") and _is_cuda(kw.value) for kw in node.keywords):
        return True
    if any(kw.arg == "device" and _is_gpu_index(kw.value) for kw in node.keywords):
        return True  # pipeline(..., device=0) means the first GPU
    name = _dotted(func)
    return bool(node.args) and _is_cuda(node.args[0]) and (name.endswith((".to", ".device")) or name == "device")


def _credential_arguments(node: ast.Call) -> list[tuple[str, str]]:
    found = [
        (kw.arg, kw.value.value)
        for kw in node.keywords
        if kw.arg in _CREDENTIAL_KEYWORDS and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)
    ]
    if _dotted(node.func).split(".")[-1] == "login" and node.args:
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.append(("login", first.value))
    return found


def _credential_findings(where: str, index: int, source: str, found: list[tuple[str, str]]) -> list[FindingData]:
    fixable_values = autofixable_secret_values(source)
    findings = []
    for name, value in found:
        # Empty and stand-in values ("", "EMPTY", "not-needed") are fine; real-looking keys are the
        # secrets validator's to report, so a reviewer sees each problem once.
        if is_dummy_value(value) or find_secrets(value):
            continue
        findings.append(
            finding(
                "literal-credential",
                "error",
                f"{where} writes a credential for `{name}` into the notebook ({len(value)} characters). Read it with "
                f'`os.environ.get("{name.upper() if name != "login" else "HF_TOKEN"}")`, `getpass` or Colab\'s '
                "`userdata.get(...)` instead.",
                index,
                fixable=value in fixable_values,
            )
        )
        break
    return findings
