from __future__ import annotations

import pytest

from generation.pipeline.research.card import parse_card
from generation.pipeline.research.quality import score_card
from tests.fakes.hub_server import CARDS_DIR


def score_folder(folder: str):
    card = parse_card((CARDS_DIR / folder / "README.md").read_text(encoding="utf-8"))
    return score_card(card.body, card.front_matter, has_front_matter=card.has_front_matter)


def test_the_one_kilobyte_opus_mt_card_is_thin_and_flagged() -> None:
    quality = score_folder("helsinki-nlp-opus-mt-en-fr")
    assert quality.thin
    assert quality.score < 45
    assert quality.flags[0].startswith("Thin card:")
    assert "no usage section and no code example" in " ".join(quality.flags)
    assert quality.signals["sections"]["usage"] is False
    assert quality.signals["code_blocks"] == 0


@pytest.mark.parametrize(
    "folder",
    [
        "openai-gpt-oss-120b",
        "qwen-qwen3-0-6b",
        "google-gemma-3-270m-it",
        "mistralai-magistral-small-2509",
        "facebook-opt-125m",
    ],
)
def test_rich_cards_are_not_thin(folder: str) -> None:
    quality = score_folder(folder)
    assert not quality.thin
    assert quality.score >= 70
    assert quality.signals["sections"]["usage"]
    assert quality.signals["code_blocks"] >= 1
    assert quality.signals["front_matter"]


def test_rich_cards_score_higher_than_thin_ones() -> None:
    thin = score_folder("helsinki-nlp-opus-mt-en-fr").score
    for folder in ("openai-gpt-oss-120b", "qwen-qwen3-0-6b"):
        assert score_folder(folder).score > thin + 30


def test_signals_record_what_the_score_is_made_of() -> None:
    quality = score_folder("facebook-opt-125m")
    assert set(quality.signals) == {
        "body_tokens",
        "sections",
        "front_matter",
        "front_matter_fields",
        "code_blocks",
        "auto_generated_notice",
        "more_information_needed",
        "optional_placeholders",
    }
    assert quality.signals["sections"]["limitations"] is True
    assert quality.signals["sections"]["citation"] is True
    assert "license" in quality.signals["front_matter_fields"]


AUTO_GENERATED = """---
library_name: transformers
tags: []
---

# Model Card for Model ID

<!-- Provide a quick summary of what the model is/does. -->

This model card has been automatically generated.

## Model Details

### Model Description

- **Developed by:** [More Information Needed]
- **Funded by [optional]:** [More Information Needed]
- **Shared by [optional]:** [More Information Needed]
- **Model type:** [More Information Needed]
- **Language(s) (NLP):** [More Information Needed]
- **License:** [More Information Needed]
- **Finetuned from model [optional]:** [More Information Needed]

## Uses

### Direct Use

[More Information Needed]

## Bias, Risks, and Limitations

[More Information Needed]

## How to Get Started with the Model

Use the code below to get started with the model.

[More Information Needed]

## Training Details

[More Information Needed]

## Evaluation

[More Information Needed]
"""


def test_an_unfilled_template_card_is_thin_despite_its_headings() -> None:
    card = parse_card(AUTO_GENERATED)
    quality = score_card(card.body, card.front_matter, has_front_matter=card.has_front_matter)
    assert quality.thin
    assert quality.signals["auto_generated_notice"] == 1
    assert quality.signals["more_information_needed"] >= 10
    assert quality.signals["optional_placeholders"] == 3
    assert any("auto-generated" in flag for flag in quality.flags)


def test_an_empty_card_scores_zero_and_is_thin() -> None:
    quality = score_card("", {}, has_front_matter=False)
    assert (quality.score, quality.thin) == (0, True)
