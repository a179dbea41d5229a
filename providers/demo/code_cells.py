"""The code cells of the demo's steps: plain-Python templates filled with card data.

Cells use only what the notebook's provider cell defines (`ask`, `MODEL`, `BASE_URL`, `DRY_RUN`,
`client`) and the standard library, so they run offline too. Templates hold `__NAME__` markers
that `code_blocks` replaces with `repr()` of card data: a quote or newline in a model name can
never break or extend the code.
"""

from __future__ import annotations

from providers.demo.facts import Facts

# English names of the target languages the translation step may pick from the card.
LANGUAGE_NAMES: dict[str, str] = {
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

# Cells per step kind, in order: the difficulty keeps the first 1, 2 or 3, so later cells may
# build on names defined by earlier ones but never the other way round.
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
