"""What the demo teacher knows about the subject, and the localized phrases built from it.

Everything here is read from the request context (the research snapshot plus the difficulty and
language asked for) and cleaned once, so the outline, section and code builders can put it into
prose and code without re-checking it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prompts.content_rules import find_placeholders
from providers.demo.texts_en import TEXT_EN
from providers.demo.texts_es import TEXT_ES
from providers.demo.texts_fr import TEXT_FR

# Prose tables by language; a language missing here falls back to English as a whole, and a key
# missing from a table falls back to the English text of that key.
TEXT: dict[str, dict[str, str]] = {"en": TEXT_EN, "fr": TEXT_FR, "es": TEXT_ES}
# Tasks served through a plain chat prompt; an untagged model is treated as one too.
CHAT_TASKS = ("text-generation", "text2text-generation", "conversational", "image-text-to-text")


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
    """The cleaned facts of a request context; missing or odd values fall back to safe defaults."""
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


def phrase(facts: Facts, key: str, /, **values: Any) -> str:
    """The text of `key` in the subject's language, with the subject's names filled in."""
    table = TEXT[facts.lang]
    text = table.get(key, TEXT["en"][key])
    return text.format(model=facts.short, subject=facts.subject, task=facts.task, **values)


def _join(facts: Facts, items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + phrase(facts, "and") + items[-1]


def facts_sentence(facts: Facts) -> str:
    """One sentence stating what the card declares (task, library, licence, size, base model)."""
    clauses = []
    if facts.task:
        clauses.append(phrase(facts, "fact.task"))
    if facts.library:
        clauses.append(phrase(facts, "fact.library", library=facts.library))
    if facts.license:
        clauses.append(phrase(facts, "fact.license", license=facts.license))
    if facts.params:
        clauses.append(phrase(facts, "fact.params", params=facts.params))
    if facts.base_model:
        clauses.append(phrase(facts, "fact.base", base=facts.base_model))
    if not clauses:
        return phrase(facts, "fact.none")
    sentence = f"{facts.subject} {_join(facts, clauses)}."
    if facts.card_sections:
        sentence += " " + phrase(facts, "fact.sections", sections=", ".join(facts.card_sections))
    return sentence


def quality_sentence(facts: Facts) -> str:
    """A warning about a thin card, or '' when the card is good enough to say nothing."""
    if not facts.thin:
        return ""
    flags = f" ({', '.join(facts.flags)})" if facts.flags else ""
    return phrase(facts, "fact.thin", score=facts.score, flags=flags)
