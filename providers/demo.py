"""The offline demo teacher: deterministic outline and section replies built from the research data.

It lets the whole pipeline run with no model at all (tests, first-time users, CI). Replies are
real JSON documents valid against `OutlineSpec` / `SectionSpec`, specific to the subject
(repo id, task, library, licence, size, card sections, card quality) and tailored to the
difficulty and the language (en, fr, es; others fall back to en). No randomness, no clock:
the same request context always gives the same text. The builder labels the manual as demo
content because `is_demo` is True.

Section code relies only on what the notebook's provider cell defines (`ask`, `MODEL`,
`BASE_URL`, `DRY_RUN`, `client`) and on the standard library, so it runs offline too (`ask`
answers with stand-in replies when no endpoint is reachable).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import ValidationError

from prompts import limits
from prompts.content_rules import find_placeholders
from prompts.specs import OutlineSpec, SectionSpec
from prompts.tokens import count_tokens
from providers.base import Attempt, Completion, CompletionRequest, ProbeResult, ProviderError, Teacher

__all__ = ["DemoTeacher", "demo_outline", "demo_section"]

SECTION_STAGES = ("section", "section_repair")
# Order in which step kinds are dropped when fewer steps are asked for: the last ones go first.
PRIORITY = ("configure", "first_request", "parameters", "structured", "batch", "task", "evaluate", "limits")
# Order in which the kept steps appear in the manual.
POSITION = ("configure", "first_request", "task", "parameters", "structured", "evaluate", "batch", "limits")
CHAT_TASKS = ("text-generation", "text2text-generation", "conversational", "image-text-to-text")
LICENSE_DISTRACTORS = ("mit", "apache-2.0", "cc-by-nc-4.0", "gpl-3.0", "openrail")
TASK_DISTRACTORS = ("text-generation", "translation", "summarization", "image-classification", "feature-extraction")


class DemoTeacher(Teacher):
    key: ClassVar[str] = "demo"
    label: ClassVar[str] = "Demo (offline, deterministic)"
    is_demo: ClassVar[bool] = True
    default_model: ClassVar[str] = "demo"

    def __init__(
        self, *, model: str = "demo", base_url: str = "", api_key: str = "", context_tokens: int = 32768
    ) -> None:
        super().__init__(model=model or "demo", base_url=base_url, api_key=api_key, context_tokens=context_tokens)

    def complete(self, request: CompletionRequest) -> Completion:
        started = time.perf_counter()
        context = request.context
        try:
            if request.stage == "outline":
                reply: dict[str, Any] = demo_outline(context=context)
            elif request.stage in SECTION_STAGES:
                reply = demo_section(context=context)
            else:
                raise ProviderError(f"The demo teacher cannot answer stage {request.stage!r}.", permanent=True)
        except (ValidationError, KeyError, TypeError, ValueError, IndexError) as exc:
            # Retrying the same context gives the same failure: permanent.
            raise ProviderError(f"The demo teacher could not build a reply: {exc}", permanent=True) from None
        text = json.dumps(reply, ensure_ascii=False)
        latency_ms = int((time.perf_counter() - started) * 1000)
        prompt = "\n".join(str(message.get("content", "")) for message in request.messages)
        return Completion(
            text=text,
            finish_reason="stop",
            model=self.model,
            mode="json_schema",
            latency_ms=latency_ms,
            prompt_tokens=count_tokens(prompt),
            completion_tokens=count_tokens(text),
            attempts=[Attempt(number=1, mode="json_schema", outcome="ok", latency_ms=latency_ms)],
        )

    def probe(self) -> ProbeResult:
        return ProbeResult(ok=True, message="The demo teacher answers offline.", latency_ms=0, models=(self.model,))


# --- facts about the subject -------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the demo knows about the subject, cleaned so it can go into prose and code safely."""

    subject: str
    short: str
    repo_id: str
    task: str
    family: str  # chat | translation | summarization | other
    library: str
    license: str
    params: str
    base_model: str
    languages: tuple[str, ...]
    card_sections: tuple[str, ...]
    generation_config: tuple[tuple[str, Any], ...]
    thin: bool
    score: int
    flags: tuple[str, ...]
    gated: bool
    difficulty: str
    lang: str

    @property
    def digest(self) -> int:
        # A stable number per subject (Python's hash() is salted per process).
        return int(hashlib.sha256(self.subject.encode("utf-8")).hexdigest()[:8], 16)


def _clean(value: Any, limit: int) -> str:
    """One line of card data, stripped of markdown/HTML control characters, or '' if unusable."""
    text = " ".join(str(value or "").split())
    text = re.sub(r"[<>`*#\[\]|{}]", "", text).strip(" -:.")
    return "" if find_placeholders(text) else text[:limit].rstrip()


def _human_count(parameters: Any) -> str:
    if not isinstance(parameters, int) or isinstance(parameters, bool) or parameters <= 0:
        return ""
    for size, suffix in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if parameters >= size:
            return f"{parameters / size:.1f}".rstrip("0").rstrip(".") + suffix
    return str(parameters)


def _card_sections(research: Mapping[str, Any]) -> tuple[str, ...]:
    names = [m.group(1) for m in re.finditer(r"^#{1,3}\s+(.+)$", str(research.get("card_text") or ""), re.MULTILINE)]
    names += list((research.get("condensation") or {}).get("kept_sections") or [])
    kept: list[str] = []
    for name in names:
        cleaned = _clean(name, 40)
        if len(cleaned) >= 3 and cleaned.casefold() not in {k.casefold() for k in kept}:
            kept.append(cleaned)
    return tuple(kept[:5])


def facts_from_context(context: Mapping[str, Any]) -> Facts:
    research = context.get("research") or {}
    quality = research.get("quality") or {}
    repo_id = _clean(research.get("repo_id"), 96)
    subject = _clean(research.get("subject"), 80) or repo_id or "the model"
    short = (repo_id.rsplit("/", 1)[-1] if repo_id else subject)[:48].strip() or "the model"
    task = _clean(research.get("pipeline_tag"), 40).lower()
    family = "chat" if task in CHAT_TASKS or not task else task if task in ("translation", "summarization") else "other"
    config = research.get("generation_config") or {}
    generation = tuple(
        (name, config[name])
        for name in ("temperature", "top_p", "top_k", "max_new_tokens", "repetition_penalty")
        if isinstance(config.get(name), int | float) and not isinstance(config.get(name), bool)
    )
    difficulty = str(context.get("difficulty") or "beginner")
    lang = str(context.get("language") or "en").lower().replace("_", "-").split("-")[0]
    return Facts(
        subject=subject,
        short=short,
        repo_id=repo_id,
        task=task,
        family=family,
        library=_clean(research.get("library_name"), 40),
        license=_clean(research.get("license"), 40),
        params=_human_count(research.get("parameters")),
        base_model=_clean((research.get("base_models") or [""])[0], 80),
        languages=tuple(c for c in (_clean(x, 12).lower() for x in research.get("languages") or []) if c)[:6],
        card_sections=_card_sections(research),
        generation_config=generation,
        thin=bool(quality.get("thin")),
        score=int(quality.get("score") or 0),
        flags=tuple(f for f in (_clean(x, 60) for x in quality.get("flags") or []) if f)[:3],
        gated=bool(research.get("gated")),
        difficulty=difficulty if difficulty in ("beginner", "intermediate", "advanced") else "beginner",
        lang=lang if lang in TEXT else "en",
    )


# --- localized phrases built from facts -----------------------------------------------------------


def _t(facts: Facts, key: str, /, **values: Any) -> str:
    table = TEXT[facts.lang]
    text = table.get(key, TEXT["en"][key])
    return text.format(model=facts.short, subject=facts.subject, task=facts.task, **values)


