"""What a run persists: every stage's output, every teacher call, every artifact and event.

Each pipeline stage reads only what earlier stages stored here, so a run can resume from its
last completed stage.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

STAGES: tuple[str, ...] = (
    "research",
    "outline",
    "sections",
    "assembly",
    "validation",
    "execution",
    "autofix",
    "publish",
)


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Run(models.Model):
    """One generation of a notebook manual.

    Allowed status changes (enforced only by `generation.services.run_set_status`):

        queued    -> running | cancelled | failed
        running   -> succeeded | failed | cancelled | queued   (queued: handed back for a resume)
        failed    -> queued                                     (retry from the failed stage)
        cancelled -> queued                                     (retry)
        succeeded -> queued                                     (regenerate a section: a new version)

    Besides these, a worker may take over a `running` run whose heartbeat stopped (its worker
    died): `generation.services.run_claim`, the other conditional UPDATE on the status.

    `completed_stages` lists the stages whose results are stored; a resumed run skips them.
    `attempt_count` counts every execution (it varies the teacher's seeds); `deliveries` counts
    the claims since the run was last queued by a person, so a run that keeps killing its worker
    is failed after `RUN_MAX_DELIVERIES` instead of being redelivered forever.
    """

    ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
        RunStatus.QUEUED: frozenset({RunStatus.RUNNING, RunStatus.CANCELLED, RunStatus.FAILED}),
        RunStatus.RUNNING: frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.QUEUED}),
        RunStatus.FAILED: frozenset({RunStatus.QUEUED}),
        RunStatus.CANCELLED: frozenset({RunStatus.QUEUED}),
        RunStatus.SUCCEEDED: frozenset({RunStatus.QUEUED}),
    }

    class SourceKind(models.TextChoices):
        HF = "hf", "Hugging Face model"
        TEXT = "text", "Pasted text"
        FILE = "file", "Uploaded file"

    class Difficulty(models.TextChoices):
        BEGINNER = "beginner", "Beginner"
        INTERMEDIATE = "intermediate", "Intermediate"
        ADVANCED = "advanced", "Advanced"

    class ResearchMode(models.TextChoices):
        STANDARD = "standard", "Standard: card and Hub metadata"
        THOROUGH = "thorough", "Thorough: also config, licence, lineage and linked papers"
        FALLBACK = "fallback", "Fallback: offline, given text or cache only"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tutorial_id = models.SlugField(max_length=120, unique=True, help_text="Stable id of the manual, in artifacts.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    team = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
        help_text="The team the manual was generated for; its members see the run.",
    )

    source_kind = models.CharField(max_length=8, choices=SourceKind.choices)
    source_ref = models.CharField(max_length=500, blank=True, help_text="Model reference as given, or file name.")
    source_text = models.TextField(blank=True, help_text="Pasted or uploaded text, kept so a run can resume.")
    subject_model = models.CharField(max_length=200, blank=True, help_text="The model the manual is about.")

    teacher_provider = models.CharField(max_length=40)
    teacher_model = models.CharField(max_length=200)
    teacher_base_url = models.CharField(max_length=500, blank=True)
    difficulty = models.CharField(max_length=16, choices=Difficulty.choices, default=Difficulty.BEGINNER)
    language = models.CharField(max_length=16, default="en")
    research_mode = models.CharField(max_length=16, choices=ResearchMode.choices, default=ResearchMode.STANDARD)
    max_sections = models.PositiveSmallIntegerField(default=5)
    execute = models.BooleanField(default=True, help_text="Run execution validation in a sandbox.")
    prompt_versions = models.JSONField(default=dict, blank=True)

    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True)
    stage = models.CharField(max_length=16, blank=True, help_text="Stage being worked on, or where it stopped.")
    completed_stages = models.JSONField(default=list, blank=True)
    stage_timings = models.JSONField(default=dict, blank=True, help_text="Milliseconds per completed stage.")
    attempt_count = models.PositiveIntegerField(default=0)
    deliveries = models.PositiveIntegerField(default=0, help_text="Claims by a worker since the run was queued.")
    claimed_by = models.CharField(max_length=200, blank=True, help_text="host:pid of the worker running it.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of its worker.")
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text="When a task for it was last queued.")
    error_stage = models.CharField(max_length=16, blank=True)
    error_kind = models.CharField(max_length=16, blank=True)
    error_message = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.tutorial_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED}

    @property
    def is_demo(self) -> bool:
        return self.teacher_provider == "demo"


class ResearchRecord(models.Model):
    """The Research Scout's snapshot of the source (a `ResearchSnapshot` as JSON)."""

    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="research")
    data = models.JSONField()
    revision_sha = models.CharField(max_length=64, blank=True)
    quality_score = models.PositiveSmallIntegerField(default=0)
    thin_card = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"research of {self.run.tutorial_id}"


