"""The one HTTP client for OpenAI-compatible `POST {base_url}/chat/completions`.

It owns everything that is about the wire and not about a particular provider:

- connect/read timeouts, a bounded number of attempts, exponential backoff with full jitter,
  `Retry-After` (seconds or an HTTP date) on 429/503;
- retries on 429, 5xx, timeouts, dropped connections and bodies that are not JSON; permanent
  errors on other 4xx;
- structured-output negotiation: the request's JSON Schema is sent in the best form the
  provider offers, and a server that rejects that form is asked again with the next one at
  once (no backoff, not counted as a transient failure). The form that worked is remembered
  per (provider key, base URL) for the life of the process;
- one `Attempt` per HTTP exchange, all of them carried by the `Completion` or the
  `ProviderError`, with the API key redacted from every message.

A reply cut off at `max_tokens` (`finish_reason == "length"`) is returned as it is: the caller
treats it as a failed attempt and must never "repair" it into valid-looking JSON.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from providers.base import STRUCTURED_MODES, Attempt, Completion, CompletionRequest, ProbeResult, ProviderError

logger = logging.getLogger(__name__)

# The mode recorded for calls without a schema (free text, no negotiation).
TEXT_MODE = "text"

USER_AGENT = "alain-teacher-client/1"

# Words in an error body that show a server complaining about the structured-output form.
# llama-cpp-python answers HTTP 500 with a pydantic message ("Input should be 'text' or
# 'json_object'") to `response_format.type == "json_schema"`.
_FORMAT_REJECTION_HINTS = ("response_format", "json_schema", "json_object", "schema", "input should be")

# How much of an error body is kept in an attempt's error text.
_ERROR_EXCERPT_CHARS = 300


# --- secrets ----------------------------------------------------------------------------------

_REDACTED = "[redacted]"
_KEY_PATTERNS = (
    # "Bearer <token>" wherever it shows up (echoed headers, proxies' error pages).
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"),
    # OpenAI-style keys: sk-..., sk-proj-..., and similar prefixed keys.
    re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{8,}"),
    # key=value / "key": "value" pairs whose name says they hold a secret.
    re.compile(
        r"(?i)((?:api[_-]?key|access[_-]?token|auth[_-]?token|authorization|x-api-key|password|secret)"
        r"[\"']?\s*[:=]\s*[\"']?)[^\s\"',&}]+"
    ),
    # Long random-looking tokens (Poe keys have no prefix): letters and digits mixed, 32+ chars.
    re.compile(r"\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{32,}\b"),
)


def redact(text: str, *, secrets: Iterable[str] = ()) -> str:
    """Remove the given secrets and anything that looks like an API key from `text`."""
    for secret in secrets:
        # Very short "keys" (test values like "x") would shred ordinary words; patterns cover them.
        if secret and len(secret) >= 4:
            text = text.replace(secret, _REDACTED)
    for pattern in _KEY_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.lastindex else "") + _REDACTED, text)
    return text


# --- retry policy -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Timeouts and retry budget of one teacher call."""

    # Attempts that end in a transient failure (format rejections do not count).
    max_attempts: int = 4
    connect_timeout: float = 5.0
    read_timeout: float = 120.0
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    # A server asking us to wait longer than this ends the call at once with `retry_after`
    # set, so the task can come back later instead of holding a worker asleep.
    retry_after_max: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    @classmethod
    def from_settings(cls, config: Mapping[str, Any]) -> RetryPolicy:
        """Build the policy from the `ALAIN` settings dict; missing keys keep the defaults."""
        defaults = cls()
        return cls(
            max_attempts=max(1, int(config.get("HTTP_MAX_ATTEMPTS", defaults.max_attempts))),
            read_timeout=float(config.get("HTTP_TIMEOUT_SECONDS", defaults.read_timeout)),
            backoff_base=float(config.get("HTTP_BACKOFF_BASE_SECONDS", defaults.backoff_base)),
            backoff_max=float(config.get("HTTP_BACKOFF_MAX_SECONDS", defaults.backoff_max)),
        )

    def backoff(self, failure_number: int, rng: random.Random) -> float:
        """Full jitter: a uniform wait between 0 and the capped exponential step.

        Full jitter spreads retries of many workers hit by the same outage, instead of having
        them all come back at the same instant.
        """
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (failure_number - 1)))
        return rng.uniform(0.0, max(0.0, ceiling))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


# --- structured-output negotiation ------------------------------------------------------------

_modes_lock = threading.Lock()
_working_modes: dict[tuple[str, str], str] = {}


def remembered_mode(provider_key: str, base_url: str) -> str | None:
    """The structured-output mode that last worked for this provider and server, if any."""
    with _modes_lock:
        return _working_modes.get((provider_key, base_url.rstrip("/")))