def _join(facts: Facts, items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + _t(facts, "and") + items[-1]


def facts_sentence(facts: Facts) -> str:
    clauses = []
    if facts.task:
        clauses.append(_t(facts, "fact.task"))
    if facts.library:
        clauses.append(_t(facts, "fact.library", library=facts.library))
    if facts.license:
        clauses.append(_t(facts, "fact.license", license=facts.license))
    if facts.params:
        clauses.append(_t(facts, "fact.params", params=facts.params))
    if facts.base_model:
        clauses.append(_t(facts, "fact.base", base=facts.base_model))
    if not clauses:
        return _t(facts, "fact.none")
    sentence = f"{facts.subject} {_join(facts, clauses)}."
    if facts.card_sections:
        sentence += " " + _t(facts, "fact.sections", sections=", ".join(facts.card_sections))
    return sentence


def quality_sentence(facts: Facts) -> str:
    if not facts.thin:
        return ""
    flags = f" ({', '.join(facts.flags)})" if facts.flags else ""
    return _t(facts, "fact.thin", score=facts.score, flags=flags)


# --- the plan shared by outline and sections --------------------------------------------------------


def plan_kinds(count: int) -> list[str]:
    count = max(limits.STEPS_MIN, min(count, limits.STEPS_MAX))
    kept = set(PRIORITY[:count])
    return [kind for kind in POSITION if kind in kept]


def _kind_key(facts: Facts, kind: str) -> str:
    # The task step reads differently for each family of models.
    return f"task_{facts.family}" if kind == "task" else kind


def step_title(facts: Facts, kind: str) -> str:
    title = _t(facts, f"{_kind_key(facts, kind)}.title")
    if kind == "task" and facts.family == "other" and not facts.task:
        title = _t(facts, "task_other.title_generic")
    return title[: limits.TITLE_MAX_CHARS]


def _assessment(facts: Facts) -> list[dict[str, Any]]:
    items: list[tuple[str, list[str], str]] = [
        (_t(facts, "q.base_url"), ["OPENAI_BASE_URL", "ALAIN_MODEL", "OPENAI_API_KEY", "PYTHONPATH"], "a.base_url"),
        (_t(facts, "q.temperature"), [_t(facts, f"o.temperature.{i}") for i in range(3)], "a.temperature"),
    ]
    if facts.task:
        distractors = [t for t in TASK_DISTRACTORS if t != facts.task][:3]
        items.append((_t(facts, "q.task"), [facts.task, *distractors], "a.task"))
    else:
        items.append((_t(facts, "q.secret"), [_t(facts, f"o.secret.{i}") for i in range(3)], "a.secret"))
    items.append((_t(facts, "q.json"), [_t(facts, f"o.json.{i}") for i in range(3)], "a.json"))
    if facts.license:
        distractors = [x for x in LICENSE_DISTRACTORS if x.casefold() != facts.license.casefold()][:3]
        items.append((_t(facts, "q.license"), [facts.license, *distractors], "a.license"))
    else:
        items.append((_t(facts, "q.no_license"), [_t(facts, f"o.no_license.{i}") for i in range(3)], "a.no_license"))
    # The first option of each item is the right one; the builder decides where it shows.
    return [
        {
            "question": question,
            "answer": options[0],
            "distractors": options[1:],
            "explanation": _t(facts, explanation, license=facts.license),
        }
        for question, options, explanation in items
    ]


def demo_outline(*, context: Mapping[str, Any]) -> dict[str, Any]:
    """An outline (as JSON data valid against OutlineSpec) for the research in `context`."""
    facts = facts_from_context(context)
    kinds = plan_kinds(int(context.get("max_sections") or limits.STEPS_DEFAULT))
    steps = [
        {
            "title": step_title(facts, kind),
            "goal": _t(facts, f"{_kind_key(facts, kind)}.goal"),
            "key_points": [_t(facts, f"{_kind_key(facts, kind)}.point.{i}") for i in range(2)],
        }
        for kind in kinds
    ]
    extra = {"beginner": 0, "intermediate": 5, "advanced": 10}[facts.difficulty]
    exercise_count = limits.EXERCISES_MIN if facts.difficulty == "beginner" else limits.EXERCISES_MAX
    overview = " ".join(
        part for part in (_t(facts, "overview"), facts_sentence(facts), quality_sentence(facts)) if part
    )
    prerequisites = [_t(facts, "prereq.python"), _t(facts, "prereq.endpoint")]
    if facts.difficulty != "beginner":
        prerequisites.append(_t(facts, "prereq.functions"))
    troubleshooting = [
        {"problem": _t(facts, f"trouble.{i}.problem"), "fix": _t(facts, f"trouble.{i}.fix")} for i in range(3)
    ]
    if facts.gated:
        troubleshooting.append({"problem": _t(facts, "trouble.gated.problem"), "fix": _t(facts, "trouble.gated.fix")})
    outline = {
        "title": _t(facts, "title")[: limits.TITLE_MAX_CHARS],
        "overview": overview,
        "audience": _t(facts, f"audience.{facts.difficulty}"),
        "reading_time_minutes": 8 + 4 * len(kinds) + extra,
        "objectives": [_t(facts, f"{_kind_key(facts, kind)}.objective") for kind in kinds][: limits.OBJECTIVES_MAX],
        "prerequisites": prerequisites,
        "steps": steps,
        "exercises": [
            {
                "title": _t(facts, f"exercise.{i}.title"),
                "difficulty": ("easy", "medium", "hard")[i],
                "task": _t(facts, f"exercise.{i}.task"),
                "estimated_tokens": (300, 800, 1500)[i],
            }
            for i in range(exercise_count)
        ],
        "assessment": _assessment(facts),
        "summary": _t(facts, "summary", steps=len(kinds)),
        "next_steps": [_t(facts, f"next.{i}") for i in range(3)],
        "troubleshooting": troubleshooting,
    }
    return OutlineSpec.model_validate(outline).model_dump(mode="json")


def _kind_for(facts: Facts, outline: Mapping[str, Any], index: int) -> str | None:
    """The demo step kind behind outline step `index`, or None for a step the demo did not plan."""
    titles = [str(step.get("title", "")).strip() for step in outline.get("steps") or []]
    planned = plan_kinds(len(titles))
    if index < len(planned) and step_title(facts, planned[index]) == titles[index]:
        return planned[index]
    for kind in POSITION:
        if step_title(facts, kind) == titles[index]:
            return kind
    return None


def demo_section(*, context: Mapping[str, Any]) -> dict[str, Any]:
    """Section `context["section_index"]` of `context["outline"]`, valid against SectionSpec."""
    facts = facts_from_context(context)
    outline = context["outline"]
    index = int(context["section_index"])
    step = outline["steps"][index]
    kind = _kind_for(facts, outline, index)
    blocks = {"beginner": 1, "intermediate": 2, "advanced": 3}[facts.difficulty]
    prerequisites = (
        [_t(facts, "section.prereq.first")] if index == 0 else [_t(facts, "section.prereq.previous", n=index)]
    )
    if kind is None:
        # A step from another teacher's outline: generic but runnable, driven by the step's own goal.
        goal = str(step.get("goal", "")).strip()
        points = " ".join(str(p).strip().rstrip(".") + "." for p in step.get("key_points") or [])
        code = code_blocks(kind="generic", facts=facts, goal=goal)[:blocks]
        section = {
            "title": step["title"],
            "explanation": f"{goal} {points} {_t(facts, 'generic.explanation')} {_t(facts, f'style.{facts.difficulty}')}",
            "prerequisites": prerequisites,
            "code": [{"intro": _t(facts, f"generic.intro.{i}"), "code": c} for i, c in enumerate(code)],
            "callouts": [{"kind": "note", "text": _t(facts, "generic.callout")}],
            "takeaway": _t(facts, "generic.takeaway"),
        }
        return SectionSpec.model_validate(section).model_dump(mode="json")

    key = _kind_key(facts, kind)
    code = code_blocks(kind=kind, facts=facts, goal="")[:blocks]
    explanation = " ".join(
        part
        for part in (
            _t(facts, f"{key}.explanation", **_explanation_values(facts, kind)),
            _t(facts, f"style.{facts.difficulty}"),
        )
        if part
    )
    callouts = [{"kind": _t(facts, f"{key}.callout.kind"), "text": _t(facts, f"{key}.callout")}]
    if kind == "limits" and facts.thin:
        callouts.append({"kind": "warning", "text": quality_sentence(facts)[: limits.SHORT_TEXT_MAX_CHARS]})
    section = {
        "title": step["title"],
        "explanation": explanation,
        "prerequisites": prerequisites,
        "code": [{"intro": _t(facts, f"{key}.intro.{i}"), "code": c} for i, c in enumerate(code)],
        "callouts": callouts,
        "takeaway": _t(facts, f"{key}.takeaway"),
    }
    return SectionSpec.model_validate(section).model_dump(mode="json")


def _explanation_values(facts: Facts, kind: str) -> dict[str, str]:
    """The fact-dependent sentences a step's explanation template may use."""
    values = {"facts": facts_sentence(facts), "quality": quality_sentence(facts)}
    if facts.generation_config:
        settings = ", ".join(f"{name}={value}" for name, value in facts.generation_config)
        values["generation"] = _t(facts, "fact.generation", settings=settings)
    else:
        values["generation"] = _t(facts, "fact.no_generation")
    values["license"] = (
        _t(facts, "fact.license_terms", license=facts.license) if facts.license else _t(facts, "fact.no_license")
    )
    values["size"] = _t(facts, "fact.size", params=facts.params) if facts.params else ""
    values["sections"] = (
        _t(facts, "fact.compare_sections", sections=", ".join(facts.card_sections)) if facts.card_sections else ""
    )
    return values


# --- code ------------------------------------------------------------------------------------------
# Templates are plain Python; `__NAME__` markers are replaced by `repr()` of card data, so a quote
# or newline in a model name can never break or extend the code.

LANGUAGE_NAMES = {
    "ar": "Arabic",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "hi": "Hindi",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "nl": "Dutch",
    "pt": "Portuguese",
    "ru": "Russian",
    "zh": "Chinese",
}

CODE: dict[str, tuple[str, ...]] = {
    "configure": (
        """print("Endpoint:", BASE_URL or "OpenAI default endpoint")
print("Model:", MODEL)
print("Stand-in replies only (ALAIN_DRY_RUN):", DRY_RUN)
print("Client ready:", client is not None)""",
        """# Listing models is optional: some local servers do not implement it.
if client is None:
    print("No client (dry run or openai missing): skipping the model list.")
else:
    try:
        served = [item.id for item in client.models.list().data]
    except Exception as exc:
        print("Could not list models:", type(exc).__name__)
    else:
        print(len(served), "model(s) served;", "ours is listed" if MODEL in served else "ours is not listed")""",
        """import os

# Report which settings came from the environment, without ever printing their values.
for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ALAIN_MODEL", "ALAIN_DRY_RUN"):
    print(f"{name}: {'set' if os.environ.get(name) else 'not set'}")""",
    ),
    "first_request": (
        """question = __QUESTION__
reply = ask(question, max_tokens=120)
print(reply)
print(f"({len(reply)} characters)")""",
        """reply = ask(
    "Explain what a context window is.",
    system="You are a concise teacher. Answer in at most three bullet points.",
    max_tokens=150,
)
print(reply)""",
        """import time

started = time.perf_counter()
reply = ask("Reply with the single word: ready", max_tokens=5, temperature=0.0)
print(f"{time.perf_counter() - started:.2f} s -> {reply!r}")""",
    ),
    "task": (
        """INSTRUCTION = __INSTRUCTION__
SAMPLES = __SAMPLES__

reply = ask(INSTRUCTION + "\\n\\n" + SAMPLES[0], max_tokens=120, temperature=0.0)
print("Input:", SAMPLES[0])
print("Output:", reply)""",
        """def run_task(text, *, temperature=0.0):
    \"\"\"One call of this step's pattern; returns the reply without surrounding spaces.\"\"\"
    return ask(INSTRUCTION + "\\n\\n" + text, max_tokens=120, temperature=temperature).strip()


for sample in SAMPLES:
    print(repr(sample[:40]), "->", run_task(sample))""",
        """# The same input three times: identical outputs mean the step is repeatable at temperature 0.
answers = [run_task(SAMPLES[0]) for _ in range(3)]
print("Distinct answers:", len(set(answers)))
for answer in answers:
    print("-", answer[:80])""",
    ),
    "parameters": (
        """prompt = "Write one sentence describing a lighthouse at night."
for temperature in (0.0, 0.8):
    print(f"temperature={temperature}:", ask(prompt, temperature=temperature, max_tokens=__MAX_TOKENS__))""",
        """for max_tokens in (16, 64):
    reply = ask("List five uses of a paperclip.", max_tokens=max_tokens, temperature=0.0)
    print(f"max_tokens={max_tokens}: {len(reply.split())} words")""",
        """reply = ask(
    "Count from one to ten in words, separated by commas.",
    temperature=0.0,
    top_p=__TOP_P__,
    max_tokens=60,
    stop=["six"],
)
print(reply)
print("Stopped before 'six':", "six" not in reply.lower())""",
    ),
    "structured": (
        """import json


def parse_json(reply):
    \"\"\"The first JSON object in a reply, or None: models often wrap JSON in prose or fences.\"\"\"
    start, end = reply.find("{"), reply.rfind("}")
    if start == -1 or end <= start:
        return None
    try:
        value = json.loads(reply[start : end + 1])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


reply = ask(
    'Return only a JSON object with keys "name" (string) and "uses" (list of 3 short strings) describing a hammer.',
    temperature=0.0,
    max_tokens=150,
)
data = parse_json(reply)
print(data if data is not None else "Not JSON: " + reply[:200])""",
        """def ask_json(prompt, required, attempts=2):
    \"\"\"Ask until the reply is a JSON object with the required keys, at most `attempts` times.\"\"\"
    for _ in range(attempts):
        data = parse_json(ask(prompt, temperature=0.0, max_tokens=200))
        if data is not None and all(key in data for key in required):
            return data
        prompt += "\\nReturn only valid JSON with the keys: " + ", ".join(required)
    return None


result = ask_json('Describe Paris as JSON with keys "city", "country" and "population".', ["city", "country", "population"])
print(result or "No valid JSON after retries: lower the temperature or show an example object in the prompt.")""",
        """# JSON mode asks the server to constrain decoding; not every server supports it.
try:
    reply = ask(
        "Return a JSON object with a key 'ok' set to true.",
        response_format={"type": "json_object"},
        max_tokens=30,
        temperature=0.0,
    )
except Exception as exc:
    reply = ""
    print("This endpoint rejected response_format:", type(exc).__name__)
print("Parsed:", parse_json(reply))""",
    ),
    "evaluate": (
        """CASES = [
    ("What is 12 + 30? Answer with the number only.", "42"),
    ("What is the capital of France? Answer with one word.", "paris"),
    ("Spell the word 'cat' backwards. Answer with the word only.", "tac"),
]
passed = 0
for prompt, expected in CASES:
    reply = ask(prompt, temperature=0.0, max_tokens=10)
    ok = expected in reply.lower()
    passed += ok
    print("PASS" if ok else "FAIL", repr(prompt[:40]), "->", repr(reply[:60]))
print(f"{passed}/{len(CASES)} passed")""",
        """def score(reply, expected):
    \"\"\"1 for an exact answer, 0.5 when the answer is buried in extra words, else 0.\"\"\"
    text = reply.strip().lower().rstrip(".")
    if text == expected:
        return 1.0
    return 0.5 if expected in text else 0.0


scores = [score(ask(prompt, temperature=0.0, max_tokens=10), expected) for prompt, expected in CASES]
print("Scores:", scores, "mean:", round(sum(scores) / len(scores), 2))""",
    ),
    "batch": (
        """import statistics
import time

PROMPTS = ["Name a primary colour.", "Name a planet.", "Name a musical instrument.", "Name a programming language."]
latencies, lengths = [], []
for prompt in PROMPTS:
    started = time.perf_counter()
    reply = ask(prompt, max_tokens=20, temperature=0.0)
    latencies.append(time.perf_counter() - started)
    lengths.append(len(reply))
print(f"median {statistics.median(latencies):.3f} s, max {max(latencies):.3f} s over {len(PROMPTS)} requests")
print("mean reply length:", round(statistics.mean(lengths)), "characters")""",
        """from concurrent.futures import ThreadPoolExecutor

started = time.perf_counter()
with ThreadPoolExecutor(max_workers=2) as pool:
    replies = list(pool.map(lambda prompt: ask(prompt, max_tokens=20, temperature=0.0), PROMPTS))
elapsed = time.perf_counter() - started
print(f"{len(replies)} replies in {elapsed:.3f} s with 2 workers; one by one took {sum(latencies):.3f} s")""",
        """# Words per second is a rough, tokenizer-free throughput figure for comparing endpoints.
words = sum(len(reply.split()) for reply in replies)
print(f"{words} words in {elapsed:.3f} s: {words / max(elapsed, 1e-6):.1f} words/s")""",
    ),
    "limits": (
        """import time


def ask_with_retry(prompt, attempts=3, delay=0.5, **options):
    \"\"\"ask() with exponential backoff for transient failures (rate limits, restarts).\"\"\"
    for attempt in range(1, attempts + 1):
        try:
            return ask(prompt, **options)
        except Exception as exc:
            if attempt == attempts:
                raise
            print(f"attempt {attempt} failed ({type(exc).__name__}); retrying in {delay:.1f} s")
            time.sleep(delay)
            delay *= 2
    return ""


print(ask_with_retry("Say hello in French.", max_tokens=10))""",
        """LICENSE = __LICENSE__
MAX_PROMPT_CHARS = 8000


def guarded_ask(prompt, **options):
    \"\"\"Refuse oversized prompts before they cost time or hit the context limit.\"\"\"
    if len(prompt) > MAX_PROMPT_CHARS:
        return f"Prompt too long ({len(prompt)} characters); split it first."
    return ask(prompt, **options)


print("Licence declared on the card:", LICENSE or "none: ask the publisher before any real use")
print(guarded_ask("word " * 3000))""",
    ),
    "generic": (
        """GOAL = __GOAL__
reply = ask("In three short bullet points, how would I do this with a language model? " + GOAL, max_tokens=160)
print(reply)""",
        """import time

started = time.perf_counter()
reply = ask("Give one concrete example for: " + GOAL, max_tokens=120, temperature=0.0)
print(reply)
print(f"({time.perf_counter() - started:.2f} s, {len(reply)} characters)")""",
    ),
}


def _task_inputs(facts: Facts) -> tuple[str, list[str]]:
    """The instruction and sample inputs of the task step, by family of model."""
    if facts.family == "translation":
        names = [LANGUAGE_NAMES[c] for c in facts.languages if c in LANGUAGE_NAMES and c != "en"]
        target = (names or ["French"])[0]
        return (
            f"Translate the text into {target}. Reply with the translation only.",
            ["The library opens at nine and closes at six.", "Please keep your ticket until the end of the trip."],
        )
    if facts.family == "summarization":
        return (
            "Summarize the text in one sentence.",
            [
                "Solar panels turn sunlight into electricity. Their output falls on cloudy days and at night, so "
                "homes that rely on them often add batteries or stay connected to the grid.",
                "The city council voted to extend the bike lane network by twelve kilometres next year, funded by "
                "a parking fee increase that takes effect in March.",
            ],
        )
    if facts.family == "other":
        task = facts.task or "the task in the model card"
        return (
            f"You help with {task}. Name the main topic of the text in three words or fewer.",
            ["The new battery chemistry doubles range in cold weather.", "Our bakery now opens at seven on Sundays."],
        )
    return (
        "Classify the sentiment of the review as positive, negative or neutral. Answer with one word.",
        ["I loved the battery life.", "The screen cracked within a week.", "It arrived on Tuesday."],
    )


def code_blocks(*, kind: str, facts: Facts, goal: str) -> list[str]:
    """The code cells of a step kind, filled with the subject's data (as Python literals)."""
    instruction, samples = _task_inputs(facts)
    config = dict(facts.generation_config)
    top_p = config.get("top_p")
    values = {
        "__QUESTION__": f"In two sentences, what kind of tasks is {facts.short} suited for?",
        "__INSTRUCTION__": instruction,
        "__SAMPLES__": samples,
        "__LICENSE__": facts.license,
        "__GOAL__": goal,
        "__MAX_TOKENS__": 60,
        "__TOP_P__": float(top_p) if isinstance(top_p, int | float) and 0 < top_p <= 1 else 1.0,
    }
    blocks = []
    for template in CODE[kind]:
        for marker, value in values.items():
            template = template.replace(marker, repr(value))
        blocks.append(template)
    return blocks


# --- prose ----------------------------------------------------------------------------------------
# `{model}`, `{subject}` and `{task}` are always available; step explanations may also use
# `{facts}`, `{quality}`, `{generation}`, `{license}`, `{size}` and `{sections}`.

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "and": " and ",
        "fact.task": "is tagged for the {task} task",
        "fact.library": "ships for the {library} library",
        "fact.license": "is published under the {license} licence",
        "fact.params": "has about {params} parameters",
        "fact.base": "derives from {base}",
        "fact.none": (
            "{subject} comes with little metadata, so this manual sticks to what any OpenAI-compatible endpoint offers."
        ),
        "fact.sections": "Its card covers: {sections}.",
        "fact.thin": "The card is thin (quality score {score}/100{flags}), so verify every behaviour yourself.",
        "fact.generation": "The repository's generation config suggests {settings}; start from these values.",
        "fact.no_generation": "The repository publishes no generation defaults: start at a low temperature and adjust.",
        "fact.license_terms": "The card declares the {license} licence: read its terms before you ship anything built on {model}.",
        "fact.no_license": "The card declares no licence: ask the publisher before any use beyond experiments.",
        "fact.size": "With about {params} parameters, latency depends heavily on the hardware behind the endpoint.",
        "fact.compare_sections": "Compare your results with what the card's sections ({sections}) claim.",
        "title": "{model}: a hands-on manual",
        "overview": (
            "This manual shows how to call {subject} through an OpenAI-compatible endpoint and build small, checked"
            " workflows around it, one runnable step at a time."
        ),
        "audience.beginner": "Developers new to calling language models from Python",
        "audience.intermediate": "Developers who have called an LLM API and want repeatable workflows",
        "audience.advanced": "Engineers building evaluation and serving harnesses around models",
        "prereq.python": "Python 3.9 or newer in Jupyter, VS Code or Colab",
        "prereq.endpoint": "An OpenAI-compatible endpoint serving {model}, hosted or local",
        "prereq.functions": "Comfort with Python functions, exceptions and list comprehensions",
        "trouble.0.problem": "ask() prints that it could not reach the endpoint",
        "trouble.0.fix": "Check OPENAI_BASE_URL (it usually ends in /v1) and that the server is running, then rerun the provider cell.",
        "trouble.1.problem": "The server answers 404 or 'model not found'",
        "trouble.1.fix": "Set ALAIN_MODEL to the exact name the server lists (the configure step prints it) and rerun.",
        "trouble.2.problem": "Replies are not valid JSON",
        "trouble.2.fix": "Lower the temperature, show an example object in the prompt, and parse with parse_json() from the structured step.",
        "trouble.gated.problem": "Downloading the weights is refused",
        "trouble.gated.fix": "The repository is gated: accept its terms on the model page with your account before serving it.",
        "exercise.0.title": "Ask your own question",
        "exercise.0.task": "Replace the prompt of the first request with a question from your own work and compare replies at temperature 0 and 0.8.",
        "exercise.1.title": "Grow the test set",
        "exercise.1.task": "Add five cases from your domain to the evaluation list and report the pass rate of {model}.",
        "exercise.2.title": "Measure a realistic batch",
        "exercise.2.task": "Send twenty prompts typical of your use case and report median latency, maximum latency and mean reply length.",
        "summary": (
            "You configured a client for {subject}, sent first requests, and worked through {steps} small steps:"
            " controlling generation, asking for structured output, checking replies and measuring cost in time."
            " Each step is a pattern you can lift into your own code."
        ),
        "next.0": "Turn the evaluation cases into a regression test you run on every model change",
        "next.1": "Compare {model} with a second model on the same prompts and test set",
        "next.2": "Read the model card again and note claims you can now test yourself",
        "q.base_url": "Which environment variable points the notebook at a local server such as vLLM or Ollama?",
        "a.base_url": "OPENAI_BASE_URL sets the endpoint; ALAIN_MODEL names the model and OPENAI_API_KEY holds the key.",
        "q.temperature": "What does a temperature of 0 do to the replies of {model}?",
        "o.temperature.0": "Makes them as repeatable as the server allows",
        "o.temperature.1": "Makes them twice as long",
        "o.temperature.2": "Turns off the system prompt",
        "a.temperature": "Temperature scales sampling randomness; at 0 the most likely tokens win, so replies repeat.",
        "q.task": "Which task is {model} tagged for on its model card?",
        "a.task": "The card's pipeline tag is {task}; the other options belong to other kinds of models.",
        "q.secret": "Where should the API key for the endpoint live?",
        "o.secret.0": "In an environment variable or a secrets manager",
        "o.secret.1": "In a code cell of the notebook",
        "o.secret.2": "Inside the prompt text",
        "a.secret": "Keys in cells or prompts end up in shared files and logs; the environment keeps them out.",
        "q.json": "Why does the manual parse JSON replies defensively?",
        "o.json.0": "Models may wrap JSON in prose or return invalid JSON",
        "o.json.1": "JSON parsing is slower than reading text",
        "o.json.2": "The client cannot send JSON requests",
        "a.json": "A model predicts text; nothing forces valid JSON unless the server constrains decoding.",
        "q.license": "Under which licence is {model} published, according to its card?",
        "a.license": "The card declares {license}; read its terms before you ship anything built on the model.",
        "q.no_license": "The card of {model} declares no licence. What should you do before using it in a product?",
        "o.no_license.0": "Ask the publisher for the terms",
        "o.no_license.1": "Assume it is in the public domain",
        "o.no_license.2": "Use it only at temperature 0",
        "a.no_license": "Without a licence no use is granted by default; only the publisher can grant it.",
        "section.prereq.first": "The setup and provider configuration cells have run",
        "section.prereq.previous": "Step {n} completed",
        "style.beginner": "Run the cells in order and read each output before moving on.",
        "style.intermediate": "Change one value at a time and rerun the cell to see its effect.",
        "style.advanced": "Treat these cells as the skeleton of a harness: wrap them in functions and log the results.",
        "generic.explanation": "The code below asks the model about this goal through ask(), so you see its answer next to the explanation.",
        "generic.intro.0": "Ask the model how it would approach this step.",
        "generic.intro.1": "Ask for one concrete example and time the request.",
        "generic.callout": "This step was planned by another teacher; the demo teacher fills it with a generic exercise.",
        "generic.takeaway": "Asking the model itself is a quick first check, not a substitute for testing.",
        "configure.title": "Configure the client",
        "configure.goal": "Point the OpenAI client at an endpoint serving {model} and check the settings.",
        "configure.point.0": "OPENAI_BASE_URL selects a hosted or a local server",
        "configure.point.1": "Keys come from the environment, never from the notebook",
        "configure.objective": "Configure an OpenAI-compatible client for {model} from environment variables",
        "configure.explanation": (
            "Every request in this manual goes through `ask()`, defined in the provider configuration cell. It reads"
            " `OPENAI_BASE_URL`, `OPENAI_API_KEY` and `ALAIN_MODEL` from the environment, so the same notebook works"
            " against a hosted API or a local vLLM, Ollama or llama.cpp server. {facts} Before sending anything,"
            " print what the client will use."
        ),
        "configure.intro.0": "Print the endpoint and model that `ask()` will use.",
        "configure.intro.1": "Check that the endpoint lists the model (skipped when there is no client).",
        "configure.intro.2": "See which settings came from the environment, without printing their values.",
        "configure.callout.kind": "warning",
        "configure.callout": "Never paste an API key into a cell: notebooks get shared, and keys in outputs leak.",
        "configure.takeaway": "Configuration lives in environment variables, so the notebook itself holds no secrets.",
        "first_request.title": "Send a first request to {model}",
        "first_request.goal": "Send one prompt to {model} and read the reply.",
        "first_request.point.0": "A short, plain prompt is the best first test",
        "first_request.point.1": "A system message steers tone and format",
        "first_request.objective": "Send prompts to {model} and steer replies with a system message",
        "first_request.explanation": (
            "Start with one short, plain question: it shows that the endpoint, the model name and the key all work."
            " `ask()` returns the reply text, so printing its length as well shows at once whether the server cut"
            " it short. {size}"
        ),
        "first_request.intro.0": "Ask one question and print the reply with its length.",
        "first_request.intro.1": "Add a system message to steer the tone and the format of the reply.",
        "first_request.intro.2": "Time a minimal request to see the fixed cost of one call.",
        "first_request.callout.kind": "tip",
        "first_request.callout": "If the reply stops mid-sentence, raise max_tokens: the server stopped at the limit.",
        "first_request.takeaway": "One short prompt checks the whole chain: endpoint, model name, key and reply.",
        "task_chat.title": "Give the model a clear task",
        "task_chat.goal": "Write an instruction with a fixed answer format and reuse it on several inputs.",
        "task_chat.point.0": "A fixed answer format makes replies easy to check",
        "task_chat.point.1": "A function turns a prompt into a reusable tool",
        "task_chat.objective": "Turn a prompt into a reusable, checkable task function",
        "task_chat.explanation": (
            "{subject} is a generative model, so the task lives entirely in the prompt. An instruction that fixes"
            " the answer format (one word from a short list) makes every reply easy to check in code. Here the task"
            " is sentiment classification of short reviews."
        ),
        "task_chat.intro.0": "Define the instruction and sample inputs, then run the first sample.",
        "task_chat.intro.1": "Wrap the pattern in a function and run it on every sample.",
        "task_chat.intro.2": "Run the same input three times to check that answers are stable.",
        "task_chat.callout.kind": "tip",
        "task_chat.callout": "List the allowed answers in the instruction; free-form labels are hard to compare.",
        "task_chat.takeaway": "A fixed output format turns a chat model into a component you can test.",
        "task_translation.title": "Translate between language pairs",
        "task_translation.goal": "Translate short texts with {model} and reuse the call for several inputs.",
        "task_translation.point.0": "Name the target language explicitly",
        "task_translation.point.1": "Ask for the translation only, without comments",
        "task_translation.objective": "Translate texts with {model} through a reusable function",
        "task_translation.explanation": (
            "{subject} is tagged for translation. Through a chat endpoint the language pair goes into the"
            " instruction, and asking for the translation only keeps the output clean for further processing."
        ),
        "task_translation.intro.0": "Define the instruction and sample sentences, then translate the first one.",
        "task_translation.intro.1": "Wrap the call in a function and translate every sample.",
        "task_translation.intro.2": "Translate the same sentence three times to check that the output is stable.",
        "task_translation.callout.kind": "note",
        "task_translation.callout": "Check the languages listed on the card: quality drops sharply outside them.",
        "task_translation.takeaway": "State the target language and the output format in every translation prompt.",
        "task_summarization.title": "Summarize texts of different lengths",
        "task_summarization.goal": "Summarize short texts with {model} and reuse the call for several inputs.",
        "task_summarization.point.0": "Fix the summary length in the instruction",
        "task_summarization.point.1": "Compare summaries against the source facts",
        "task_summarization.objective": "Summarize texts with {model} at a fixed length",
        "task_summarization.explanation": (
            "{subject} is tagged for summarization. Fixing the length in the instruction (one sentence) makes"
            " summaries comparable, and reading them next to the source shows whether facts were kept."
        ),
        "task_summarization.intro.0": "Define the instruction and two sample texts, then summarize the first.",
        "task_summarization.intro.1": "Wrap the call in a function and summarize every sample.",
        "task_summarization.intro.2": "Summarize the same text three times to check stability.",
        "task_summarization.callout.kind": "warning",
        "task_summarization.callout": "Summaries can state facts that are not in the source: check names and numbers.",
        "task_summarization.takeaway": "A fixed length and a check against the source make summaries trustworthy.",
        "task_other.title": "Frame the {task} task as a prompt",
        "task_other.title_generic": "Frame your task as a prompt",
        "task_other.goal": "Express the model's task as an instruction and run it on sample inputs.",
        "task_other.point.0": "A chat endpoint needs the task spelled out",
        "task_other.point.1": "Short fixed-format answers are easy to check",
        "task_other.objective": "Express a task as a prompt with a fixed answer format",
        "task_other.explanation": (
            "{facts} Served behind an OpenAI-compatible chat endpoint, the task has to be spelled out in the"
            " instruction, with a short fixed answer format so the output can be checked in code."
        ),
        "task_other.intro.0": "Define the instruction and sample inputs, then run the first sample.",
        "task_other.intro.1": "Wrap the pattern in a function and run it on every sample.",
        "task_other.intro.2": "Run the same input three times to check that answers are stable.",
        "task_other.callout.kind": "note",
        "task_other.callout": "If your server exposes a dedicated endpoint for this task, prefer it over chat.",
        "task_other.takeaway": "Spell the task and the answer format out; the model cannot guess them.",
        "parameters.title": "Control generation parameters",
        "parameters.goal": "See how temperature, max_tokens and stop sequences change replies.",
        "parameters.point.0": "Temperature trades repeatability for variety",
        "parameters.point.1": "max_tokens caps the length and the cost",
        "parameters.objective": "Control replies with temperature, max_tokens and stop sequences",
        "parameters.explanation": (
            "Sampling settings change replies more than most prompt tweaks. Temperature controls randomness,"
            " `max_tokens` caps length (and cost), and stop sequences end a reply early. {generation}"
        ),
        "parameters.intro.0": "Compare the same prompt at two temperatures.",
        "parameters.intro.1": "See how max_tokens caps the reply length.",
        "parameters.intro.2": "Combine top_p with a stop sequence to end replies early.",
        "parameters.callout.kind": "tip",
        "parameters.callout": "Use temperature 0 for tests and extraction; raise it only for creative text.",
        "parameters.takeaway": "Fix sampling settings before judging a prompt: they change the results as much.",
        "structured.title": "Ask for structured JSON output",
        "structured.goal": "Get JSON from {model} and parse it robustly.",
        "structured.point.0": "Replies may wrap JSON in prose",
        "structured.point.1": "Validate required keys and retry with the reason",
        "structured.objective": "Get and validate structured JSON output from {model}",
        "structured.explanation": (
            "Programs need data, not prose. Asking for JSON works best with an explicit list of keys, a low"
            " temperature and a parser that tolerates text around the object. When keys are missing, retrying"
            " with the reason in the prompt often fixes the reply."
        ),
        "structured.intro.0": "Ask for a JSON object and parse it defensively.",
        "structured.intro.1": "Require keys and retry once with the missing keys named.",
        "structured.intro.2": "Try the server's JSON mode, which some endpoints support.",
        "structured.callout.kind": "warning",
        "structured.callout": "Never trust parsed JSON blindly: check types and ranges before using the values.",
        "structured.takeaway": "Ask for explicit keys, parse defensively and validate before use.",
        "evaluate.title": "Evaluate replies with simple checks",
        "evaluate.goal": "Score {model} on a small test set with automatic checks.",
        "evaluate.point.0": "Small test sets catch regressions early",
        "evaluate.point.1": "Partial credit shows formatting problems",
        "evaluate.objective": "Score replies on a small test set with automatic checks",
        "evaluate.explanation": (
            "A handful of prompts with known answers is the cheapest evaluation there is. Exact checks catch"
            " wrong answers; partial credit reveals right answers buried in extra words, a formatting problem"
            " rather than a knowledge one. {sections}"
        ),
        "evaluate.intro.0": "Run three cases with known answers and count the passes.",
        "evaluate.intro.1": "Score exact and partial answers separately.",
        "evaluate.callout.kind": "tip",
        "evaluate.callout": "Keep the test set in version control and rerun it whenever the model or prompt changes.",
        "evaluate.takeaway": "A tiny automatic test set beats reading replies by eye.",
        "batch.title": "Batch requests and measure latency",
        "batch.goal": "Send several prompts and measure latency and throughput.",
        "batch.point.0": "Median and maximum latency tell different stories",
        "batch.point.1": "Concurrency helps only up to the server's capacity",
        "batch.objective": "Measure latency and throughput of batched requests",
        "batch.explanation": (
            "Before building on a model, know what a request costs in time. Timing several prompts gives a median"
            " (typical) and a maximum (worst case); sending two at once shows whether the server handles"
            " concurrency. {size}"
        ),
        "batch.intro.0": "Time four requests one by one and report median and maximum latency.",
        "batch.intro.1": "Send the same prompts with two workers and compare the wall time.",
        "batch.intro.2": "Estimate throughput in words per second.",
        "batch.callout.kind": "note",
        "batch.callout": "Local servers often process one request at a time: more workers then only add waiting.",
        "batch.takeaway": "Measure latency with your own prompts on your own endpoint before promising any speed.",
        "limits.title": "Handle errors and respect the licence",
        "limits.goal": "Retry transient failures, guard prompt size and check the licence.",
        "limits.point.0": "Retries with backoff absorb transient failures",
        "limits.point.1": "The licence decides what you may build",
        "limits.objective": "Handle transient failures and check the licence terms of {model}",
        "limits.explanation": (
            "Real endpoints fail now and then: rate limits, restarts, timeouts. A retry with exponential backoff"
            " absorbs most of it, and a size guard stops oversized prompts before they fail slowly. {license}"
            " {quality}"
        ),
        "limits.intro.0": "Wrap ask() in a retry with exponential backoff.",
        "limits.intro.1": "Guard the prompt size and print the licence declared on the card.",
        "limits.callout.kind": "warning",
        "limits.callout": "Do not retry errors that cannot succeed later, such as a wrong key or an unknown model.",
        "limits.takeaway": "Plan for failures and read the licence before building on a model.",
    },
}