class Outline(models.Model):
    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="outline")
    data = models.JSONField(help_text="The plan: a validated PlanSpec.")
    prompt_version = models.CharField(max_length=40)
    wrapup = models.JSONField(null=True, blank=True, help_text="The closing parts: a validated WrapUpSpec.")
    wrapup_prompt_version = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"outline of {self.run.tutorial_id}"


class Section(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="sections")
    index = models.PositiveSmallIntegerField(help_text="0-based position in the outline's steps.")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    data = models.JSONField(null=True, blank=True, help_text="A validated SectionSpec.")
    prompt_version = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    instruction = models.TextField(blank=True, help_text="A person's instruction for regenerating this section.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="unique_section_index_per_run")]

    def __str__(self) -> str:
        return f"{self.run.tutorial_id} step {self.index + 1}: {self.title}"


class NotebookVersion(models.Model):
    """One immutable build of the notebook; edits and fixes make new versions."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    ipynb = models.TextField(help_text="The notebook exactly as exported.")
    sha256 = models.CharField(max_length=64)
    reason = models.CharField(max_length=200, default="generated")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    validated = models.BooleanField(default=False)
    passed = models.BooleanField(null=True, blank=True, help_text="No error findings; None until validated.")
    quality_score = models.PositiveSmallIntegerField(null=True, blank=True)
    validation_summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="unique_version_number_per_run")]

    def __str__(self) -> str:
        return f"{self.run.tutorial_id} v{self.number}"


class Finding(models.Model):
    class Severity(models.TextChoices):
        ERROR = "error", "Error"
        WARNING = "warning", "Warning"
        INFO = "info", "Info"

    version = models.ForeignKey(NotebookVersion, on_delete=models.CASCADE, related_name="findings")
    validator = models.CharField(max_length=40)
    code = models.CharField(max_length=60)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    cell_index = models.IntegerField(null=True, blank=True)
    message = models.TextField()
    fixable = models.BooleanField(default=False)

    class Meta:
        ordering = ["version", "cell_index", "id"]

    def __str__(self) -> str:
        return f"{self.severity} {self.validator}/{self.code} at cell {self.cell_index}"


class TeacherCall(models.Model):
    """One request for a structured reply, with its HTTP attempts and how the reply fared."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="teacher_calls")
    stage = models.CharField(max_length=16)
    section_index = models.PositiveSmallIntegerField(null=True, blank=True)
    attempt = models.PositiveSmallIntegerField(help_text="1-based attempt at a valid reply for this stage/section.")
    provider = models.CharField(max_length=40)
    model = models.CharField(max_length=200)
    structured_mode = models.CharField(max_length=24, blank=True)
    outcome = models.CharField(
        max_length=24, help_text="ok, salvaged, invalid_json, schema_invalid, truncated, provider_error"
    )
    finish_reason = models.CharField(max_length=24, blank=True)
    json_parsed = models.BooleanField(default=False)
    json_repaired = models.BooleanField(default=False)
    schema_valid = models.BooleanField(default=False)
    latency_ms = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    http_attempts = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    # The exchange itself, for audits and for debugging a teacher (purged by retention later).
    request_messages = models.JSONField(default=list, blank=True)
    response_text = models.TextField(blank=True)
    payload_purged_at = models.DateTimeField(
        null=True, blank=True, help_text="When retention emptied request_messages and response_text."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return f"{self.stage} attempt {self.attempt}: {self.outcome}"


class Artifact(models.Model):
    class Kind(models.TextChoices):
        NOTEBOOK = "notebook", "notebook.ipynb"
        VALIDATION = "validation", "validation.md"
        METRICS = "metrics", "metrics.json"
        MANIFEST = "manifest", "manifest.json"
        RESEARCH = "research", "research.json"
        OUTLINE = "outline", "outline.json"
        SECTION = "section", "sections/NN.json"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="artifacts")
    version = models.ForeignKey(NotebookVersion, null=True, blank=True, on_delete=models.CASCADE)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=120, help_text="File name inside the run's folder.")
    path = models.CharField(max_length=500, help_text="Path in Django's default storage.")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    purged_at = models.DateTimeField(
        null=True, blank=True, help_text="When retention deleted the file; the row and its sha256 stay."
    )

    class Meta:
        ordering = ["run", "name"]
        constraints = [models.UniqueConstraint(fields=["run", "path"], name="unique_artifact_path_per_run")]

    def __str__(self) -> str:
        return self.path


