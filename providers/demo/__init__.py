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

Layout: `teacher` (the Teacher subclass), `facts` (what the context says about the subject),
`outline` and `sections` (the two replies), `code_cells` (the code templates) and
`texts_en` / `texts_fr` / `texts_es` (the prose tables). The catalog loads the teacher as
`providers.demo.DemoTeacher`, so that path is re-exported here.
"""

from __future__ import annotations

from providers.demo.outline import demo_outline
from providers.demo.sections import demo_section
from providers.demo.teacher import DemoTeacher

__all__ = ["DemoTeacher", "demo_outline", "demo_section"]
