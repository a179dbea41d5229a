"""Forms of the portal: what a person asks for, checked by the same rules as the CLI's.

`GenerateForm` turns the request into a `RunSource` and `RunOptions` through
`generation.sources` and `RunOptions.validate`, so a model reference, an upload or a language
that the CLI refuses is refused here too, with the message next to the field it is about.
"""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from generation.models import Run, RunStatus
from generation.pipeline.errors import SourceError
from generation.services import RunOptions, RunOptionsError, RunSource
from generation.sources import source_from_file, source_from_model_ref, source_from_text
from prompts import limits
from providers.catalog import ProviderConfigError, get_teacher

SOURCE_FIELDS = {Run.SourceKind.HF: "model_ref", Run.SourceKind.TEXT: "source_text", Run.SourceKind.FILE: "source_file"}
MODEL_SEPARATOR = ":"


def provider_choices(catalog: list[dict[str, Any]]) -> list[tuple[str, str]]:
    choices = []
    for entry in catalog:
        if not entry.get("available", True):
            continue
        label = entry.get("label") or entry["key"]
        if entry.get("demo"):
            label += " — offline demo content"
        elif entry.get("key_required") and not entry.get("has_key"):
            label += f" — not configured (set {entry.get('api_key_env') or 'its API key'})"
        choices.append((entry["key"], label))
    return choices


