from __future__ import annotations

import re

import pytest

from generation.pipeline.research.card import card_title, parse_card
from generation.pipeline.research.condense import PARTIAL_MARKER, classify_title, condense_card, split_sections
from prompts.tokens import count_tokens
from tests.fakes.hub_server import CARDS_DIR

CARD_FOLDERS = sorted(p.name for p in CARDS_DIR.iterdir() if (p / "README.md").is_file())


def card_body(folder: str) -> str:
    return parse_card((CARDS_DIR / folder / "README.md").read_text(encoding="utf-8")).body


def _title(entry: str) -> str:
    return re.sub(r" \((?:first part, |rest, )?\d+ tokens\)$", "", entry)


# -- front matter ----------------------------------------------------------------------------


def test_it_reads_front_matter_like_huggingface_hub() -> None:
    card = parse_card("\n  ---\nlicense: mit\nlanguage:\n- en\n---\n# Title\nBody\n")
    assert card.has_front_matter
    assert card.front_matter == {"license": "mit", "language": ["en"]}
    assert card.body == "# Title\nBody\n"


def test_it_reads_front_matter_with_windows_line_endings() -> None:
    card = parse_card("---\r\nlicense: mit\r\nmodel_name: Tiny\r\n---\r\n# Title\r\nBody\r\n")
    assert card.front_matter == {"license": "mit", "model_name": "Tiny"}
    assert card.body == "# Title\nBody\n"


def test_text_before_the_first_dashes_means_no_front_matter() -> None:
    text = "![logo](logo.png)\n---\nlicense: mit\n---\n# Title\n"
    card = parse_card(text)
    assert not card.has_front_matter
    assert card.front_matter == {}
    assert card.body == text


def test_a_card_without_front_matter_is_valid() -> None:
    card = parse_card("# Just a title\n\nSome text.\n")
    assert (card.front_matter, card.has_front_matter, card.notes) == ({}, False, [])


def test_broken_yaml_becomes_a_note_not_an_error() -> None:
    card = parse_card("---\nlicense: [mit\n---\n# Title\n")
    assert card.front_matter == {}
    assert card.body == "# Title\n"
    assert "could not be parsed" in card.notes[0]


def test_front_matter_values_become_plain_json() -> None:
    card = parse_card("---\ndate: 2024-01-02\n1: one\n---\nx\n")
    assert card.front_matter == {"date": "2024-01-02", "1": "one"}


def test_a_yaml_alias_bomb_is_refused() -> None:
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 9):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [*{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}]\n"
    bomb += "---\nbody\n"
    card = parse_card(bomb)
    assert card.front_matter == {}
    assert "too large" in card.notes[0]


def test_the_title_is_the_first_level_one_heading_outside_code() -> None:
    body = "```python\n# not a title\n```\n\n## Sub\n\n# The **Real** [Title](http://x)\n"
    assert card_title(body) == "The Real Title"


# -- condensing -----------------------------------------------------------------------------


@pytest.mark.parametrize("folder", CARD_FOLDERS)
def test_a_card_that_fits_is_kept_whole(folder: str) -> None:
    body = card_body(folder)
    text, condensation = condense_card(body, 100_000)
    assert text == body
    assert condensation.method == "none"
    assert condensation.original_tokens == condensation.kept_tokens == count_tokens(body)
    assert condensation.dropped_sections == []


@pytest.mark.parametrize("folder", CARD_FOLDERS)
@pytest.mark.parametrize("budget", [200, 600, 1400])
def test_condensed_cards_stay_within_budget_and_record_what_was_dropped(folder: str, budget: int) -> None:
    body = card_body(folder)
    text, condensation = condense_card(body, budget)
    assert count_tokens(text) == condensation.kept_tokens <= budget
    if condensation.method == "sections-ranked":
        assert condensation.original_tokens > budget
        assert condensation.dropped_sections, "a card that did not fit must say what it dropped"
        for entry in [*condensation.kept_sections, *condensation.dropped_sections]:
            assert re.search(r"\(\D*\d+ tokens\)$", entry), entry


