"""Secrets: API keys, tokens and private keys in cells, their outputs and the notebook metadata.

Three detectors, strongest first (a string found by one is not reported again by the next):

1. Known formats (`KNOWN_FORMATS`): OpenAI/Anthropic `sk-...`, Hugging Face `hf_...`, AWS access
   key ids and (by name) secret access keys, GitHub `ghp_`/`github_pat_`, Slack tokens and
   webhooks, Google `AIza...`, JWTs, `-----BEGIN ... PRIVATE KEY-----` blocks. Errors.
2. Credential assignments: a literal of at least ASSIGNED_MIN_CHARS characters, with Shannon
   entropy of at least ASSIGNED_MIN_ENTROPY bits per character, given to a credential-like
   name (`api_key`, `HF_TOKEN`, `"password":`, `POE_API_KEY`: Poe keys have no prefix). Errors.
3. Random-looking tokens: any run of at least TOKEN_MIN_CHARS base64/url-safe characters that
   mixes upper case, lower case and digits, has entropy of at least TOKEN_MIN_ENTROPY and is not
   split by `-`, `_` or `/` into short words (slugs, paths, model ids). Warnings.

Hex-only strings (git commit ids, sha256 digests, UUIDs) are digests, not keys: they are reported
only when assigned to a credential name. Binary outputs (images) are not scanned.

Findings never repeat a secret, only its first four characters and its length. A literal a code
cell assigns to a credential variable is fixable: the auto-fix replaces it with an environment
lookup. Anything in markdown or an output has to be removed by hand, and the key revoked.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass

import nbformat

from generation.pipeline.autofix import SECRET_ASSIGNMENT
from generation.pipeline.validators import FindingData, validator
from generation.pipeline.validators.layout import cell_ref, readable

NAME = "secrets"
ASSIGNED_MIN_CHARS = 12
ASSIGNED_MIN_ENTROPY = 3.0
TOKEN_MIN_CHARS = 32
TOKEN_MIN_ENTROPY = 4.2
TOKEN_MIN_SEGMENT = 16

KNOWN_FORMATS: dict[str, tuple[str, re.Pattern[str]]] = {
    "anthropic-key": ("an Anthropic API key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}")),
    "openai-key": (
        "an OpenAI API key",
        re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?(?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{20,}"),
    ),
    "huggingface-token": ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}")),
    "aws-access-key": ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    "aws-secret-key": (
        "an AWS secret access key",
        re.compile(r"(?i)aws_?secret_?(?:access_?)?key\W{0,6}([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"),
    ),
    "github-token": (
        "a GitHub token",
        re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{50,}"),
    ),
    "slack-token": (
        "a Slack token",
        re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}|https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}"),
    ),
    "google-api-key": ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    "stripe-key": ("a Stripe live key", re.compile(r"\b(?:sk|rk)_live_[A-Za-z0-9]{20,}")),
    "jwt": ("a JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")),
    "private-key": ("a private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
}
# Text each known format cannot match without (for a case-insensitive pattern, in lower case:
# looked up in the lower-cased text).
# Looking for them first spares running every pattern over a whole notebook, which cost more
# than every other validator together.
_KNOWN_ANCHORS: dict[str, tuple[str, ...]] = {
    "anthropic-key": ("sk-ant-",),
    "openai-key": ("sk-",),
    "huggingface-token": ("hf_",),
    "aws-access-key": ("AKIA", "ASIA"),
    "aws-secret-key": ("aws",),
    "github-token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "slack-token": ("xox", "https://hooks.slack.com/"),
    "google-api-key": ("AIza",),
    "stripe-key": ("_live_",),
    "jwt": ("eyJ",),
    "private-key": ("-----BEGIN",),
}
# NAME = "value", NAME: str = "value", "name": "value", name="value", os.environ["NAME"] = "value".
# The lookbehind only skips starts inside a name, which can never match where the name's own
# start did not (and is three times faster on prose).
_ASSIGNMENT = re.compile(
    r"(?<![A-Za-z_])(?P<name>[A-Za-z_][\w.-]*)[\"']?\]?\s*(?::\s*[A-Za-z_][\w\[\], .|]*\s*)?(?:=|:|:=)\s*[rRbBuU]{0,2}"
    r"(?P<q>[\"'])(?P<value>[^\"'\n]{8,300})(?P=q)"
)
_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_-]{32,}={0,2}(?![A-Za-z0-9+/_=-])")
_HEX = re.compile(r"[0-9a-fA-F]+")
_CREDENTIAL_LAST_WORDS = {
    "token", "secret", "password", "passwd", "pwd", "passphrase", "apikey", "credential", "credentials",
    "authorization", "pat",
}  # fmt: skip
_KEY_QUALIFIERS = {
    "api", "access", "secret", "private", "auth", "client", "app", "account", "service", "signing",
    "encryption", "session", "openai", "hf", "poe", "anthropic", "groq", "together", "mistral", "cohere", "gemini",
}  # fmt: skip
# pad_token = "<pad>", eos_token = "</s>": tokenizer vocabulary, not credentials.
_NOT_CREDENTIAL_QUALIFIERS = {
    "pad", "eos", "bos", "unk", "sep", "cls", "mask", "special", "start", "end", "stop", "image", "audio",
    "video", "sos", "eot", "begin", "user", "assistant", "system", "placeholder", "chat", "decoder", "default",
}  # fmt: skip
_OUTPUT_TEXT_MIMES = ("text/", "application/json", "application/javascript")


@dataclass(frozen=True)
class SecretMatch:
    code: str
    description: str
    value: str
    start: int
    end: int
    severity: str = "error"


def shannon_entropy(text: str) -> float:
    """Bits per character of `text`'s character distribution."""
    if not text:
        return 0.0
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def mask(secret: str) -> str:
    """What a finding may show of a secret: its first four characters and its length."""
    if secret.startswith("-----BEGIN"):
        return secret  # only the header line of a key block is ever matched
    return f"{secret[:4]}…({len(secret)} chars)"


