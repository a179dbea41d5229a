"""The opening parts of the contract: front matter, setup (pinned `%pip`), provider configuration, seeds."""

from __future__ import annotations

import re
import shlex

from packaging.requirements import InvalidRequirement, Requirement

from generation.pipeline.validators import FindingData
from generation.pipeline.validators.contract.common import any_label, finding, label_prefix, missing
from generation.pipeline.validators.layout import Layout, cell_ref, headings, text_outside_fences
from prompts import limits

OVERVIEW_MIN_WORDS = limits.OVERVIEW_MIN_WORDS

_READING_TIME = re.compile(
    rf"(?:{label_prefix('reading_time')}|reading time|read time|time to read|time to complete|duration)"
    r"\W[^\d\n]{0,30}?(\d{1,3})\s*(min|minutes?|minutos?|minuten?|h|hours?|heures?|horas?|stunden?)\b",
    re.IGNORECASE,
)
_AUDIENCE = re.compile(
    rf"(?:{any_label('audience')}|who (?:this|it) is for|intended for|target audience)\b", re.IGNORECASE
)
_LEVEL_WORDS = "|".join(any_label(k) for k in ("beginner", "intermediate", "advanced"))
_DIFFICULTY = re.compile(rf"\b(?:{any_label('difficulty')}|level|{_LEVEL_WORDS})\b", re.IGNORECASE)
_OBJECTIVES = re.compile(
    rf"^(?:{any_label('objectives')}|objectives|learning goals|goals|what you(?:'ll| will) learn)", re.IGNORECASE
)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S")
_PIP_INSTALL = re.compile(r"^\s*[%!]\s*(?:\{[^}]*\}\s+-m\s+|python3?\s+-m\s+)?pip3?\s+install\b(.*)$", re.M)
_PIP_VALUE_OPTIONS = {
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url", "--extra-index-url",
    "-f", "--find-links", "-t", "--target", "--prefix", "--root", "--upgrade-strategy", "--trusted-host",
    "--platform", "--python-version", "--implementation", "--abi", "--src", "--cache-dir", "--progress-bar",
}  # fmt: skip
_ENV_CHECK = re.compile(r"__version__|sys\.version|platform\.|importlib|pip (?:show|list)|nvidia-smi|is_available\(")
_ENV_READ = re.compile(r"os\.environ|os\.getenv|getpass|userdata\.get|load_dotenv")
_ENV_NAME = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")
_SEEDING = re.compile(r"\b(?:random\.seed|manual_seed|set_seed|seed_everything|default_rng)\s*\(")

# --- front matter ---------------------------------------------------------------------------------


def check_front_matter(layout: Layout) -> list[FindingData]:
    index = layout.first("title")
    if index is None:
        return [
            missing(
                "title",
                "a manual opens with a `# Title` heading, an overview, the audience and difficulty, "
                "a target reading time and the learning objectives.",
            )
        ]
    text = text_outside_fences(layout.markdown_of("title"))
    findings = []
    if not any(h.level == 1 for h in headings(layout.nb.cells[index].source)):
        findings.append(
            finding("missing-title", "error", f"{cell_ref(layout.nb, index)} has no `# Title` heading.", index)
        )
    prose = [
        line
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith(("#", ">", "-", "*", "+", "|")) and not _LIST_ITEM.match(line)
    ]
    if sum(len(line.split()) for line in prose) < OVERVIEW_MIN_WORDS:
        findings.append(
            finding(
                "missing-overview",
                "warning",
                "The front matter has no overview paragraph saying what the manual covers.",
                index,
            )
        )
    if not _AUDIENCE.search(text):
        findings.append(
            finding(
                "missing-audience", "warning", "The front matter does not say who the manual is for (audience).", index
            )
        )
    if not _DIFFICULTY.search(text):
        findings.append(
            finding("missing-difficulty", "warning", "The front matter does not state the difficulty level.", index)
        )
    findings += _reading_time(text, index)
    findings += _objectives(text, index)
    return findings


def _reading_time(text: str, index: int) -> list[FindingData]:
    match = _READING_TIME.search(text)
    if match is None:
        return [
            finding(
                "missing-reading-time",
                "error",
                "The front matter gives no target reading time (e.g. 'Target reading time: about 30 minutes').",
                index,
            )
        ]
    minutes = int(match.group(1)) * (60 if match.group(2).lower().startswith(("h", "st")) else 1)
    if limits.READING_TIME_MIN_MINUTES <= minutes <= limits.READING_TIME_MAX_MINUTES:
        return []
    return [
        finding(
            "reading-time-out-of-range",
            "warning",
            f"The target reading time is {minutes} minutes; a manual takes {limits.READING_TIME_MIN_MINUTES}-"
            f"{limits.READING_TIME_MAX_MINUTES} minutes.",
            index,
        )
    ]