TEXT["fr"] = {
    "and": " et ",
    "fact.task": "est étiqueté pour la tâche {task}",
    "fact.library": "est distribué pour la bibliothèque {library}",
    "fact.license": "est publié sous la licence {license}",
    "fact.params": "compte environ {params} paramètres",
    "fact.base": "dérive de {base}",
    "fact.none": (
        "{subject} est livré avec peu de métadonnées : ce manuel s'en tient à ce que propose tout point d'accès"
        " compatible OpenAI."
    ),
    "fact.sections": "Sa fiche couvre : {sections}.",
    "fact.thin": "La fiche est mince (score de qualité {score}/100{flags}) : vérifiez vous-même chaque comportement.",
    "fact.generation": "La configuration de génération du dépôt propose {settings} : partez de ces valeurs.",
    "fact.no_generation": "Le dépôt ne publie pas de réglages de génération : commencez à basse température et ajustez.",
    "fact.license_terms": "La fiche déclare la licence {license} : lisez ses conditions avant de livrer quoi que ce soit fondé sur {model}.",
    "fact.no_license": "La fiche ne déclare aucune licence : demandez à l'éditeur avant tout usage au-delà d'essais.",
    "fact.size": "Avec environ {params} paramètres, la latence dépend beaucoup du matériel derrière le point d'accès.",
    "fact.compare_sections": "Comparez vos résultats à ce qu'affirment les sections de la fiche ({sections}).",
    "title": "{model} : manuel pratique",
    "overview": (
        "Ce manuel montre comment appeler {subject} via un point d'accès compatible OpenAI et construire autour de"
        " petits flux de travail vérifiés, une étape exécutable à la fois."
    ),
    "audience.beginner": "Développeurs qui découvrent l'appel de modèles de langage en Python",
    "audience.intermediate": "Développeurs ayant déjà utilisé une API de LLM et voulant des flux reproductibles",
    "audience.advanced": "Ingénieurs qui construisent des bancs d'évaluation et de service autour de modèles",
    "prereq.python": "Python 3.9 ou plus récent dans Jupyter, VS Code ou Colab",
    "prereq.endpoint": "Un point d'accès compatible OpenAI qui sert {model}, hébergé ou local",
    "prereq.functions": "Aisance avec les fonctions, exceptions et compréhensions de listes en Python",
    "trouble.0.problem": "ask() indique qu'il n'a pas pu joindre le point d'accès",
    "trouble.0.fix": "Vérifiez OPENAI_BASE_URL (elle finit souvent par /v1) et que le serveur tourne, puis relancez la cellule du fournisseur.",
    "trouble.1.problem": "Le serveur répond 404 ou « model not found »",
    "trouble.1.fix": "Donnez à ALAIN_MODEL le nom exact listé par le serveur (l'étape de configuration l'affiche) et relancez.",
    "trouble.2.problem": "Les réponses ne sont pas du JSON valide",
    "trouble.2.fix": "Baissez la température, montrez un objet d'exemple dans le prompt et analysez avec parse_json() de l'étape JSON.",
    "trouble.gated.problem": "Le téléchargement des poids est refusé",
    "trouble.gated.fix": "Le dépôt est à accès restreint : acceptez ses conditions sur la page du modèle avec votre compte.",
    "exercise.0.title": "Posez votre propre question",
    "exercise.0.task": "Remplacez le prompt de la première requête par une question de votre travail et comparez les réponses à température 0 et 0.8.",
    "exercise.1.title": "Enrichissez le jeu de tests",
    "exercise.1.task": "Ajoutez cinq cas de votre domaine à la liste d'évaluation et indiquez le taux de réussite de {model}.",
    "exercise.2.title": "Mesurez un lot réaliste",
    "exercise.2.task": "Envoyez vingt prompts typiques de votre usage et donnez la latence médiane, la latence maximale et la longueur moyenne des réponses.",
    "summary": (
        "Vous avez configuré un client pour {subject}, envoyé de premières requêtes et parcouru {steps} petites"
        " étapes : régler la génération, demander une sortie structurée, vérifier les réponses et mesurer le"
        " temps. Chaque étape est un modèle à reprendre dans votre propre code."
    ),
    "next.0": "Transformez les cas d'évaluation en test de régression lancé à chaque changement de modèle",
    "next.1": "Comparez {model} à un second modèle sur les mêmes prompts et le même jeu de tests",
    "next.2": "Relisez la fiche du modèle et notez les affirmations que vous pouvez maintenant tester",
    "q.base_url": "Quelle variable d'environnement dirige le notebook vers un serveur local comme vLLM ou Ollama ?",
    "a.base_url": "OPENAI_BASE_URL fixe le point d'accès ; ALAIN_MODEL nomme le modèle et OPENAI_API_KEY contient la clé.",
    "q.temperature": "Quel effet a une température de 0 sur les réponses de {model} ?",
    "o.temperature.0": "Les rend aussi reproductibles que le serveur le permet",
    "o.temperature.1": "Les rend deux fois plus longues",
    "o.temperature.2": "Désactive le message système",
    "a.temperature": "La température règle l'aléa de l'échantillonnage ; à 0 les jetons les plus probables gagnent.",
    "q.task": "Pour quelle tâche {model} est-il étiqueté sur sa fiche ?",
    "a.task": "L'étiquette de la fiche est {task} ; les autres options concernent d'autres types de modèles.",
    "q.secret": "Où doit se trouver la clé d'API du point d'accès ?",
    "o.secret.0": "Dans une variable d'environnement ou un gestionnaire de secrets",
    "o.secret.1": "Dans une cellule de code du notebook",
    "o.secret.2": "Dans le texte du prompt",
    "a.secret": "Une clé dans une cellule ou un prompt finit dans des fichiers partagés ; l'environnement l'en protège.",
    "q.json": "Pourquoi le manuel analyse-t-il les réponses JSON avec prudence ?",
    "o.json.0": "Le modèle peut entourer le JSON de texte ou renvoyer du JSON invalide",
    "o.json.1": "Analyser du JSON est plus lent que lire du texte",
    "o.json.2": "Le client ne sait pas envoyer de requêtes JSON",
    "a.json": "Un modèle prédit du texte : rien n'impose un JSON valide si le serveur ne contraint pas le décodage.",
    "q.license": "Sous quelle licence {model} est-il publié d'après sa fiche ?",
    "a.license": "La fiche déclare {license} ; lisez ses conditions avant de livrer un produit fondé sur le modèle.",
    "q.no_license": "La fiche de {model} ne déclare aucune licence. Que faire avant de l'utiliser dans un produit ?",
    "o.no_license.0": "Demander les conditions à l'éditeur",
    "o.no_license.1": "Supposer qu'il est dans le domaine public",
    "o.no_license.2": "Ne l'utiliser qu'à température 0",
    "a.no_license": "Sans licence, aucun usage n'est accordé par défaut ; seul l'éditeur peut l'accorder.",
    "section.prereq.first": "Les cellules d'installation et de configuration du fournisseur ont été exécutées",
    "section.prereq.previous": "Étape {n} terminée",
    "style.beginner": "Exécutez les cellules dans l'ordre et lisez chaque sortie avant de continuer.",
    "style.intermediate": "Changez une valeur à la fois et relancez la cellule pour en voir l'effet.",
    "style.advanced": "Voyez ces cellules comme le squelette d'un banc d'essai : mettez-les en fonctions et journalisez les résultats.",
    "generic.explanation": "Le code ci-dessous interroge le modèle sur cet objectif via ask(), pour voir sa réponse à côté de l'explication.",
    "generic.intro.0": "Demandez au modèle comment il aborderait cette étape.",
    "generic.intro.1": "Demandez un exemple concret et chronométrez la requête.",
    "generic.callout": "Cette étape a été planifiée par un autre professeur ; le professeur de démonstration la remplit d'un exercice générique.",
    "generic.takeaway": "Interroger le modèle est une première vérification rapide, pas un substitut aux tests.",
    "configure.title": "Configurer le client",
    "configure.goal": "Diriger le client OpenAI vers un point d'accès qui sert {model} et vérifier les réglages.",
    "configure.point.0": "OPENAI_BASE_URL choisit un serveur hébergé ou local",
    "configure.point.1": "Les clés viennent de l'environnement, jamais du notebook",
    "configure.objective": "Configurer un client compatible OpenAI pour {model} à partir de variables d'environnement",
    "configure.explanation": (
        "Toutes les requêtes de ce manuel passent par `ask()`, défini dans la cellule de configuration du"
        " fournisseur. Il lit `OPENAI_BASE_URL`, `OPENAI_API_KEY` et `ALAIN_MODEL` dans l'environnement : le même"
        " notebook fonctionne avec une API hébergée ou un serveur local vLLM, Ollama ou llama.cpp. {facts} Avant"
        " tout envoi, affichez ce que le client va utiliser."
    ),
    "configure.intro.0": "Affichez le point d'accès et le modèle qu'utilisera `ask()`.",
    "configure.intro.1": "Vérifiez que le point d'accès liste le modèle (ignoré sans client).",
    "configure.intro.2": "Voyez quels réglages viennent de l'environnement, sans afficher leurs valeurs.",
    "configure.callout.kind": "warning",
    "configure.callout": "Ne collez jamais de clé d'API dans une cellule : les notebooks se partagent et les clés fuient.",
    "configure.takeaway": "La configuration vit dans les variables d'environnement : le notebook ne contient aucun secret.",
    "first_request.title": "Envoyer une première requête à {model}",
    "first_request.goal": "Envoyer un prompt à {model} et lire la réponse.",
    "first_request.point.0": "Un prompt court et simple est le meilleur premier test",
    "first_request.point.1": "Un message système oriente le ton et le format",
    "first_request.objective": "Envoyer des prompts à {model} et orienter les réponses avec un message système",
    "first_request.explanation": (
        "Commencez par une question courte et simple : elle montre que le point d'accès, le nom du modèle et la"
        " clé fonctionnent. `ask()` renvoie le texte de la réponse ; afficher aussi sa longueur montre tout de"
        " suite si le serveur l'a coupée. {size}"
    ),
    "first_request.intro.0": "Posez une question et affichez la réponse avec sa longueur.",
    "first_request.intro.1": "Ajoutez un message système pour orienter le ton et le format de la réponse.",
    "first_request.intro.2": "Chronométrez une requête minimale pour connaître le coût fixe d'un appel.",
    "first_request.callout.kind": "tip",
    "first_request.callout": "Si la réponse s'arrête en pleine phrase, augmentez max_tokens : le serveur a atteint la limite.",
    "first_request.takeaway": "Un prompt court vérifie toute la chaîne : point d'accès, nom du modèle, clé et réponse.",
    "task_chat.title": "Donner une tâche claire au modèle",
    "task_chat.goal": "Écrire une instruction au format de réponse fixe et la réutiliser sur plusieurs entrées.",
    "task_chat.point.0": "Un format de réponse fixe rend les réponses faciles à vérifier",
    "task_chat.point.1": "Une fonction transforme un prompt en outil réutilisable",
    "task_chat.objective": "Transformer un prompt en fonction de tâche réutilisable et vérifiable",
    "task_chat.explanation": (
        "{subject} est un modèle génératif : la tâche tient entièrement dans le prompt. Une instruction qui fixe"
        " le format de réponse (un mot parmi une courte liste) rend chaque réponse vérifiable par le code. Ici, la"
        " tâche est de classer le sentiment de courts avis."
    ),
    "task_chat.intro.0": "Définissez l'instruction et les exemples, puis traitez le premier exemple.",
    "task_chat.intro.1": "Mettez le modèle de prompt dans une fonction et appliquez-la à chaque exemple.",
    "task_chat.intro.2": "Envoyez trois fois la même entrée pour vérifier la stabilité des réponses.",
    "task_chat.callout.kind": "tip",
    "task_chat.callout": "Listez les réponses permises dans l'instruction : des étiquettes libres se comparent mal.",
    "task_chat.takeaway": "Un format de sortie fixe fait d'un modèle conversationnel un composant testable.",
    "task_translation.title": "Traduire entre paires de langues",
    "task_translation.goal": "Traduire de courts textes avec {model} et réutiliser l'appel pour plusieurs entrées.",
    "task_translation.point.0": "Nommez explicitement la langue cible",
    "task_translation.point.1": "Demandez la traduction seule, sans commentaire",
    "task_translation.objective": "Traduire des textes avec {model} via une fonction réutilisable",
    "task_translation.explanation": (
        "{subject} est étiqueté pour la traduction. Via un point d'accès conversationnel, la paire de langues va"
        " dans l'instruction, et demander la traduction seule garde une sortie propre pour la suite."
    ),
    "task_translation.intro.0": "Définissez l'instruction et les phrases d'exemple, puis traduisez la première.",
    "task_translation.intro.1": "Mettez l'appel dans une fonction et traduisez chaque exemple.",
    "task_translation.intro.2": "Traduisez trois fois la même phrase pour vérifier la stabilité.",
    "task_translation.callout.kind": "note",
    "task_translation.callout": "Vérifiez les langues listées sur la fiche : la qualité chute nettement en dehors.",
    "task_translation.takeaway": "Précisez la langue cible et le format de sortie dans chaque prompt de traduction.",
    "task_summarization.title": "Résumer des textes de longueurs variées",
    "task_summarization.goal": "Résumer de courts textes avec {model} et réutiliser l'appel pour plusieurs entrées.",
    "task_summarization.point.0": "Fixez la longueur du résumé dans l'instruction",
    "task_summarization.point.1": "Comparez les résumés aux faits de la source",
    "task_summarization.objective": "Résumer des textes avec {model} à longueur fixe",
    "task_summarization.explanation": (
        "{subject} est étiqueté pour le résumé. Fixer la longueur dans l'instruction (une phrase) rend les résumés"
        " comparables, et les lire à côté de la source montre si les faits sont conservés."
    ),
    "task_summarization.intro.0": "Définissez l'instruction et deux textes d'exemple, puis résumez le premier.",
    "task_summarization.intro.1": "Mettez l'appel dans une fonction et résumez chaque exemple.",
    "task_summarization.intro.2": "Résumez trois fois le même texte pour vérifier la stabilité.",
    "task_summarization.callout.kind": "warning",
    "task_summarization.callout": "Un résumé peut inventer des faits absents de la source : vérifiez noms et chiffres.",
    "task_summarization.takeaway": "Une longueur fixe et une vérification face à la source rendent les résumés fiables.",
    "task_other.title": "Formuler la tâche {task} en prompt",
    "task_other.title_generic": "Formuler votre tâche en prompt",
    "task_other.goal": "Exprimer la tâche du modèle comme une instruction et l'appliquer à des exemples.",
    "task_other.point.0": "Un point d'accès conversationnel exige une tâche explicite",
    "task_other.point.1": "Des réponses courtes au format fixe se vérifient facilement",
    "task_other.objective": "Exprimer une tâche en prompt avec un format de réponse fixe",
    "task_other.explanation": (
        "{facts} Derrière un point d'accès conversationnel compatible OpenAI, la tâche doit être explicitée dans"
        " l'instruction, avec un format de réponse court et fixe pour que le code puisse vérifier la sortie."
    ),
    "task_other.intro.0": "Définissez l'instruction et les exemples, puis traitez le premier exemple.",
    "task_other.intro.1": "Mettez le modèle de prompt dans une fonction et appliquez-la à chaque exemple.",
    "task_other.intro.2": "Envoyez trois fois la même entrée pour vérifier la stabilité des réponses.",
    "task_other.callout.kind": "note",
    "task_other.callout": "Si votre serveur propose un point d'accès dédié à cette tâche, préférez-le au chat.",
    "task_other.takeaway": "Explicitez la tâche et le format de réponse : le modèle ne peut pas les deviner.",
    "parameters.title": "Régler les paramètres de génération",
    "parameters.goal": "Voir comment température, max_tokens et séquences d'arrêt changent les réponses.",
    "parameters.point.0": "La température échange reproductibilité contre variété",
    "parameters.point.1": "max_tokens plafonne la longueur et le coût",
    "parameters.objective": "Contrôler les réponses avec température, max_tokens et séquences d'arrêt",
    "parameters.explanation": (
        "Les réglages d'échantillonnage changent plus les réponses que la plupart des retouches de prompt. La"
        " température règle l'aléa, `max_tokens` plafonne la longueur (et le coût), et les séquences d'arrêt"
        " terminent une réponse plus tôt. {generation}"
    ),
    "parameters.intro.0": "Comparez le même prompt à deux températures.",
    "parameters.intro.1": "Voyez comment max_tokens plafonne la longueur de la réponse.",
    "parameters.intro.2": "Combinez top_p et une séquence d'arrêt pour terminer plus tôt.",
    "parameters.callout.kind": "tip",
    "parameters.callout": "Température 0 pour les tests et l'extraction ; montez-la seulement pour du texte créatif.",
    "parameters.takeaway": "Fixez les réglages d'échantillonnage avant de juger un prompt : ils pèsent autant.",
    "structured.title": "Demander une sortie JSON structurée",
    "structured.goal": "Obtenir du JSON de {model} et l'analyser de façon robuste.",
    "structured.point.0": "La réponse peut entourer le JSON de texte",
    "structured.point.1": "Validez les clés requises et réessayez en donnant la raison",
    "structured.objective": "Obtenir et valider une sortie JSON structurée de {model}",
    "structured.explanation": (
        "Un programme a besoin de données, pas de prose. Demander du JSON marche mieux avec une liste explicite"
        " de clés, une basse température et un analyseur qui tolère du texte autour de l'objet. Quand des clés"
        " manquent, réessayer en les nommant corrige souvent la réponse."
    ),
    "structured.intro.0": "Demandez un objet JSON et analysez-le prudemment.",
    "structured.intro.1": "Exigez des clés et réessayez une fois en nommant celles qui manquent.",
    "structured.intro.2": "Essayez le mode JSON du serveur, que certains points d'accès proposent.",
    "structured.callout.kind": "warning",
    "structured.callout": "Ne faites pas confiance au JSON analysé : vérifiez types et bornes avant d'utiliser les valeurs.",
    "structured.takeaway": "Demandez des clés explicites, analysez prudemment et validez avant usage.",
    "evaluate.title": "Évaluer les réponses par des contrôles simples",
    "evaluate.goal": "Noter {model} sur un petit jeu de tests avec des contrôles automatiques.",
    "evaluate.point.0": "Un petit jeu de tests repère tôt les régressions",
    "evaluate.point.1": "Le crédit partiel révèle les problèmes de format",
    "evaluate.objective": "Noter des réponses sur un petit jeu de tests automatiques",
    "evaluate.explanation": (
        "Quelques prompts aux réponses connues forment l'évaluation la moins chère qui soit. Les contrôles exacts"
        " repèrent les mauvaises réponses ; le crédit partiel révèle les bonnes réponses noyées dans du texte, un"
        " problème de format plutôt que de connaissances. {sections}"
    ),
    "evaluate.intro.0": "Lancez trois cas aux réponses connues et comptez les réussites.",
    "evaluate.intro.1": "Notez séparément les réponses exactes et partielles.",
    "evaluate.callout.kind": "tip",
    "evaluate.callout": "Gardez le jeu de tests sous gestion de versions et relancez-le à chaque changement.",
    "evaluate.takeaway": "Un petit jeu de tests automatique vaut mieux qu'une lecture à l'œil.",
    "batch.title": "Envoyer des lots et mesurer la latence",
    "batch.goal": "Envoyer plusieurs prompts et mesurer latence et débit.",
    "batch.point.0": "Latence médiane et maximale racontent des choses différentes",
    "batch.point.1": "La concurrence n'aide que dans la limite du serveur",
    "batch.objective": "Mesurer la latence et le débit de requêtes en lot",
    "batch.explanation": (
        "Avant de bâtir sur un modèle, sachez ce que coûte une requête en temps. Chronométrer plusieurs prompts"
        " donne une médiane (cas typique) et un maximum (pire cas) ; en envoyer deux à la fois montre si le"
        " serveur gère la concurrence. {size}"
    ),
    "batch.intro.0": "Chronométrez quatre requêtes une à une et donnez latence médiane et maximale.",
    "batch.intro.1": "Envoyez les mêmes prompts avec deux workers et comparez la durée totale.",
    "batch.intro.2": "Estimez le débit en mots par seconde.",
    "batch.callout.kind": "note",
    "batch.callout": "Les serveurs locaux traitent souvent une requête à la fois : plus de workers ajoute alors de l'attente.",
    "batch.takeaway": "Mesurez la latence avec vos prompts sur votre point d'accès avant de promettre une vitesse.",
    "limits.title": "Gérer les erreurs et respecter la licence",
    "limits.goal": "Réessayer les échecs passagers, limiter la taille des prompts et vérifier la licence.",
    "limits.point.0": "Des reprises avec attente croissante absorbent les échecs passagers",
    "limits.point.1": "La licence décide de ce que vous pouvez construire",
    "limits.objective": "Gérer les échecs passagers et vérifier la licence de {model}",
    "limits.explanation": (
        "Les vrais points d'accès échouent parfois : limites de débit, redémarrages, délais dépassés. Une reprise"
        " avec attente exponentielle en absorbe l'essentiel, et un garde-fou de taille arrête les prompts trop"
        " longs avant qu'ils n'échouent lentement. {license} {quality}"
    ),
    "limits.intro.0": "Enveloppez ask() dans une reprise avec attente exponentielle.",
    "limits.intro.1": "Limitez la taille du prompt et affichez la licence déclarée sur la fiche.",
    "limits.callout.kind": "warning",
    "limits.callout": "Ne réessayez pas une erreur qui ne peut pas réussir plus tard, comme une mauvaise clé ou un modèle inconnu.",
    "limits.takeaway": "Prévoyez les échecs et lisez la licence avant de bâtir sur un modèle.",
}

