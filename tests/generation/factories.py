"""Small builders of test data."""

from __future__ import annotations

from typing import Any

from generation.models import Run
from generation.services import RunOptions, RunSource, run_create

SAMPLE_CARD = """---
license: apache-2.0
pipeline_tag: text-generation
library_name: transformers
---
# Tiny Test Model

Tiny Test Model is a small instruction-tuned language model for tests.

## Usage

```python
from transformers import pipeline
pipe = pipeline("text-generation", model="acme/tiny-test-model")
print(pipe("Hello")[0]["generated_text"])
```

## Limitations

It is small and makes mistakes; do not use it for medical advice.

## Training

Trained on public web text.
"""


def make_run(**overrides: Any) -> Run:
    source = overrides.pop("source", RunSource(kind="text", ref="tiny test model", text=SAMPLE_CARD))
    options = {
        "provider": "demo",
        "teacher_model": "alain-demo",
        "difficulty": "beginner",
        "language": "en",
        "research_mode": "standard",
        "max_sections": 4,
        "execute": False,
    }
    options.update(overrides.pop("options", {}))
    run = run_create(source=source, options=RunOptions(**options), subject=overrides.pop("subject", ""))
    for key, value in overrides.items():
        setattr(run, key, value)
    if overrides:
        run.save()
    return run