def remember_mode(provider_key: str, base_url: str, mode: str) -> None:
    with _modes_lock:
        _working_modes[(provider_key, base_url.rstrip("/"))] = mode


def forget_modes() -> None:
    """Clear what was learnt about servers (tests; a server that was upgraded)."""
    with _modes_lock:
        _working_modes.clear()


def _schema_name(name: str) -> str:
    # OpenAI requires ^[a-zA-Z0-9_-]{1,64}$ for json_schema.name.
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64]
    return cleaned or "reply"


def response_format_for(mode: str, *, schema: Mapping[str, Any] | None, schema_name: str) -> dict[str, Any] | None:
    """The `response_format` a request carries in `mode`; None when nothing is sent."""
    if schema is None or mode in (TEXT_MODE, "prompt_only"):
        return None
    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": _schema_name(schema_name), "schema": schema, "strict": True},
        }
    if mode == "json_object_schema":
        # llama-cpp-python's own form: it compiles the schema into a grammar.
        return {"type": "json_object", "schema": schema}
    if mode == "json_object":
        return {"type": "json_object"}
    raise ValueError(f"unknown structured-output mode {mode!r}; known: {', '.join(STRUCTURED_MODES)}")


def schema_instruction(schema: Mapping[str, Any]) -> str:
    """The text added to the system message when the server does not see the schema."""
    return (
        "Reply with one JSON object only, no prose and no code fences. "
        "It must follow this JSON Schema:\n" + json.dumps(schema, ensure_ascii=False, separators=(",", ":"))
    )


def build_payload(request: CompletionRequest, mode: str) -> dict[str, Any]:
    """The JSON body of a chat-completions call for `request` in `mode`."""
    messages = [dict(message) for message in request.messages]
    # In these modes the server does not enforce the schema, so the model must read it.
    if request.schema is not None and mode in ("json_object", "prompt_only"):
        instruction = schema_instruction(request.schema)
        if messages and messages[0].get("role") == "system":
            messages[0]["content"] = f"{messages[0].get('content', '')}\n\n{instruction}"
        else:
            messages.insert(0, {"role": "system", "content": instruction})
    payload: dict[str, Any] = {
        "model": request.model,
        "messages": messages,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
    }
    if request.seed is not None:
        payload["seed"] = request.seed
    if request.frequency_penalty is not None:
        payload["frequency_penalty"] = request.frequency_penalty
    response_format = response_format_for(mode, schema=request.schema, schema_name=request.schema_name)
    if response_format is not None:
        payload["response_format"] = response_format
    return payload


# --- the client -------------------------------------------------------------------------------


