"""A hostile model card, and hostile generated text, render inert on every page that shows them.

The card carries `<script>`, `onerror=` and `javascript:` payloads; the teacher (the demo teacher
with payloads added to its replies, as a compromised or prompt-injected teacher would) writes
them into the title, objectives, explanations and code cells. Every payload sets
`window.__pwned`: it must stay undefined, no dialog may open, and the Content Security Policy
must not have had to block anything (a blocked script would mean the sanitizer let it through).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from generation.models import RunStatus
from providers.demo import DemoTeacher
from tests.browser.flows import fill_generate_form, follow_run_to_the_end, submit_generate_form
from tests.browser.support import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]

ENDED = re.compile(r"Succeeded|Failed")
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
JS_LINK = "[click me](javascript:window.__pwned=1)"
RAW_JS_LINK = '<a href="javascript:window.__pwned=1">raw link</a>'
SVG = "<svg><animate onbegin=window.__pwned=1 attributeName=x dur=1s>"

HOSTILE_CARD = f"""---
license: apache-2.0
pipeline_tag: text-generation
library_name: transformers
---
# Hostile {SCRIPT} Model

Hostile Model {IMG} is a small language model whose card tries to run script.

## Usage {SVG}

Read the docs: {JS_LINK} or {RAW_JS_LINK}.

```python
print("{SCRIPT}")
```

## Limitations

<iframe src="javascript:window.__pwned=1"></iframe> It is small and makes mistakes.
"""


class HostileTeacher(DemoTeacher):
    """The demo teacher, with script payloads written into the text of its replies."""

    def complete(self, request):
        completion = super().complete(request)
        data = json.loads(completion.text)
        if request.stage == "outline" and "objectives" in data:
            data["title"] = f"Manual {SCRIPT}"[:120]
            data["objectives"][0] = f"{data['objectives'][0]} {IMG}"
            data["overview"] = f"{data['overview']} {JS_LINK} {RAW_JS_LINK}"
        elif "explanation" in data:
            data["explanation"] = f"{data['explanation']}\n\n{SCRIPT}\n\n{IMG} {JS_LINK} {RAW_JS_LINK} {SVG}"
            block = data["code"][0]
            block["intro"] = f"{block['intro']} {IMG}"
            # Outputs must be shown as text too: print a payload, and end on a value whose rich
            # representation is HTML (an execute_result with text/html).
            block["code"] += (
                f"\nprint({SCRIPT!r})\n\n\nclass Shown:\n    def _repr_html_(self):\n"
                f"        return {(SCRIPT + IMG)!r}\n\n\nShown()\n"
            )
        return replace(completion, text=json.dumps(data))


def assert_inert(page, page_log, dialogs: list[str]) -> None:
    assert page.evaluate("window.__pwned") is None, f"a payload ran on {page.url}"
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert dialogs == [], dialogs
    # Nothing hostile reached the DOM as markup: no inline scripts or event handlers, no script links.
    assert page.locator("script:not([src])").count() == 0
    sources = page.eval_on_selector_all("script[src]", "els => els.map(e => e.getAttribute('src'))")
    assert all(src.startswith("/static/") for src in sources), sources
    handlers = page.evaluate(
        """() => [...document.querySelectorAll('*')].flatMap(el =>
              [...el.attributes].filter(a => a.name.startsWith('on')).map(a => el.tagName + ' ' + a.name))"""
    )
    assert handlers == [], handlers
    assert page.locator("a[href^='javascript:' i], iframe, svg animate, img[src='x']").count() == 0
    # The policy never had to step in, on our static files or anywhere else.
    assert page_log.csp_violations() == [], page_log.csp_violations()
    assert page_log.errors == [], page_log.errors


def test_a_hostile_card_and_hostile_generated_text_render_inert(signed_in_page, author, pipeline, page_log):
    page = signed_in_page(author)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    fill_generate_form(page, "text", HOSTILE_CARD, execute=True)
    submit_generate_form(page)
    assert_inert(page, page_log, dialogs)
    run = follow_run_to_the_end(page, pipeline, teacher=HostileTeacher(model="alain-demo"), final=ENDED)
    assert run.status in {RunStatus.SUCCEEDED, RunStatus.FAILED}, run.status
    assert run.versions.exists(), run.error_message
    page.reload()
    assert_inert(page, page_log, dialogs)
    # The run page's preview shows the payloads as text.
    preview = page.locator("section[aria-labelledby='preview-heading']")
    expect(preview.locator(".preview-title")).to_have_text(f"Manual {SCRIPT}")
    expect(preview).to_contain_text(IMG)
    expect(preview).to_contain_text(SCRIPT)

    page.goto(reverse("portal:notebook", args=[run.tutorial_id, 1]))
    assert_inert(page, page_log, dialogs)
    cells = page.locator("ol.cells")
    expect(cells.get_by_text(SCRIPT, exact=False).first).to_be_visible()
    expect(cells.get_by_text(re.compile(re.escape("onerror="))).first).to_be_visible()
    # The markdown link to javascript: is not a link (shown as its source text, or dropped).
    expect(cells.get_by_role("link", name="click me")).to_have_count(0)
    expect(cells.get_by_role("link", name="raw link")).to_have_count(0)

    page.goto(reverse("portal:runs") + "?scope=mine")
    assert_inert(page, page_log, dialogs)


def test_a_hostile_file_name_renders_inert(signed_in_page, author, pipeline, page_log):
    page = signed_in_page(author)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # Chromium percent-encodes quotes in a multipart file name: the payload does without them.
    name = "<img src=x onerror=window.__pwned=1>.md"
    card = {"name": name, "mimeType": "text/markdown", "buffer": b"# Plain card\n\nA small model with a short card.\n"}
    fill_generate_form(page, "file", card)
    submit_generate_form(page)
    assert_inert(page, page_log, dialogs)
    run = follow_run_to_the_end(page, pipeline, final=ENDED)
    assert run.source_ref == name
    assert_inert(page, page_log, dialogs)
    page.reload()
    assert_inert(page, page_log, dialogs)
    # Shown as text where the run page names its source.
    expect(page.locator("dl.facts").first).to_contain_text(f"Uploaded file: {name}")
    page.goto(reverse("portal:runs") + "?scope=mine")
    assert_inert(page, page_log, dialogs)
    page.goto(reverse("portal:notebook", args=[run.tutorial_id, 1]))
    assert_inert(page, page_log, dialogs)
