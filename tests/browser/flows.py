"""Steps several browser tests take: fill the generate form, follow a run page to its end.

Elements are found the way a person finds them: by role and accessible name or by label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.support import PASSWORD, wait_until

SOURCE_RADIOS = {"hf": "Hugging Face model", "text": "Pasted text", "file": "Uploaded file"}
RUN_PAGE = re.compile(r"/runs/[a-z0-9-]+/$")
# The run page polls every 2 s; the pipeline takes a few seconds more with execution.
RUN_END_TIMEOUT_MS = 60_000

CARD = """---
license: apache-2.0
pipeline_tag: text-generation
library_name: transformers
---
# Tiny Browser Model

Tiny Browser Model is a small instruction-tuned language model used by the browser tests.

## Usage

```python
from transformers import pipeline
pipe = pipeline("text-generation", model="acme/tiny-browser-model")
print(pipe("Hello")[0]["generated_text"])
```

## Limitations

It is small and makes mistakes; do not use it for medical advice.

## Training

Trained on public web text.
"""


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real form: fields found by their labels, the button by its name."""
    page.goto(reverse("accounts:login"))
    page.get_by_label(re.compile(r"^Username:?$")).fill(username)
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def source_input(page, kind: str):
    if kind == "hf":
        return page.get_by_role("textbox", name=re.compile(r"^Hugging Face model"))
    if kind == "text":
        return page.get_by_label(re.compile(r"^Model card text"))
    return page.get_by_label(re.compile(r"^Model card file"))


def fill_generate_form(
    page, kind: str, value: Any, *, execute: bool = False, max_sections: int = 3, team: str | None = None
) -> None:
    """Open Generate and fill it with the mouse-free Playwright actions (fill, check, select)."""
    page.goto(reverse("portal:generate"))
    page.get_by_role("radio", name=SOURCE_RADIOS[kind], exact=True).check()
    field_ = source_input(page, kind)
    expect(field_).to_be_visible()  # portal.js shows only the chosen source's input
    if kind == "file":
        field_.set_input_files(value)
    else:
        field_.fill(value)
    page.get_by_label(re.compile(r"^Maximum sections")).fill(str(max_sections))
    execute_box = page.get_by_role("checkbox", name=re.compile(r"^Execute the notebook"))
    execute_box.set_checked(execute)
    if team is not None:
        page.get_by_label(re.compile(r"^Team")).select_option(label=team)


def submit_generate_form(page) -> None:
    page.get_by_role("button", name="Queue the manual").click()
    page.wait_for_url(RUN_PAGE)


@dataclass
class PollLog:
    """Status codes of the run page's htmx polls (`/progress/`), in order."""

    statuses: list[int] = field(default_factory=list)

    def on_response(self, response: Any) -> None:
        if response.url.rstrip("/").endswith("/progress"):
            self.statuses.append(response.status)


def follow_run_to_the_end(page, pipeline, *, teacher=None, final: str | re.Pattern = "Succeeded"):
    """On the run page of a queued run: run it, and watch htmx polling show it to its end.

    Returns the finished run. The page is never reloaded: only its polls can show the end.
    """
    polls = PollLog()
    page.on("response", polls.on_response)
    live = page.locator("#run-live")
    status = page.locator("#run-live .run-status")
    expect(status).to_contain_text("Queued")
    expect(live).to_have_attribute("hx-trigger", re.compile(r"every \d+s"))

    run = pipeline.run(teacher=teacher)

    expect(status).to_contain_text(final, timeout=RUN_END_TIMEOUT_MS)
    expect(status).to_contain_text(f"{len(run.completed_stages)} of 8 stages done")
    # Polling stops: the last answer is htmx's "stop polling" (286) and carries no trigger.
    wait_until(
        lambda: polls.statuses and polls.statuses[-1] == 286,
        timeout=10,
        sleep=lambda s: page.wait_for_timeout(s * 1000),
        message=f"the run page's polls never got the final 286 answer: {polls.statuses}",
    )
    expect(live).not_to_have_attribute("hx-trigger", re.compile(r"."))
    assert all(code in (200, 286) for code in polls.statuses), polls.statuses
    return run