TEXT["es"] = {
    "and": " y ",
    "fact.task": "está etiquetado para la tarea {task}",
    "fact.library": "se distribuye para la biblioteca {library}",
    "fact.license": "se publica bajo la licencia {license}",
    "fact.params": "tiene unos {params} parámetros",
    "fact.base": "deriva de {base}",
    "fact.none": (
        "{subject} trae pocos metadatos, así que este manual se limita a lo que ofrece cualquier punto de acceso"
        " compatible con OpenAI."
    ),
    "fact.sections": "Su ficha cubre: {sections}.",
    "fact.thin": "La ficha es escasa (puntuación de calidad {score}/100{flags}): compruebe usted mismo cada comportamiento.",
    "fact.generation": "La configuración de generación del repositorio sugiere {settings}: parta de esos valores.",
    "fact.no_generation": "El repositorio no publica ajustes de generación: empiece con una temperatura baja y ajuste.",
    "fact.license_terms": "La ficha declara la licencia {license}: lea sus condiciones antes de publicar algo basado en {model}.",
    "fact.no_license": "La ficha no declara licencia: consulte al editor antes de cualquier uso más allá de pruebas.",
    "fact.size": "Con unos {params} parámetros, la latencia depende mucho del hardware detrás del punto de acceso.",
    "fact.compare_sections": "Compare sus resultados con lo que afirman las secciones de la ficha ({sections}).",
    "title": "{model}: manual práctico",
    "overview": (
        "Este manual muestra cómo llamar a {subject} a través de un punto de acceso compatible con OpenAI y"
        " construir a su alrededor pequeños flujos de trabajo comprobados, un paso ejecutable cada vez."
    ),
    "audience.beginner": "Desarrolladores que empiezan a llamar modelos de lenguaje desde Python",
    "audience.intermediate": "Desarrolladores que ya usaron una API de LLM y quieren flujos reproducibles",
    "audience.advanced": "Ingenieros que construyen bancos de evaluación y de servicio alrededor de modelos",
    "prereq.python": "Python 3.9 o posterior en Jupyter, VS Code o Colab",
    "prereq.endpoint": "Un punto de acceso compatible con OpenAI que sirva {model}, alojado o local",
    "prereq.functions": "Soltura con funciones, excepciones y listas por comprensión en Python",
    "trouble.0.problem": "ask() indica que no pudo alcanzar el punto de acceso",
    "trouble.0.fix": "Revise OPENAI_BASE_URL (suele terminar en /v1) y que el servidor esté en marcha; luego vuelva a ejecutar la celda del proveedor.",
    "trouble.1.problem": "El servidor responde 404 o «model not found»",
    "trouble.1.fix": "Asigne a ALAIN_MODEL el nombre exacto que lista el servidor (el paso de configuración lo muestra) y repita.",
    "trouble.2.problem": "Las respuestas no son JSON válido",
    "trouble.2.fix": "Baje la temperatura, muestre un objeto de ejemplo en el prompt y analice con parse_json() del paso JSON.",
    "trouble.gated.problem": "Se rechaza la descarga de los pesos",
    "trouble.gated.fix": "El repositorio es de acceso restringido: acepte sus condiciones en la página del modelo con su cuenta.",
    "exercise.0.title": "Haga su propia pregunta",
    "exercise.0.task": "Sustituya el prompt de la primera petición por una pregunta de su trabajo y compare las respuestas con temperatura 0 y 0.8.",
    "exercise.1.title": "Amplíe el conjunto de pruebas",
    "exercise.1.task": "Añada cinco casos de su dominio a la lista de evaluación e indique la tasa de aciertos de {model}.",
    "exercise.2.title": "Mida un lote realista",
    "exercise.2.task": "Envíe veinte prompts típicos de su caso de uso e indique la latencia mediana, la máxima y la longitud media de las respuestas.",
    "summary": (
        "Configuró un cliente para {subject}, envió las primeras peticiones y recorrió {steps} pasos breves:"
        " controlar la generación, pedir salida estructurada, comprobar respuestas y medir el tiempo. Cada paso"
        " es un patrón que puede llevar a su propio código."
    ),
    "next.0": "Convierta los casos de evaluación en una prueba de regresión para cada cambio de modelo",
    "next.1": "Compare {model} con un segundo modelo con los mismos prompts y pruebas",
    "next.2": "Vuelva a leer la ficha del modelo y anote las afirmaciones que ya puede comprobar",
    "q.base_url": "¿Qué variable de entorno dirige el notebook a un servidor local como vLLM u Ollama?",
    "a.base_url": "OPENAI_BASE_URL fija el punto de acceso; ALAIN_MODEL nombra el modelo y OPENAI_API_KEY guarda la clave.",
    "q.temperature": "¿Qué efecto tiene una temperatura de 0 en las respuestas de {model}?",
    "o.temperature.0": "Las hace tan repetibles como permita el servidor",
    "o.temperature.1": "Las hace el doble de largas",
    "o.temperature.2": "Desactiva el mensaje de sistema",
    "a.temperature": "La temperatura regula el azar del muestreo; con 0 ganan los tokens más probables.",
    "q.task": "¿Para qué tarea está etiquetado {model} en su ficha?",
    "a.task": "La etiqueta de la ficha es {task}; las otras opciones corresponden a otros tipos de modelos.",
    "q.secret": "¿Dónde debe guardarse la clave de API del punto de acceso?",
    "o.secret.0": "En una variable de entorno o un gestor de secretos",
    "o.secret.1": "En una celda de código del notebook",
    "o.secret.2": "Dentro del texto del prompt",
    "a.secret": "Una clave en una celda o un prompt acaba en archivos compartidos; el entorno la mantiene fuera.",
    "q.json": "¿Por qué el manual analiza las respuestas JSON con cautela?",
    "o.json.0": "El modelo puede rodear el JSON de texto o devolver JSON inválido",
    "o.json.1": "Analizar JSON es más lento que leer texto",
    "o.json.2": "El cliente no puede enviar peticiones JSON",
    "a.json": "Un modelo predice texto: nada obliga a un JSON válido si el servidor no restringe la decodificación.",
    "q.license": "¿Bajo qué licencia se publica {model} según su ficha?",
    "a.license": "La ficha declara {license}; lea sus condiciones antes de publicar algo basado en el modelo.",
    "q.no_license": "La ficha de {model} no declara licencia. ¿Qué debe hacer antes de usarlo en un producto?",
    "o.no_license.0": "Pedir las condiciones al editor",
    "o.no_license.1": "Suponer que es de dominio público",
    "o.no_license.2": "Usarlo solo con temperatura 0",
    "a.no_license": "Sin licencia no se concede ningún uso por defecto; solo el editor puede concederlo.",
    "section.prereq.first": "Las celdas de instalación y de configuración del proveedor se han ejecutado",
    "section.prereq.previous": "Paso {n} completado",
    "style.beginner": "Ejecute las celdas en orden y lea cada salida antes de seguir.",
    "style.intermediate": "Cambie un valor cada vez y vuelva a ejecutar la celda para ver su efecto.",
    "style.advanced": "Trate estas celdas como el esqueleto de un banco de pruebas: conviértalas en funciones y registre los resultados.",
    "generic.explanation": "El código siguiente pregunta al modelo por este objetivo mediante ask(), para ver su respuesta junto a la explicación.",
    "generic.intro.0": "Pregunte al modelo cómo abordaría este paso.",
    "generic.intro.1": "Pida un ejemplo concreto y mida el tiempo de la petición.",
    "generic.callout": "Este paso lo planificó otro profesor; el profesor de demostración lo rellena con un ejercicio genérico.",
    "generic.takeaway": "Preguntar al propio modelo es una primera comprobación rápida, no un sustituto de las pruebas.",
    "configure.title": "Configurar el cliente",
    "configure.goal": "Dirigir el cliente de OpenAI a un punto de acceso que sirva {model} y revisar los ajustes.",
    "configure.point.0": "OPENAI_BASE_URL elige un servidor alojado o local",
    "configure.point.1": "Las claves vienen del entorno, nunca del notebook",
    "configure.objective": "Configurar un cliente compatible con OpenAI para {model} desde variables de entorno",
    "configure.explanation": (
        "Todas las peticiones de este manual pasan por `ask()`, definido en la celda de configuración del"
        " proveedor. Lee `OPENAI_BASE_URL`, `OPENAI_API_KEY` y `ALAIN_MODEL` del entorno, así que el mismo"
        " notebook funciona con una API alojada o con un servidor local vLLM, Ollama o llama.cpp. {facts} Antes"
        " de enviar nada, muestre lo que usará el cliente."
    ),
    "configure.intro.0": "Muestre el punto de acceso y el modelo que usará `ask()`.",
    "configure.intro.1": "Compruebe que el punto de acceso lista el modelo (se omite sin cliente).",
    "configure.intro.2": "Vea qué ajustes vienen del entorno, sin mostrar sus valores.",
    "configure.callout.kind": "warning",
    "configure.callout": "Nunca pegue una clave de API en una celda: los notebooks se comparten y las claves se filtran.",
    "configure.takeaway": "La configuración vive en variables de entorno, así que el notebook no guarda secretos.",
    "first_request.title": "Enviar una primera petición a {model}",
    "first_request.goal": "Enviar un prompt a {model} y leer la respuesta.",
    "first_request.point.0": "Un prompt corto y sencillo es la mejor primera prueba",
    "first_request.point.1": "Un mensaje de sistema orienta el tono y el formato",
    "first_request.objective": "Enviar prompts a {model} y orientar las respuestas con un mensaje de sistema",
    "first_request.explanation": (
        "Empiece con una pregunta corta y sencilla: demuestra que el punto de acceso, el nombre del modelo y la"
        " clave funcionan. `ask()` devuelve el texto de la respuesta; mostrar también su longitud revela al"
        " momento si el servidor la cortó. {size}"
    ),
    "first_request.intro.0": "Haga una pregunta y muestre la respuesta con su longitud.",
    "first_request.intro.1": "Añada un mensaje de sistema para orientar el tono y el formato.",
    "first_request.intro.2": "Mida una petición mínima para conocer el coste fijo de una llamada.",
    "first_request.callout.kind": "tip",
    "first_request.callout": "Si la respuesta se corta a media frase, suba max_tokens: el servidor llegó al límite.",
    "first_request.takeaway": "Un prompt corto comprueba toda la cadena: punto de acceso, modelo, clave y respuesta.",
    "task_chat.title": "Dar al modelo una tarea clara",
    "task_chat.goal": "Escribir una instrucción con formato de respuesta fijo y reutilizarla con varias entradas.",
    "task_chat.point.0": "Un formato de respuesta fijo facilita la comprobación",
    "task_chat.point.1": "Una función convierte un prompt en una herramienta reutilizable",
    "task_chat.objective": "Convertir un prompt en una función de tarea reutilizable y comprobable",
    "task_chat.explanation": (
        "{subject} es un modelo generativo: la tarea vive entera en el prompt. Una instrucción que fija el formato"
        " de respuesta (una palabra de una lista corta) hace que cada respuesta se pueda comprobar con código."
        " Aquí la tarea es clasificar el sentimiento de reseñas breves."
    ),
    "task_chat.intro.0": "Defina la instrucción y las entradas de ejemplo, y procese la primera.",
    "task_chat.intro.1": "Ponga el patrón en una función y aplíquela a cada ejemplo.",
    "task_chat.intro.2": "Envíe tres veces la misma entrada para comprobar que las respuestas son estables.",
    "task_chat.callout.kind": "tip",
    "task_chat.callout": "Enumere las respuestas permitidas en la instrucción: las etiquetas libres se comparan mal.",
    "task_chat.takeaway": "Un formato de salida fijo convierte un modelo conversacional en un componente comprobable.",
    "task_translation.title": "Traducir entre pares de idiomas",
    "task_translation.goal": "Traducir textos breves con {model} y reutilizar la llamada con varias entradas.",
    "task_translation.point.0": "Nombre explícitamente el idioma de destino",
    "task_translation.point.1": "Pida solo la traducción, sin comentarios",
    "task_translation.objective": "Traducir textos con {model} mediante una función reutilizable",
    "task_translation.explanation": (
        "{subject} está etiquetado para traducción. En un punto de acceso conversacional, el par de idiomas va"
        " en la instrucción, y pedir solo la traducción mantiene la salida limpia para procesarla después."
    ),
    "task_translation.intro.0": "Defina la instrucción y las frases de ejemplo, y traduzca la primera.",
    "task_translation.intro.1": "Ponga la llamada en una función y traduzca cada ejemplo.",
    "task_translation.intro.2": "Traduzca tres veces la misma frase para comprobar la estabilidad.",
    "task_translation.callout.kind": "note",
    "task_translation.callout": "Revise los idiomas de la ficha: la calidad cae mucho fuera de ellos.",
    "task_translation.takeaway": "Indique el idioma de destino y el formato de salida en cada prompt de traducción.",
    "task_summarization.title": "Resumir textos de distinta longitud",
    "task_summarization.goal": "Resumir textos breves con {model} y reutilizar la llamada con varias entradas.",
    "task_summarization.point.0": "Fije la longitud del resumen en la instrucción",
    "task_summarization.point.1": "Compare los resúmenes con los hechos de la fuente",
    "task_summarization.objective": "Resumir textos con {model} con una longitud fija",
    "task_summarization.explanation": (
        "{subject} está etiquetado para resumen. Fijar la longitud en la instrucción (una frase) hace comparables"
        " los resúmenes, y leerlos junto a la fuente muestra si se conservan los hechos."
    ),
    "task_summarization.intro.0": "Defina la instrucción y dos textos de ejemplo, y resuma el primero.",
    "task_summarization.intro.1": "Ponga la llamada en una función y resuma cada ejemplo.",
    "task_summarization.intro.2": "Resuma tres veces el mismo texto para comprobar la estabilidad.",
    "task_summarization.callout.kind": "warning",
    "task_summarization.callout": "Un resumen puede afirmar hechos que no están en la fuente: revise nombres y cifras.",
    "task_summarization.takeaway": "Una longitud fija y el contraste con la fuente hacen fiables los resúmenes.",
    "task_other.title": "Formular la tarea {task} como prompt",
    "task_other.title_generic": "Formular su tarea como prompt",
    "task_other.goal": "Expresar la tarea del modelo como instrucción y aplicarla a entradas de ejemplo.",
    "task_other.point.0": "Un punto de acceso conversacional necesita la tarea explícita",
    "task_other.point.1": "Las respuestas cortas de formato fijo se comprueban fácilmente",
    "task_other.objective": "Expresar una tarea como prompt con un formato de respuesta fijo",
    "task_other.explanation": (
        "{facts} Detrás de un punto de acceso conversacional compatible con OpenAI, la tarea debe explicarse en la"
        " instrucción, con un formato de respuesta corto y fijo para que el código pueda comprobar la salida."
    ),
    "task_other.intro.0": "Defina la instrucción y las entradas de ejemplo, y procese la primera.",
    "task_other.intro.1": "Ponga el patrón en una función y aplíquela a cada ejemplo.",
    "task_other.intro.2": "Envíe tres veces la misma entrada para comprobar que las respuestas son estables.",
    "task_other.callout.kind": "note",
    "task_other.callout": "Si su servidor ofrece un punto de acceso propio para esta tarea, prefiéralo al chat.",
    "task_other.takeaway": "Explique la tarea y el formato de respuesta: el modelo no puede adivinarlos.",
    "parameters.title": "Controlar los parámetros de generación",
    "parameters.goal": "Ver cómo la temperatura, max_tokens y las secuencias de parada cambian las respuestas.",
    "parameters.point.0": "La temperatura cambia repetibilidad por variedad",
    "parameters.point.1": "max_tokens limita la longitud y el coste",
    "parameters.objective": "Controlar las respuestas con temperatura, max_tokens y secuencias de parada",
    "parameters.explanation": (
        "Los ajustes de muestreo cambian las respuestas más que la mayoría de retoques del prompt. La temperatura"
        " regula el azar, `max_tokens` limita la longitud (y el coste) y las secuencias de parada terminan antes"
        " una respuesta. {generation}"
    ),
    "parameters.intro.0": "Compare el mismo prompt con dos temperaturas.",
    "parameters.intro.1": "Vea cómo max_tokens limita la longitud de la respuesta.",
    "parameters.intro.2": "Combine top_p con una secuencia de parada para terminar antes.",
    "parameters.callout.kind": "tip",
    "parameters.callout": "Use temperatura 0 para pruebas y extracción; súbala solo para texto creativo.",
    "parameters.takeaway": "Fije los ajustes de muestreo antes de juzgar un prompt: influyen igual que él.",
    "structured.title": "Pedir salida JSON estructurada",
    "structured.goal": "Obtener JSON de {model} y analizarlo de forma robusta.",
    "structured.point.0": "La respuesta puede rodear el JSON de texto",
    "structured.point.1": "Valide las claves requeridas y reintente indicando el motivo",
    "structured.objective": "Obtener y validar salida JSON estructurada de {model}",
    "structured.explanation": (
        "Un programa necesita datos, no prosa. Pedir JSON funciona mejor con una lista explícita de claves, una"
        " temperatura baja y un analizador que tolere texto alrededor del objeto. Cuando faltan claves, reintentar"
        " nombrándolas suele corregir la respuesta."
    ),
    "structured.intro.0": "Pida un objeto JSON y analícelo con cautela.",
    "structured.intro.1": "Exija claves y reintente una vez nombrando las que faltan.",
    "structured.intro.2": "Pruebe el modo JSON del servidor, que algunos puntos de acceso admiten.",
    "structured.callout.kind": "warning",
    "structured.callout": "No confíe a ciegas en el JSON analizado: compruebe tipos y rangos antes de usar los valores.",
    "structured.takeaway": "Pida claves explícitas, analice con cautela y valide antes de usar.",
    "evaluate.title": "Evaluar respuestas con comprobaciones simples",
    "evaluate.goal": "Puntuar {model} en un pequeño conjunto de pruebas automáticas.",
    "evaluate.point.0": "Un conjunto pequeño detecta regresiones pronto",
    "evaluate.point.1": "El crédito parcial revela problemas de formato",
    "evaluate.objective": "Puntuar respuestas en un pequeño conjunto de pruebas automáticas",
    "evaluate.explanation": (
        "Unos pocos prompts con respuestas conocidas son la evaluación más barata que existe. Las comprobaciones"
        " exactas detectan respuestas erróneas; el crédito parcial revela respuestas correctas enterradas en"
        " texto extra, un problema de formato más que de conocimiento. {sections}"
    ),
    "evaluate.intro.0": "Ejecute tres casos con respuestas conocidas y cuente los aciertos.",
    "evaluate.intro.1": "Puntúe por separado las respuestas exactas y las parciales.",
    "evaluate.callout.kind": "tip",
    "evaluate.callout": "Guarde el conjunto de pruebas en control de versiones y repítalo con cada cambio.",
    "evaluate.takeaway": "Un pequeño conjunto de pruebas automáticas es mejor que leer respuestas a ojo.",
    "batch.title": "Enviar lotes y medir la latencia",
    "batch.goal": "Enviar varios prompts y medir latencia y rendimiento.",
    "batch.point.0": "La latencia mediana y la máxima cuentan historias distintas",
    "batch.point.1": "La concurrencia solo ayuda hasta la capacidad del servidor",
    "batch.objective": "Medir la latencia y el rendimiento de peticiones en lote",
    "batch.explanation": (
        "Antes de construir sobre un modelo, sepa cuánto tiempo cuesta una petición. Medir varios prompts da una"
        " mediana (caso típico) y un máximo (peor caso); enviar dos a la vez muestra si el servidor admite"
        " concurrencia. {size}"
    ),
    "batch.intro.0": "Mida cuatro peticiones una a una e indique la latencia mediana y la máxima.",
    "batch.intro.1": "Envíe los mismos prompts con dos workers y compare el tiempo total.",
    "batch.intro.2": "Estime el rendimiento en palabras por segundo.",
    "batch.callout.kind": "note",
    "batch.callout": "Los servidores locales suelen atender una petición a la vez: más workers solo añaden espera.",
    "batch.takeaway": "Mida la latencia con sus prompts en su punto de acceso antes de prometer velocidad.",
    "limits.title": "Gestionar errores y respetar la licencia",
    "limits.goal": "Reintentar fallos pasajeros, limitar el tamaño del prompt y revisar la licencia.",
    "limits.point.0": "Los reintentos con espera creciente absorben fallos pasajeros",
    "limits.point.1": "La licencia decide lo que puede construir",
    "limits.objective": "Gestionar fallos pasajeros y revisar la licencia de {model}",
    "limits.explanation": (
        "Los puntos de acceso reales fallan a veces: límites de uso, reinicios, tiempos agotados. Un reintento con"
        " espera exponencial absorbe casi todo, y un límite de tamaño detiene los prompts demasiado largos antes"
        " de que fallen lentamente. {license} {quality}"
    ),
    "limits.intro.0": "Envuelva ask() en un reintento con espera exponencial.",
    "limits.intro.1": "Limite el tamaño del prompt y muestre la licencia declarada en la ficha.",
    "limits.callout.kind": "warning",
    "limits.callout": "No reintente errores que no pueden resolverse solos, como una clave errónea o un modelo desconocido.",
    "limits.takeaway": "Prevea los fallos y lea la licencia antes de construir sobre un modelo.",
}