def _objectives(text: str, index: int) -> list[FindingData]:
    lines = text.splitlines()
    start = next(
        (n for n, line in enumerate(lines) if (h := headings(line)) and _OBJECTIVES.match(h[0].text)),
        None,
    )
    if start is None:
        return [
            finding(
                "missing-objectives",
                "error",
                f"The front matter has no 'Learning objectives' heading with {limits.OBJECTIVES_MIN}-"
                f"{limits.OBJECTIVES_MAX} bullet points saying what the reader will be able to do.",
                index,
            )
        ]
    count = 0
    for line in lines[start + 1 :]:
        if headings(line):
            break
        count += bool(_LIST_ITEM.match(line))
    if count < limits.OBJECTIVES_MIN:
        return [
            finding(
                "too-few-objectives",
                "error",
                f"The learning objectives list {count} item(s); the contract wants at least {limits.OBJECTIVES_MIN}.",
                index,
            )
        ]
    if count > limits.OBJECTIVES_MAX:
        return [
            finding(
                "too-many-objectives",
                "warning",
                f"The learning objectives list {count} items; keep at most {limits.OBJECTIVES_MAX}.",
                index,
            )
        ]
    return []


# --- setup, provider, seeds ----------------------------------------------------------------------------


def _install_lines(layout: Layout) -> list[tuple[int, str]]:
    cells = layout.nb.cells
    return [(i, m.group(1)) for i in layout.code_indexes for m in _PIP_INSTALL.finditer(cells[i].source)]


def _requirements(arguments: str) -> list[str]:
    try:
        tokens = shlex.split(arguments, comments=True)
    except ValueError:
        tokens = arguments.split()
    found, skip = [], False
    for token in tokens:
        if skip:
            skip = False
        elif token.startswith("-"):
            skip = token in _PIP_VALUE_OPTIONS
        elif not any(ch in token for ch in "{}$/\\") and not token.endswith((".whl", ".tar.gz", ".zip")):
            found.append(token)
    return found


def check_setup(layout: Layout) -> list[FindingData]:
    installs = _install_lines(layout)
    setup_index = layout.first("setup")
    if not installs:
        return [
            finding(
                "missing-install",
                "error",
                "No cell installs packages with `%pip install`: the setup section pins every package the manual "
                "needs (for example `%pip install -q openai==1.109.1 ipywidgets==8.1.7`).",
                setup_index,
            )
        ]
    findings = []
    names, unpinned, first = set(), [], installs[0][0]
    for _, arguments in installs:
        for token in _requirements(arguments):
            try:
                requirement = Requirement(token)
            except InvalidRequirement:
                continue
            names.add(requirement.name.lower())
            if not any(spec.operator in ("==", "===") for spec in requirement.specifier):
                unpinned.append(token)
    if unpinned:
        findings.append(
            finding(
                "unpinned-install",
                "warning",
                f"{cell_ref(layout.nb, first)} installs {', '.join(f'`{u}`' for u in unpinned[:5])} without an exact "
                "version: pin each package (`name==1.2.3`) so the manual runs the same next year.",
                first,
            )
        )
    if names and "ipywidgets" not in names:
        findings.append(
            finding(
                "ipywidgets-not-installed",
                "warning",
                "The setup does not install ipywidgets, which the interactive assessment needs.",
                first,
            )
        )
    checks = [i for i in layout.cells_of("setup", "code") if layout.nb.cells[i].source.strip()]
    if not layout.built_by_alain:
        checks = [i for i in layout.code_before_steps() if _ENV_CHECK.search(layout.nb.cells[i].source)]
    elif not any(_ENV_CHECK.search(layout.nb.cells[i].source) for i in checks):
        checks = []
    if not checks:
        findings.append(
            finding(
                "missing-environment-check",
                "warning",
                "The setup has no environment check (a cell printing the Python and package versions), which "
                "helps readers see what is missing before the steps fail.",
                setup_index if setup_index is not None else first,
            )
        )
    return findings


def check_provider(layout: Layout) -> list[FindingData]:
    cells = layout.nb.cells
    part_code = layout.cells_of("provider", "code")
    readers = [
        i for i in (part_code if layout.built_by_alain else layout.code_indexes) if _ENV_READ.search(cells[i].source)
    ]
    if not readers:
        return [
            missing(
                "provider",
                "no cell reads the endpoint and key from the environment. A manual configures its provider with "
                "`os.environ` (e.g. `OPENAI_BASE_URL`, `OPENAI_API_KEY`), `getpass` or Colab's `userdata`, never "
                "with a key written into the notebook.",
            )
        ]
    prose = layout.markdown_of("provider") if layout.first("provider") is not None else ""
    if not prose:
        prose = "\n".join(cells[i].source for i, c in enumerate(cells) if c.cell_type == "markdown")
    if not _ENV_NAME.search(prose):
        return [
            finding(
                "provider-env-undocumented",
                "warning",
                "No markdown names the environment variables the provider cell reads (such as `OPENAI_API_KEY`): "
                "tell readers what to set before running it.",
                readers[0],
            )
        ]
    return []


def check_seeds(layout: Layout) -> list[FindingData]:
    cells = layout.nb.cells
    if any(_SEEDING.search(cells[i].source) for i in layout.code_indexes):
        return []
    return [
        missing(
            "seeds",
            "no cell fixes the random seeds (`random.seed(42)`, `np.random.seed(42)`, `torch.manual_seed(42)`), "
            "so runs cannot be repeated exactly.",
        )
    ]