class RunEvent(models.Model):
    class Level(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="events")
    stage = models.CharField(max_length=16, blank=True)
    kind = models.CharField(max_length=32, help_text="stage_started, stage_completed, note, error, ...")
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.INFO)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message[:60]}"


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` an API client sent with `POST /api/generate/notebook`, and the run it made.

    A repeat with the same key and the same request returns that run instead of queuing another;
    the same key with a different request is refused (the client has a bug).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=255)
    request_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the request's canonical form.")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="idempotency_keys")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key_per_user")]

    def __str__(self) -> str:
        return f"{self.key} -> {self.run.tutorial_id}"


class ValidationJob(models.Model):
    """A validation asked for over the API: an uploaded notebook, or a stored version, with execution.

    Static checks answer at once; a job exists for the ones that execute, which a worker runs.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="validation_jobs"
    )
    version = models.ForeignKey(
        NotebookVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="validation_jobs"
    )
    name = models.CharField(max_length=200, help_text="The uploaded file's name, or the run and version.")
    ipynb = models.TextField(blank=True, help_text="The uploaded notebook (empty for a stored version).")
    execute = models.BooleanField(default=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    report = models.JSONField(default=dict, blank=True, help_text="Findings, counts, score and durations.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"validation of {self.name} ({self.status})"


class RefreshRecord(models.Model):
    """One look at a published manual by the nightly refresh (or `alain refresh`), and what came of it."""

    class Outcome(models.TextChoices):
        UNCHANGED = "unchanged", "Unchanged: same card revision, nothing regenerated"
        IDENTICAL = "identical", "Regenerated, identical to the approved version (not queued)"
        QUEUED = "queued", "Regenerated: a new version waits for review"
        FAILED = "failed", "The refresh failed"
        SKIPPED = "skipped", "Skipped (busy, or nothing to compare)"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="refreshes")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    trigger = models.CharField(max_length=16, default="command", help_text="schedule, command or api.")
    forced = models.BooleanField(default=False, help_text="Regenerate even when the card did not change.")
    previous_revision = models.CharField(max_length=64, blank=True)
    current_revision = models.CharField(max_length=64, blank=True)
    card_changed = models.BooleanField(default=False)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    version = models.ForeignKey(
        NotebookVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="refreshes"
    )
    compared_to = models.ForeignKey(
        NotebookVersion,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The last approved version the new one was compared with.",
    )
    diff_summary = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"refresh of {self.run.tutorial_id}: {self.outcome or 'in progress'}"