@pytest.mark.parametrize(
    ("folder", "expected_kept"),
    [
        ("google-gemma-3-270m-it", "Intended Usage"),
        ("mistralai-magistral-small-2509", "Usage"),
    ],
)
def test_the_long_cards_keep_their_usage_sections_under_a_small_budget(folder: str, expected_kept: str) -> None:
    body = card_body(folder)
    assert len(body) > 25_000
    _text, condensation = condense_card(body, 800)
    assert condensation.method == "sections-ranked"
    assert condensation.kept_tokens <= 800
    assert expected_kept in [_title(entry) for entry in condensation.kept_sections]
    assert len(condensation.dropped_sections) >= 5
    # Benchmarks and citations go before usage does.
    dropped = " ".join(condensation.dropped_sections)
    assert "Benchmark" in dropped or "Evaluation" in dropped


@pytest.mark.parametrize("folder", ["google-gemma-3-270m-it", "mistralai-magistral-small-2509"])
def test_kept_sections_stay_in_their_original_order(folder: str) -> None:
    body = card_body(folder)
    text, condensation = condense_card(body, 1400)
    full = [s.title for s in split_sections(body)]
    kept = [_title(entry) for entry in condensation.kept_sections]
    positions = [full.index(title) for title in kept]
    assert positions == sorted(positions)
    # A section that was cut says so in the text itself.
    assert any("first part" in entry for entry in condensation.kept_sections) == (PARTIAL_MARKER in text)


@pytest.mark.parametrize("folder", CARD_FOLDERS)
def test_condensing_is_deterministic(folder: str) -> None:
    body = card_body(folder)
    assert condense_card(body, 500) == condense_card(body, 500)


def test_noise_is_removed_and_long_tables_are_shortened_visibly() -> None:
    rows = "\n".join(f"| task {i} | {i} |" for i in range(40))
    body = (
        '# Model\n\n<p align="center"><img src="logo.png"></p>\n'
        "[![badge](https://img.shields.io/x.svg)](https://ci)\n"
        "![inline](data:image/png;base64,AAAA)\n\nIntro text about `<think>` tags.\n\n"
        "## How to use\n\n```python\nprint('<b>kept in code</b>')\n```\n\n"
        f"## Benchmarks\n\n| task | score |\n|---|---|\n{rows}\n\n## Citation\n\n" + "cite " * 300
    )
    text, condensation = condense_card(body, 300)
    assert "<p" not in text and "shields.io" not in text and "base64" not in text
    assert "`<think>`" in text
    assert "print('<b>kept in code</b>')" in text
    assert "more table rows not shown" in text
    assert "task 39" not in text
    assert condensation.dropped_sections == ["Citation (304 tokens)"]


def test_a_card_without_headings_is_cut_at_a_paragraph_with_a_marker() -> None:
    body = "\n\n".join(f"Paragraph {i} " + "word " * 40 for i in range(20))
    text, condensation = condense_card(body, 300)
    assert text.rstrip().endswith(PARTIAL_MARKER)
    assert condensation.kept_tokens <= 300
    assert condensation.kept_sections[0].startswith("(introduction) (first part")
    assert condensation.dropped_sections[0].startswith("(introduction) (rest")


def test_subsections_take_the_kind_of_their_parent() -> None:
    body = "# M\n\n## Usage\n\ntext\n\n### vLLM (recommended)\n\ncode\n\n## Misc\n\n### Other\n\nx\n"
    kinds = {s.title: s.kind for s in split_sections(body)}
    assert kinds["vLLM (recommended)"] == "usage"
    assert kinds["Other"] == "other"
    assert kinds["M"] == "description"


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("How to use", "usage"),
        ("Quickstart", "usage"),
        ("Model description", "description"),
        ("Intended uses & limitations", "intended_uses"),
        ("Limitations and bias", "limitations"),
        ("Training data", "training"),
        ("Evaluation Results", "evaluation"),
        ("License", "license"),
        ("BibTeX entry and citation info", "citation"),
        ("Hardware", "other"),
    ],
)
def test_section_titles_are_ranked_by_a_fixed_table(title: str, kind: str) -> None:
    assert classify_title(title) == kind