def _name_words(name: str) -> list[str]:
    name = name.rsplit(".", 1)[-1]
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [word for word in re.split(r"[_\-\s]+", spaced.lower()) if word]


def is_credential_variable(name: str) -> bool:
    """True for names that hold credentials (`OPENAI_API_KEY`, `hf_token`), not `max_tokens` or `pad_token`."""
    words = _name_words(name)
    if not words:
        return False
    last, before = words[-1], words[-2] if len(words) > 1 else ""
    if last in _CREDENTIAL_LAST_WORDS:
        return before not in _NOT_CREDENTIAL_QUALIFIERS
    return last == "key" and (before in _KEY_QUALIFIERS or "api" in words)


def is_dummy_value(value: str) -> bool:
    """Empty, templated or made of words only ("EMPTY", "not-needed", "<your key>", "sk-xxxx"): no secret."""
    value = value.strip()
    if not value or value.startswith(("<", "{", "$", "%(")) or "://" in value:
        return True
    return bool(re.fullmatch(r"[A-Za-z]+(?:[ _.\-][A-Za-z]+)*", value)) or len(set(value)) <= 2


# (code, description, pattern, anchors, whether the anchors are looked up in lower case).
_KNOWN_TABLE = [
    (code, description, pattern, _KNOWN_ANCHORS[code], bool(pattern.flags & re.IGNORECASE))
    for code, (description, pattern) in KNOWN_FORMATS.items()
]


def _known(text: str) -> list[SecretMatch]:
    found = []
    lowered = ""
    for code, description, pattern, anchors, ignorecase in _KNOWN_TABLE:
        haystack = text
        if ignorecase:
            haystack = lowered = lowered or text.lower()
        if not any(anchor in haystack for anchor in anchors):
            continue
        for match in pattern.finditer(text):
            group = 1 if match.lastindex else 0
            found.append(SecretMatch(code, description, match.group(group), match.start(group), match.end(group)))
    return found


def _assigned(text: str) -> list[SecretMatch]:
    found = []
    for match in _ASSIGNMENT.finditer(text):
        name, value = match.group("name"), match.group("value")
        if not is_credential_variable(name) or is_dummy_value(value):
            continue
        if value.lower().startswith("bearer "):
            value = value[7:]
        if len(value) < ASSIGNED_MIN_CHARS or any(ch.isspace() for ch in value):
            continue
        if shannon_entropy(value) < ASSIGNED_MIN_ENTROPY:
            continue
        poe = "poe" in _name_words(name)
        code, description = ("poe-key", "a Poe API key") if poe else ("assigned-literal", f"a credential for `{name}`")
        start = match.start("value") + match.group("value").find(value)
        found.append(SecretMatch(code, description, value, start, start + len(value)))
    return found