def model_choices(catalog: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """The models of every provider, grouped by provider; values are `provider:model`."""
    choices: list[tuple[str, Any]] = [("", "The provider's default model")]
    for entry in catalog:
        if not entry.get("available", True):
            continue
        models: list[tuple[str, str]] = []
        default = entry.get("default_model") or ""
        known = {model["id"] for model in entry.get("models", [])}
        if default and default not in known:
            models.append((f"{entry['key']}{MODEL_SEPARATOR}{default}", f"{default} (default)"))
        for model in entry.get("models", []):
            suffix = " (default)" if model["id"] == default else ""
            models.append((f"{entry['key']}{MODEL_SEPARATOR}{model['id']}", f"{model['label']}{suffix}"))
        if models:
            choices.append((entry.get("label") or entry["key"], models))
    return choices


def _language_problem(language: str) -> str | None:
    # The rule lives in RunOptions.validate; ask it about the language alone.
    try:
        RunOptions(provider="-", teacher_model="-", language=language).validate()
    except RunOptionsError as exc:
        return str(exc)
    return None


def source_from_upload(upload: UploadedFile) -> tuple[RunSource, str]:
    """An uploaded file checked exactly as `source_from_file` checks a file given to the CLI."""
    name = PurePosixPath((upload.name or "").replace("\\", "/")).name or "upload.md"
    max_bytes = settings.ALAIN["MAX_SOURCE_BYTES"]
    with tempfile.TemporaryDirectory(prefix="alain-upload-") as folder:
        path = Path(folder) / name
        with path.open("wb") as out:
            if upload.size is not None and upload.size > max_bytes:
                # Over the limit: the check reads only the size, so a sparse file of that size
                # gets the same refusal without copying the upload.
                out.truncate(upload.size)
            else:
                for chunk in upload.chunks():
                    out.write(chunk)
        return source_from_file(path)


class GenerateForm(forms.Form):
    source_kind = forms.ChoiceField(
        label="Kind of source",
        choices=Run.SourceKind.choices,
        initial=Run.SourceKind.HF,
        widget=forms.RadioSelect,
        help_text="Where the model's documentation comes from.",
    )
    model_ref = forms.CharField(
        label="Hugging Face model",
        required=False,
        max_length=500,
        help_text="A model id such as Qwen/Qwen3-0.6B, or its huggingface.co link.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    source_text = forms.CharField(
        label="Model card text",
        required=False,
        strip=False,
        help_text="Paste the model card (Markdown or plain text).",
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    source_file = forms.FileField(
        label="Model card file",
        required=False,
        help_text="A .md, .markdown or .txt file.",
        widget=forms.ClearableFileInput(attrs={"accept": ".md,.markdown,.txt,text/markdown,text/plain"}),
    )
    difficulty = forms.ChoiceField(choices=Run.Difficulty.choices, initial=Run.Difficulty.BEGINNER)
    language = forms.CharField(
        max_length=16,
        initial="en",
        help_text="ISO code of the manual's language, such as en, fr or pt-BR.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    provider = forms.ChoiceField(label="Teacher provider", help_text="The model that writes the manual.")
    teacher_model = forms.ChoiceField(label="Teacher model", required=False)
    research_mode = forms.ChoiceField(
        choices=Run.ResearchMode.choices,
        initial=Run.ResearchMode.STANDARD,
        widget=forms.RadioSelect,
        help_text="How much the Research Scout gathers before the outline is written.",
    )
    max_sections = forms.IntegerField(
        label="Maximum sections",
        min_value=limits.STEPS_MIN,
        max_value=limits.STEPS_MAX,
        initial=limits.STEPS_DEFAULT,
        help_text=f"Number of Step sections, from {limits.STEPS_MIN} to {limits.STEPS_MAX}.",
    )
    execute = forms.BooleanField(
        label="Execute the notebook in the sandbox",
        required=False,
        initial=True,
        help_text="Runs every cell to prove the manual works; unticked, only static checks are made.",
    )
    team = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="No team (only you and admins see it)",
        help_text="Members of the team can follow and review the run.",
    )

    def __init__(self, *args: Any, catalog: list[dict[str, Any]], teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = provider_choices(catalog)
        self.fields["provider"].initial = next((e["key"] for e in catalog if e.get("default")), None)
        self.fields["teacher_model"].choices = model_choices(catalog)
        self.fields["team"].queryset = teams
        self.source: RunSource | None = None
        self.subject = ""
        self.options: RunOptions | None = None

    def clean_language(self) -> str:
        language = self.cleaned_data["language"].strip()
        if problem := _language_problem(language):
            raise forms.ValidationError(problem[:1].upper() + problem[1:] + ".")
        return language

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._clean_source(data)
        self._clean_teacher(data)
        return data

    def _clean_source(self, data: dict[str, Any]) -> None:
        kind = data.get("source_kind")
        if kind not in SOURCE_FIELDS:
            return
        field_name = SOURCE_FIELDS[kind]
        value = data.get(field_name)
        if not value:
            missing = {
                "model_ref": "Enter a Hugging Face model id or link.",
                "source_text": "Paste the model card text.",
                "source_file": "Choose a .md or .txt file to upload.",
            }
            self.add_error(field_name, missing[field_name])
            return
        try:
            if kind == Run.SourceKind.HF:
                self.source, self.subject = source_from_model_ref(value)
            elif kind == Run.SourceKind.TEXT:
                self.source, self.subject = source_from_text(value)
            else:
                self.source, self.subject = source_from_upload(value)
        except SourceError as exc:
            self.add_error(field_name, exc.message)

    def _clean_teacher(self, data: dict[str, Any]) -> None:
        provider = data.get("provider")
        if not provider:
            return
        model = ""
        if choice := data.get("teacher_model"):
            model_provider, _, model = choice.partition(MODEL_SEPARATOR)
            if model_provider != provider:
                self.add_error(
                    "teacher_model",
                    "This model belongs to another provider; choose one of the selected provider's models.",
                )
                return
        try:
            teacher = get_teacher(provider, model=model or None)
        except ProviderConfigError as exc:
            self.add_error("provider", str(exc))
            return
        if self.errors:
            return
        options = RunOptions(
            provider=teacher.key,
            teacher_model=teacher.model,
            base_url=teacher.base_url,
            difficulty=data["difficulty"],
            language=data["language"],
            research_mode=data["research_mode"],
            max_sections=data["max_sections"],
            execute=bool(data.get("execute")),
        )
        try:
            options.validate()
        except RunOptionsError as exc:
            self.add_error(None, str(exc))
            return
        self.options = options


class RunFilterForm(forms.Form):
    """The filters of the runs list (a GET form: every field optional)."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        help_text="Part of the model name or tutorial id.",
    )
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *RunStatus.choices])
