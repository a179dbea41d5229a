"""Stage 4, Assembly: outline + sections + research -> one deterministic notebook.

The notebook follows DESIGN.md's contract, in order: front matter, setup, provider
configuration, seeds, `Step N` sections, exercises, assessment, summary/references/
troubleshooting, and the metadata cell.

Markdown share, by construction. Every part of the layout is a run of cells whose own
markdown share lies in [4/7, 2/3]:

- the fixed frame has 10 markdown and 5 code cells (2/3);
- a step with k code blocks has 1 explanation (holding the first block's intro), k-1 further
  intros, k code cells and 1 wrap-up (callouts, takeaway, next hint): (k+1)/(2k+1), which is
  2/3, 3/5 and 4/7 for k = 1, 2, 3.

The whole notebook's share is a mediant of these fractions, so it stays in [4/7, 2/3] (0.571 to
0.667) for any number of steps: inside [MARKDOWN_SHARE_MIN, MARKDOWN_SHARE_MAX] without padding.
`_fit_markdown_share` merges adjacent cells only if the limits are ever tightened.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import nbformat
from nbformat import NotebookNode, from_dict
from nbformat.v4 import new_notebook
from nbformat.v4.nbjson import BytesEncoder
from nbformat.v4.rwbase import split_lines, strip_transient

from generation.pipeline.notebook import code as code_cells
from generation.pipeline.notebook import markdown as md
from generation.pipeline.notebook.code import PINNED_REQUIREMENTS, SEED
from generation.pipeline.notebook.labels import SUPPORTED_LANGUAGES, base_language, label
from generation.pipeline.research.snapshot import ResearchSnapshot
from prompts import limits
from prompts.specs import DIFFICULTIES, OutlineSpec, SectionSpec

__all__ = [
    "BUILDER_VERSION",
    "METADATA_TAG",
    "PINNED_REQUIREMENTS",
    "SEED",
    "SUPPORTED_LANGUAGES",
    "NotebookMeta",
    "build_notebook",
    "count_cells",
    "markdown_share",
    "notebook_from_text",
    "notebook_to_bytes",
    "planned_markdown_share",
    "set_validation_summary",
]

# Bumped when the layout changes, so a diff between versions can tell builder from teacher.
BUILDER_VERSION = 1
METADATA_TAG = "alain-metadata"
HF_BASE_URL = "https://huggingface.co/"

# Cells of the fixed frame (see the module docstring).
FRAME_MARKDOWN_CELLS = 10
FRAME_CODE_CELLS = 5

# Keys never copied from the teacher description into the notebook, whatever a caller passes.
_SECRET_KEY_PARTS = ("key", "token", "secret", "password", "authorization")


@dataclass(frozen=True)
class NotebookMeta:
    """What the notebook records about its own making (the metadata cell)."""

    tutorial_id: str
    version: int
    difficulty: str
    language: str
    source: Mapping[str, Any]  # kind, ref, revision
    teacher: Mapping[str, Any]  # provider, model, demo
    prompt_versions: Mapping[str, Any]
    validator_summary: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.difficulty not in DIFFICULTIES:
            raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTIES)}, not {self.difficulty!r}")
        if self.version < 1:
            raise ValueError("version starts at 1")

    @property
    def is_demo(self) -> bool:
        return bool(self.teacher.get("demo"))


@dataclass
class _Cell:
    kind: str  # markdown | code
    source: str
    cell_id: str
    role: str
    step: int | None = None
    tags: tuple[str, ...] = ()

    @property
    def mergeable(self) -> bool:
        return METADATA_TAG not in self.tags


def build_notebook(
    *, outline: OutlineSpec, sections: list[SectionSpec], research: ResearchSnapshot, meta: NotebookMeta
) -> NotebookNode:
    """The manual as an nbformat v4 notebook; the same arguments always give the same notebook."""
    if len(sections) != len(outline.steps):
        raise ValueError(f"the outline plans {len(outline.steps)} steps but {len(sections)} sections were given")
    if not sections:
        raise ValueError("a manual needs at least one section")
    lang = base_language(meta.language)
    metadata = _metadata_dict(meta=meta, research=research, sections=sections)

    cells: list[_Cell] = [_front_matter(outline=outline, research=research, meta=meta, lang=lang)]
    cells += _setup_cells(lang=lang)
    cells += _provider_cells(research=research, lang=lang)
    cells += _seed_cells(lang=lang)
    # Headings use the plan's step titles: a section's own title only has to match it, so a
    # teacher's "Step 3: ..." or quoting never shows up twice.
    titles = [step.title for step in outline.steps] if len(outline.steps) == len(sections) else None
    for index, section in enumerate(sections):
        title = titles[index] if titles else section.title
        following = None
        if index + 1 < len(sections):
            following = titles[index + 1] if titles else sections[index + 1].title
        cells += _step_cells(number=index + 1, section=section, title=title, following=following, lang=lang)
    cells.append(_exercises_cell(outline=outline, lang=lang))
    cells += _assessment_cells(outline=outline, lang=lang)
    cells += _closing_cells(outline=outline, research=research, lang=lang)
    cells.append(_Cell("markdown", _metadata_markdown(metadata, lang), METADATA_TAG, "metadata", tags=(METADATA_TAG,)))
    cells = _fit_markdown_share(cells)

    nb = new_notebook()
    nb.metadata = NotebookNode(
        {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            "alain": metadata,
        }
    )
    nb.cells = [_to_node(cell) for cell in cells]
    nbformat.validate(nb)
    return nb


def notebook_to_bytes(nb: NotebookNode) -> bytes:
    """The .ipynb bytes: sorted keys, fixed indent, our own cell ids, so equal notebooks are equal bytes.

    The bytes of `nbformat.writes(nb, version=4)` (a test holds them equal), without its two
    costly extras: a deep copy of the whole notebook before splitting the sources into lines
    (only the containers that change are copied here), and a schema validation that only logs
    (`build_notebook` validates, and so does the `schema` validator).
    """
    if nb.get("nbformat") != 4:
        return (nbformat.writes(nb, version=4) + "\n").encode("utf-8")
    cells = []
    for cell in nb.cells:
        copied = NotebookNode(cell)
        copied["metadata"] = NotebookNode(cell.get("metadata", {}))
        for key in ("outputs", "attachments"):
            if key in cell:
                copied[key] = copy.deepcopy(cell[key])
        cells.append(copied)
    shallow = NotebookNode(nb)
    shallow["metadata"] = NotebookNode(nb.get("metadata", {}))
    shallow["cells"] = cells
    data = strip_transient(split_lines(shallow))
    text = json.dumps(data, cls=BytesEncoder, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def notebook_from_text(text: str) -> NotebookNode:
    """A stored version's notebook, as `nbformat.reads(text, as_version=4)` gives it.

    Without the schema validation that nbformat.reads adds, which only logs and costs more
    than the rest of the read: the `schema` validator reports an invalid notebook as a finding.
    """
    return nbformat.convert(nbformat.reader.reads(text), 4)


def set_validation_summary(nb: NotebookNode, summary: Mapping[str, Any]) -> NotebookNode:
    """A copy of `nb` whose metadata cell and `metadata.alain` carry the validator summary.

    `nb` is left as it was. The copy shares the cells it does not change with `nb` (a deep
    copy of the whole notebook cost more than the rest of storing a validation).
    """
    data = dict(nb.metadata.get("alain", {}))
    data["validator_summary"] = _plain_json(summary)
    lang = base_language(str(data.get("language", "")))
    updated = NotebookNode(nb)
    updated["metadata"] = NotebookNode({**nb.metadata, "alain": data})
    cells = []
    for cell in nb.cells:
        if METADATA_TAG in cell.get("metadata", {}).get("tags", []):
            cell = NotebookNode({**cell, "source": _metadata_markdown(data, lang)})
        cells.append(cell)
    updated["cells"] = cells
    return updated


def count_cells(nb: NotebookNode) -> dict[str, int]:
    """Cells by type, plus the total."""
    counts = {"markdown": 0, "code": 0, "raw": 0}
    for cell in nb.cells:
        counts[cell.cell_type] = counts.get(cell.cell_type, 0) + 1
    counts["total"] = len(nb.cells)
    return counts


def markdown_share(nb: NotebookNode) -> float:
    """Markdown cells over all cells (the contract's 40-70% rule)."""
    counts = count_cells(nb)
    return counts["markdown"] / counts["total"] if counts["total"] else 0.0


def planned_markdown_share(*, code_blocks_per_step: Sequence[int]) -> float:
    """The share the layout gives for steps with these numbers of code blocks (before any merge)."""
    markdown = FRAME_MARKDOWN_CELLS + sum(k + 1 for k in code_blocks_per_step)
    code = FRAME_CODE_CELLS + sum(code_blocks_per_step)
    return markdown / (markdown + code)


# --- the parts of the layout -------------------------------------------------------------------


def _front_matter(*, outline: OutlineSpec, research: ResearchSnapshot, meta: NotebookMeta, lang: str) -> _Cell:
    parts = [f"# {md.inline(outline.title)}"]
    if meta.is_demo:
        parts.append(md.blockquote(label(lang, "demo_banner")))
    parts.append(md.prose(outline.overview))
    subject = md.code_span(research.subject)
    if research.repo_id and (url := md.safe_url(HF_BASE_URL + research.repo_id)):
        subject = f"[{md.literal(research.repo_id)}]({url})"
    facts = [
        f"**{label(lang, 'subject')}:** {subject}",
        f"**{label(lang, 'audience')}:** {md.inline(outline.audience)}",
        f"**{label(lang, 'difficulty')}:** {label(lang, meta.difficulty)}",
        f"**{label(lang, 'reading_time', minutes=outline.reading_time_minutes)}**",
    ]
    parts.append("\n".join(f"- {fact}" for fact in facts))
    parts.append(f"## {label(lang, 'objectives')}\n\n" + _bullets(outline.objectives))
    parts.append(f"### {label(lang, 'before_you_start')}\n\n" + _bullets(outline.prerequisites))
    if research.quality.thin:
        parts.append(md.blockquote(label(lang, "thin_note", score=research.quality.score)))
    if research.notes:
        parts.append(md.blockquote(label(lang, "source_notes") + "\n" + _bullets(research.notes)))
    return _Cell("markdown", "\n\n".join(parts), "title", "front-matter")


def _setup_cells(*, lang: str) -> list[_Cell]:
    return [
        _Cell("markdown", f"## {label(lang, 'setup')}\n\n{label(lang, 'setup_text')}", "setup", "setup"),
        _Cell("code", code_cells.install_cell(), "setup-install", "setup-install"),
        _Cell("code", code_cells.environment_check_cell(), "setup-check", "setup-check"),
    ]


def _provider_cells(*, research: ResearchSnapshot, lang: str) -> list[_Cell]:
    default_model = research.repo_id or research.subject
    items = [
        label(lang, "env_base_url"),
        label(lang, "env_api_key"),
        # Inside a code span nothing needs escaping except the backtick itself.
        label(lang, "env_model", model=" ".join(default_model.split()).replace("`", "'")),
        label(lang, "env_dry_run"),
    ]
    text = "\n\n".join(
        [
            f"## {label(lang, 'provider')}",
            label(lang, "provider_text"),
            "\n".join(f"- {item}" for item in items),
            label(lang, "provider_helper"),
        ]
    )
    return [
        _Cell("markdown", text, "provider", "provider"),
        _Cell("code", code_cells.provider_cell(default_model=default_model), "provider-config", "provider-config"),
    ]


def _seed_cells(*, lang: str) -> list[_Cell]:
    return [
        _Cell("markdown", f"## {label(lang, 'seeds')}\n\n{label(lang, 'seeds_text')}", "seeds", "seeds"),
        _Cell("code", code_cells.seeds_cell(), "seeds-code", "seeds-code"),
    ]


def _step_cells(*, number: int, section: SectionSpec, title: str, following: str | None, lang: str) -> list[_Cell]:
    prefix = f"step-{number:02d}"
    heading = f"## {label(lang, 'step', n=number, title=md.inline(title))}"
    opening = [heading]
    if section.prerequisites:
        opening.append(f"**{label(lang, 'prerequisites')}:**\n\n" + _bullets(section.prerequisites))
    opening.append(md.prose(section.explanation))
    # The first block's intro shares the explanation cell: that is what keeps a one-block step at 2/3.
    opening.append(md.prose(section.code[0].intro))
    cells = [_Cell("markdown", "\n\n".join(opening), prefix, "step-explanation", number)]
    for block_number, block in enumerate(section.code, start=1):
        if block_number > 1:
            cells.append(
                _Cell("markdown", md.prose(block.intro), f"{prefix}-intro-{block_number}", "step-intro", number)
            )
        # The teacher's code goes in as written (it was parsed by SectionSpec); nothing else of theirs does.
        cells.append(_Cell("code", block.code.strip("\n"), f"{prefix}-code-{block_number}", "step-code", number))

    closing = [md.blockquote(f"**{label(lang, c.kind)}:** {md.prose(c.text)}") for c in section.callouts]
    closing.append(f"**{label(lang, 'takeaway')}:** {md.inline(section.takeaway)}")
    if following is not None:
        target = label(lang, "step", n=number + 1, title=md.inline(following))
    else:
        target = label(lang, "exercises")
    closing.append(f"**{label(lang, 'next_section')}:** {target}")
    cells.append(_Cell("markdown", "\n\n".join(closing), f"{prefix}-wrap-up", "step-wrap-up", number))
    return cells


def _exercises_cell(*, outline: OutlineSpec, lang: str) -> _Cell:
    parts = [f"## {label(lang, 'exercises')}"]
    for number, exercise in enumerate(outline.exercises, start=1):
        parts.append(f"### {label(lang, 'exercise', n=number, title=md.inline(exercise.title))}")
        parts.append(
            f"*{label(lang, 'difficulty')}: {label(lang, exercise.difficulty)} · "
            f"{label(lang, 'estimated_tokens')}: ~{exercise.estimated_tokens}*"
        )
        parts.append(md.prose(exercise.task))
    return _Cell("markdown", "\n\n".join(parts), "exercises", "exercises")


def _assessment_cells(*, outline: OutlineSpec, lang: str) -> list[_Cell]:
    questions = []
    for item in outline.assessment:
        options, answer_index = item.arranged()
        questions.append(
            {
                "question": item.question,
                "options": options,
                "answer_index": answer_index,
                "explanation": item.explanation,
            }
        )
    texts = {key: label(lang, key) for key in ("check_answer", "correct", "incorrect", "choose_first", "answer")}
    texts["question"] = label(lang, "question")
    return [
        _Cell(
            "markdown",
            f"## {label(lang, 'assessment')}\n\n{label(lang, 'assessment_text')}",
            "assessment",
            "assessment",
        ),
        _Cell(
            "code", code_cells.assessment_cell(questions=questions, labels=texts), "assessment-quiz", "assessment-quiz"
        ),
    ]


def _closing_cells(*, outline: OutlineSpec, research: ResearchSnapshot, lang: str) -> list[_Cell]:
    summary = "\n\n".join(
        [
            f"## {label(lang, 'summary')}",
            md.prose(outline.summary),
            f"### {label(lang, 'next_steps')}",
            _bullets(outline.next_steps),
        ]
    )
    links, seen = [], set()
    for reference in research.references:
        url = md.safe_url(reference.url)
        if url and url not in seen:
            seen.add(url)
            links.append(f"- [{md.literal(reference.title) or md.literal(url)}]({url})")
    references = f"## {label(lang, 'references')}\n\n" + ("\n".join(links) or label(lang, "no_references"))
    problems = [
        f"- **{label(lang, 'problem')}:** {md.inline(item.problem)}\n  - **{label(lang, 'fix')}:** {md.inline(item.fix)}"
        for item in outline.troubleshooting
    ]
    troubleshooting = f"## {label(lang, 'troubleshooting')}\n\n" + "\n".join(problems)
    return [
        _Cell("markdown", summary, "summary", "summary"),
        _Cell("markdown", references, "references", "references"),
        _Cell("markdown", troubleshooting, "troubleshooting", "troubleshooting"),
    ]


# --- metadata ----------------------------------------------------------------------------------


def _plain_json(value: Any) -> Any:
    """`value` as plain JSON data (dicts, lists, str, numbers), with a stable key order."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _without_secrets(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if not any(part in str(k).lower() for part in _SECRET_KEY_PARTS)}


def _metadata_dict(*, meta: NotebookMeta, research: ResearchSnapshot, sections: list[SectionSpec]) -> dict[str, Any]:
    source = dict(meta.source)
    return _plain_json(
        {
            "tutorial_id": meta.tutorial_id,
            "version": meta.version,
            "difficulty": meta.difficulty,
            "language": meta.language,
            "subject": research.subject,
            "source": source,
            "revision": research.revision_sha or str(source.get("revision", "")),
            "teacher": _without_secrets(meta.teacher),
            "prompt_versions": dict(meta.prompt_versions),
            "validator_summary": dict(meta.validator_summary),
            "steps": [section.title for section in sections],
            "requirements": list(PINNED_REQUIREMENTS),
            "builder_version": BUILDER_VERSION,
        }
    )


def _metadata_markdown(data: Mapping[str, Any], lang: str) -> str:
    body = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)
    return f"## {label(lang, 'metadata')}\n\n{label(lang, 'metadata_text')}\n\n{md.json_fence(body)}"


# --- structure ---------------------------------------------------------------------------------


def _share(cells: Sequence[_Cell]) -> float:
    return sum(cell.kind == "markdown" for cell in cells) / len(cells)


def _fit_markdown_share(cells: list[_Cell]) -> list[_Cell]:
    """Merge adjacent cells of the over-represented kind until the share is within the limits.

    With today's limits the layout never needs this (see the module docstring); it keeps the
    rule true by structure, never by padding, if the limits are tightened.
    """
    cells = list(cells)
    while True:
        share = _share(cells)
        if share > limits.MARKDOWN_SHARE_MAX:
            kind = "markdown"
        elif share < limits.MARKDOWN_SHARE_MIN:
            kind = "code"
        else:
            return cells
        # From the end, so the front matter and setup keep their own cells longest.
        for index in range(len(cells) - 2, -1, -1):
            first, second = cells[index], cells[index + 1]
            if first.kind == second.kind == kind and first.mergeable and second.mergeable:
                merged = copy.copy(first)
                merged.source = f"{first.source}\n\n{second.source}"
                cells[index : index + 2] = [merged]
                break
        else:
            return cells  # nothing left to merge; the validators will report the share


def _to_node(cell: _Cell) -> NotebookNode:
    metadata: dict[str, Any] = {"alain": {"role": cell.role}}
    if cell.step is not None:
        metadata["alain"]["step"] = cell.step
    if cell.tags:
        metadata["tags"] = list(cell.tags)
    # The fields nbformat's new_code_cell / new_markdown_cell set, without their validation of
    # each cell (a third of assembly's time): build_notebook validates the whole notebook once.
    node = {"id": cell.cell_id, "cell_type": cell.kind, "metadata": metadata, "source": cell.source}
    if cell.kind == "code":
        node |= {"execution_count": None, "outputs": []}
    return from_dict(node)


def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"- {md.inline(item)}" for item in items)