def looks_random(token: str) -> bool:
    """A long token that mixes cases and digits, is not a slug or path, and is not a hex digest."""
    core = token.rstrip("=")
    if len(core) < TOKEN_MIN_CHARS or _HEX.fullmatch(core):
        return False
    if not (any(c.isdigit() for c in core) and any(c.islower() for c in core) and any(c.isupper() for c in core)):
        return False
    if max(len(segment) for segment in re.split(r"[-_/]", core)) < TOKEN_MIN_SEGMENT:
        return False
    return shannon_entropy(core) >= TOKEN_MIN_ENTROPY


def _random_tokens(text: str) -> list[SecretMatch]:
    return [
        SecretMatch(
            "high-entropy", "a random-looking token (possibly a key)", m.group(0), m.start(), m.end(), "warning"
        )
        for m in _TOKEN.finditer(text)
        if looks_random(m.group(0))
    ]


def find_secrets(text: str) -> list[SecretMatch]:
    """Every secret in `text`, strongest detector first, each span reported once."""
    found: list[SecretMatch] = []
    for detector in (_known, _assigned, _random_tokens):
        for match in detector(text or ""):
            if not any(match.start < other.end and other.start < match.end for other in found):
                found.append(match)
    return sorted(found, key=lambda m: m.start)


def autofixable_secret_values(source: str) -> set[str]:
    """Literals the auto-fix turns into environment lookups (one-line `NAME = "..."` assignments)."""
    return {match["value"] for match in SECRET_ASSIGNMENT.finditer(source or "")}


def _output_texts(cell: nbformat.NotebookNode) -> list[str]:
    texts = []
    for output in cell.get("outputs", []) or []:
        kind = output.get("output_type")
        if kind == "stream":
            texts.append(_as_text(output.get("text", "")))
        elif kind in ("execute_result", "display_data"):
            for mime, value in (output.get("data", {}) or {}).items():
                if mime.startswith(_OUTPUT_TEXT_MIMES) or mime.endswith("+json"):
                    texts.append(_as_text(value))
        elif kind == "error":
            texts.append("\n".join([str(output.get("ename", "")), str(output.get("evalue", ""))]))
            texts.append(_as_text(output.get("traceback", [])))
    return texts


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    return json.dumps(value, ensure_ascii=False)


def _message(where: str, place: str, match: SecretMatch, cell_type: str, fixable: bool) -> str:
    shown = f"{match.description} ({mask(match.value)})"
    if place == "output":
        return (
            f"An output of {where} shows {shown}. Clear the cell's outputs, revoke the key, and never print "
            "credentials."
        )
    if place == "metadata":
        return f"The notebook's metadata holds {shown}. Remove it and revoke the key."
    if cell_type != "code":
        return f"{where} shows {shown} in its text. Delete it and revoke the key: anyone with the notebook can use it."
    fix = (
        " The auto-fix replaces the literal with an environment lookup."
        if fixable
        else ' Replace it with `os.environ["..."]` or `getpass()`.'
    )
    if match.severity == "warning":
        return f"{where} holds {shown}. If it is a credential, revoke it and read it from the environment instead.{fix}"
    return f"{where} holds {shown}. Revoke the key and read it from the environment instead.{fix}"


@validator(NAME)
def check_secrets(nb: nbformat.NotebookNode) -> list[FindingData]:
    nb = readable(nb)
    findings = []
    for index, cell in enumerate(nb.get("cells", [])):
        cell_type = cell.get("cell_type", "")
        places = [("source", cell.get("source", "") or "")] + [("output", text) for text in _output_texts(cell)]
        seen: set[tuple[str, str]] = set()
        fixable_values: set[str] | None = None  # worked out at the cell's first match: most cells have none
        for place, text in places:
            for match in find_secrets(text):
                if (place, match.value) in seen:
                    continue
                seen.add((place, match.value))
                if fixable_values is None:
                    fixable_values = autofixable_secret_values(cell.source) if cell_type == "code" else set()
                fixable = place == "source" and any(match.value in value for value in fixable_values)
                findings.append(
                    FindingData(
                        NAME,
                        f"secret-{match.code}",
                        match.severity,
                        _message(cell_ref(nb, index), place, match, cell_type, fixable),
                        index,
                        fixable,
                    )
                )
    metadata = json.dumps(nb.get("metadata", {}), ensure_ascii=False, default=str)
    for match in find_secrets(metadata):
        findings.append(
            FindingData(NAME, f"secret-{match.code}", match.severity, _message("", "metadata", match, "", False))
        )
    return findings