@dataclass
class _Exchange:
    """One HTTP exchange, classified: what the loop should do next."""

    attempt: Attempt
    action: str  # done, retry, next_mode, fail
    text: str = ""
    finish_reason: str = ""
    model: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class HttpClient:
    """Calls OpenAI-compatible servers with retries, backoff and structured-output negotiation.

    One instance can serve many threads: requests' connection pool is thread-safe and this
    client keeps no per-call state on itself. `sleep` and `rng` are injectable so tests run
    fast and can assert the waits.
    """

    def __init__(
        self,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
        pool_size: int = 16,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        # What the environment says for each URL (proxies, NO_PROXY, CA bundle), read once: requests
        # reads it again for every request it sends, which cost more than the rest of a loopback
        # call. Only for a session of our own; a given session is used as it comes.
        self._environment: dict[str, dict[str, Any]] | None = None
        if session is None:
            session = requests.Session()
            # Retries are ours alone: urllib3 retrying underneath would hide attempts.
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            # Read by `_settings_for` instead. This also keeps ~/.netrc credentials from being
            # sent to a teacher: a provider's key comes from ALAIN's settings only.
            session.trust_env = False
            self._environment = {}
        self._session = session

    def __repr__(self) -> str:
        return f"<HttpClient policy={self.policy!r}>"

    def close(self) -> None:
        self._session.close()

    def complete(
        self,
        request: CompletionRequest,
        *,
        provider_key: str,
        base_url: str,
        api_key: str = "",
        modes: Sequence[str] = STRUCTURED_MODES,
    ) -> Completion:
        """Send `request`; return the first usable reply or raise ProviderError.

        `modes` are the structured-output forms the provider offers, best first. They are only
        used when the request has a schema.
        """
        base_url = base_url.rstrip("/")
        url = f"{base_url}/chat/completions"
        secrets = (api_key,)
        candidates = self._candidate_modes(request, provider_key=provider_key, base_url=base_url, modes=modes)
        attempts: list[Attempt] = []
        transient_failures = 0
        started = time.monotonic()
        while True:
            mode = candidates[0]
            payload = build_payload(request, mode)
            exchange = self._exchange(url, payload, api_key=api_key, number=len(attempts) + 1, mode=mode)
            attempt = exchange.attempt
            attempt.error = redact(attempt.error, secrets=secrets)
            attempts.append(attempt)
            self._log(provider_key, attempt)

            if exchange.action == "done":
                if request.schema is not None:
                    remember_mode(provider_key, base_url, mode)
                return Completion(
                    text=exchange.text,
                    finish_reason=exchange.finish_reason,
                    model=exchange.model or request.model,
                    mode=mode,
                    latency_ms=_ms_since(started),
                    prompt_tokens=exchange.prompt_tokens,
                    completion_tokens=exchange.completion_tokens,
                    attempts=attempts,
                )
            if exchange.action == "next_mode":
                if len(candidates) > 1:
                    # Only a success is remembered: a request that is bad for another reason is
                    # rejected in every form and must not teach us to avoid the best one.
                    candidates = candidates[1:]
                    continue
                raise ProviderError(
                    f"The teacher at {redact(base_url, secrets=secrets)} rejected every structured-output form "
                    f"this provider offers ({', '.join(modes)}): {attempt.error}",
                    permanent=True,
                    attempts=attempts,
                )
            if exchange.action == "fail":
                raise ProviderError(
                    f"The teacher at {redact(base_url, secrets=secrets)} refused the request: {attempt.error}",
                    permanent=True,
                    attempts=attempts,
                )

            transient_failures += 1
            if transient_failures >= self.policy.max_attempts:
                raise ProviderError(
                    f"The teacher at {redact(base_url, secrets=secrets)} failed {transient_failures} times; "
                    f"last error: {attempt.error}",
                    permanent=False,
                    retry_after=attempt.retry_after,
                    attempts=attempts,
                )
            wait = (
                attempt.retry_after
                if attempt.retry_after is not None
                else self.policy.backoff(transient_failures, self._rng)
            )
            if wait > self.policy.retry_after_max:
                raise ProviderError(
                    f"The teacher at {redact(base_url, secrets=secrets)} asked to wait {wait:.0f} s, "
                    f"longer than {self.policy.retry_after_max:.0f} s; try again later",
                    permanent=False,
                    retry_after=wait,
                    attempts=attempts,
                )
            self._sleep(wait)

    def probe(self, *, base_url: str, api_key: str = "", timeout: float = 5.0) -> ProbeResult:
        """GET `{base_url}/models` once, with a short timeout: is the server there, which models."""
        base_url = base_url.rstrip("/")
        secrets = (api_key,)
        started = time.monotonic()
        try:
            response = self._session.get(
                f"{base_url}/models",
                headers=self._headers(api_key),
                timeout=(min(self.policy.connect_timeout, timeout), timeout),
            )
        except requests.RequestException as exc:
            message = redact(_exception_text(exc), secrets=secrets)
            return ProbeResult(ok=False, message=f"Could not reach {base_url}: {message}")
        latency = _ms_since(started)
        if response.status_code in (401, 403):
            return ProbeResult(
                ok=False, message=f"The server refused the API key (HTTP {response.status_code})", latency_ms=latency
            )
        if response.status_code != 200:
            excerpt = redact(_error_excerpt(response), secrets=secrets)
            return ProbeResult(ok=False, message=f"HTTP {response.status_code}: {excerpt}", latency_ms=latency)
        try:
            data = response.json()
        except ValueError:
            return ProbeResult(ok=False, message="The server answered with a body that is not JSON", latency_ms=latency)
        models = tuple(
            str(item["id"])
            for item in (data.get("data") or [] if isinstance(data, dict) else [])
            if isinstance(item, dict) and item.get("id")
        )
        return ProbeResult(ok=True, message=f"{len(models)} model(s) available", latency_ms=latency, models=models)

    # -- internals ------------------------------------------------------------------------------

    @staticmethod
    def _candidate_modes(
        request: CompletionRequest, *, provider_key: str, base_url: str, modes: Sequence[str]
    ) -> list[str]:
        if request.schema is None:
            return [TEXT_MODE]
        if not modes:
            raise ValueError("a provider must offer at least one structured-output mode")
        candidates = list(modes)
        known = remembered_mode(provider_key, base_url)
        if known in candidates:
            candidates = candidates[candidates.index(known) :]
        return candidates

    def _settings_for(self, url: str) -> dict[str, Any]:
        """The proxies and TLS settings the environment gives `url`, as requests itself works them out."""
        if self._environment is None:
            return {}
        settings = self._environment.get(url)
        if settings is None:
            # A session that trusts the environment works it out; ours is shared by the run's
            # threads, so its trust_env is never switched back and forth.
            with requests.Session() as reader:
                merged = reader.merge_environment_settings(url, {}, None, None, None)
            settings = {key: merged[key] for key in ("proxies", "verify", "cert")}
            self._environment[url] = settings
        return settings

    @staticmethod
    def _headers(api_key: str) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        return headers

    def _exchange(self, url: str, payload: dict[str, Any], *, api_key: str, number: int, mode: str) -> _Exchange:
        started = time.monotonic()

        def attempt(outcome: str, **fields: Any) -> Attempt:
            return Attempt(number=number, mode=mode, outcome=outcome, latency_ms=_ms_since(started), **fields)

        try:
            response = self._session.post(
                url,
                json=payload,
                headers=self._headers(api_key),
                timeout=(self.policy.connect_timeout, self.policy.read_timeout),
                **self._settings_for(url),
            )
        except requests.Timeout as exc:
            return _Exchange(attempt("timeout", error=_exception_text(exc)), "retry")
        except (
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            return _Exchange(attempt("connection", error=_exception_text(exc)), "retry")
        except requests.RequestException as exc:
            # A malformed URL or similar: trying again cannot help.
            return _Exchange(attempt("client_error", error=_exception_text(exc)), "fail")

        status = response.status_code
        if 200 <= status < 300:
            return self._read_reply(response, attempt)

        error = f"HTTP {status}: {_error_excerpt(response)}"
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        sent_format = "response_format" in payload
        if status == 429:
            return _Exchange(attempt("rate_limited", status=status, error=error, retry_after=retry_after), "retry")
        if status >= 500:
            if sent_format and _mentions_format(response.text):
                return _Exchange(attempt("format_rejected", status=status, error=error), "next_mode")
            return _Exchange(attempt("server_error", status=status, error=error, retry_after=retry_after), "retry")
        if status in (400, 422) and sent_format:
            # Servers that do not know a response_format form answer 400 or 422. If the request
            # is bad for another reason, the later forms fail the same way and the call ends.
            return _Exchange(attempt("format_rejected", status=status, error=error), "next_mode")
        if status in (408, 425):
            return _Exchange(attempt("timeout", status=status, error=error, retry_after=retry_after), "retry")
        return _Exchange(attempt("client_error", status=status, error=error), "fail")

    @staticmethod
    def _read_reply(response: requests.Response, attempt: Callable[..., Attempt]) -> _Exchange:
        status = response.status_code
        try:
            data = response.json()
        except ValueError:
            # A proxy's HTML page or a body cut short: the next try usually gets a real reply.
            return _Exchange(
                attempt("bad_reply", status=status, error="the server sent a body that is not JSON"), "retry"
            )
        if not isinstance(data, dict):
            return _Exchange(attempt("bad_reply", status=status, error="the reply is not a JSON object"), "retry")
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            detail = _error_message(data) or "the reply has no choices"
            return _Exchange(attempt("bad_reply", status=status, error=detail[:_ERROR_EXCERPT_CHARS]), "retry")
        choice = choices[0]
        message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        text = _content_text(message.get("content"))
        finish_reason = str(choice.get("finish_reason") or "")
        # A reply cut off at max_tokens goes back as it is (even empty: a reasoning model can
        # spend every token before writing any content); the caller counts it as a failure.
        if not text.strip() and finish_reason != "length":
            return _Exchange(attempt("bad_reply", status=status, error="the reply has no content"), "retry")
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        return _Exchange(
            attempt("ok", status=status),
            "done",
            text=text,
            finish_reason=finish_reason,
            model=str(data.get("model") or ""),
            prompt_tokens=_int_or_none(usage.get("prompt_tokens")),
            completion_tokens=_int_or_none(usage.get("completion_tokens")),
        )

    @staticmethod
    def _log(provider_key: str, attempt: Attempt) -> None:
        level = logging.INFO if attempt.outcome == "ok" else logging.WARNING
        logger.log(
            level,
            "teacher %s attempt %d mode=%s outcome=%s status=%s latency_ms=%d%s",
            provider_key,
            attempt.number,
            attempt.mode,
            attempt.outcome,
            attempt.status,
            attempt.latency_ms,
            f" error={attempt.error}" if attempt.error else "",
        )


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _content_text(content: Any) -> str:
    """Message content as text; some servers send a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def _error_message(data: Any) -> str:
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if isinstance(data.get("detail"), str):
            return data["detail"]
    return ""


def _error_excerpt(response: requests.Response) -> str:
    try:
        text = _error_message(response.json()) or response.text
    except ValueError:
        text = response.text
    text = " ".join(text.split())
    return text[:_ERROR_EXCERPT_CHARS] or response.reason or "no body"


def _mentions_format(body: str) -> bool:
    lowered = body.lower()
    return any(hint in lowered for hint in _FORMAT_REJECTION_HINTS)


def _exception_text(exc: BaseException) -> str:
    # requests' messages nest urllib3's; the class name and a short excerpt are enough.
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:_ERROR_EXCERPT_CHARS]}"
