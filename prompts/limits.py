"""Every count and threshold of the notebook contract, in one place.

The prompts, the response schemas, the builder and the validators all read these, so they
cannot drift apart. `check_budget()` proves the token windows fit each other (the original
ALAIN's section window could never fit its notebook budget).
"""

from __future__ import annotations

OBJECTIVES_MIN = 3
OBJECTIVES_MAX = 5
STEPS_MIN = 3
STEPS_MAX = 8
STEPS_DEFAULT = 5
EXERCISES_MIN = 2
EXERCISES_MAX = 3
MCQ_MIN = 4
MCQ_MAX = 6
MCQ_OPTIONS_MIN = 3
MCQ_OPTIONS_MAX = 5
CODE_CELLS_PER_SECTION_MIN = 1
CODE_CELLS_PER_SECTION_MAX = 3
CALLOUTS_PER_SECTION_MAX = 3
TROUBLESHOOTING_MIN = 2
TROUBLESHOOTING_MAX = 5
READING_TIME_MIN_MINUTES = 5
READING_TIME_MAX_MINUTES = 120

# Teacher tokens an attempt at an exercise costs, by its difficulty.
EXERCISE_TOKENS_BY_DIFFICULTY: dict[str, int] = {"easy": 300, "medium": 800, "hard": 1500}

# Share of markdown cells in the notebook (DESIGN.md: between 40% and 70%).
MARKDOWN_SHARE_MIN = 0.40
MARKDOWN_SHARE_MAX = 0.70

# Card text in a section or wrap-up prompt: the plan carries the structure, and a long
# excerpt makes small teachers copy the card into code cells instead of writing code.
SECTION_CARD_TOKENS = 600

# Sizes asked of the teacher in the section prompt, so a reply fits SECTION_MAX_TOKENS
# with room to spare (small teachers otherwise ramble until they are cut off).
SECTION_EXPLANATION_MAX_WORDS = 120
CODE_BLOCK_MAX_LINES = 15

# Validation thresholds.
QUALITY_PASS_MARK = 80  # see generation/pipeline/validators/scoring.py for the score
NOTEBOOK_WARN_BYTES = 5 * 1024 * 1024
NOTEBOOK_MAX_BYTES = 20 * 1024 * 1024
OVERVIEW_MIN_WORDS = 8
STEP_EXPLANATION_MIN_WORDS = 15

# Text length bounds (characters) enforced by the schemas.
TITLE_MAX_CHARS = 120
SHORT_TEXT_MAX_CHARS = 400
PROSE_MAX_CHARS = 4000
CODE_MAX_CHARS = 4000

# Token windows of the replies. The whole notebook's generated text is at most
# OUTLINE_MAX_TOKENS + WRAPUP_MAX_TOKENS + STEPS_MAX * SECTION_MAX_TOKENS, which must stay
# within NOTEBOOK_TOKEN_BUDGET.
OUTLINE_MAX_TOKENS = 1000
WRAPUP_MAX_TOKENS = 1800
SECTION_MAX_TOKENS = 1400
NOTEBOOK_TOKEN_BUDGET = 16000
# Room reserved for the research excerpt in a prompt, sized so that the smallest supported
# teacher context (4096 tokens) holds instructions + excerpt + reply.
PROMPT_INSTRUCTIONS_TOKENS = 900
MIN_TEACHER_CONTEXT_TOKENS = 4096


def research_excerpt_budget(context_tokens: int, reply_tokens: int) -> int:
    """Tokens of research text a prompt may carry for a teacher with this context window."""
    return max(200, context_tokens - reply_tokens - PROMPT_INSTRUCTIONS_TOKENS)


def check_budget() -> list[str]:
    """Return the contradictions between these numbers (empty when they fit together)."""
    problems = []
    if OUTLINE_MAX_TOKENS + WRAPUP_MAX_TOKENS + STEPS_MAX * SECTION_MAX_TOKENS > NOTEBOOK_TOKEN_BUDGET:
        problems.append("outline + wrap-up + STEPS_MAX sections exceed NOTEBOOK_TOKEN_BUDGET")
    for reply in (OUTLINE_MAX_TOKENS, WRAPUP_MAX_TOKENS, SECTION_MAX_TOKENS):
        if reply + PROMPT_INSTRUCTIONS_TOKENS + 200 > MIN_TEACHER_CONTEXT_TOKENS:
            problems.append(f"a {reply}-token reply does not fit a {MIN_TEACHER_CONTEXT_TOKENS}-token context")
    for reply in (WRAPUP_MAX_TOKENS, SECTION_MAX_TOKENS):
        if reply + PROMPT_INSTRUCTIONS_TOKENS + SECTION_CARD_TOKENS > MIN_TEACHER_CONTEXT_TOKENS:
            problems.append(f"a {reply}-token reply and the card excerpt do not fit a small teacher's context")
    if not (0 < MARKDOWN_SHARE_MIN < MARKDOWN_SHARE_MAX < 1):
        problems.append("markdown share bounds are not an interval inside (0, 1)")
    if STEPS_DEFAULT < STEPS_MIN or STEPS_DEFAULT > STEPS_MAX:
        problems.append("STEPS_DEFAULT lies outside [STEPS_MIN, STEPS_MAX]")
    return problems
