"""Errors about how a teacher is configured (as opposed to a call that failed)."""

from __future__ import annotations


class ProviderConfigError(ValueError):
    """The teacher cannot be built: unknown provider, missing API key, bad setting.

    The message is a sentence meant for the user; it never contains a key.
    """


class UnknownProvider(ProviderConfigError):
    """No provider is registered under the given key (a usage error, not a setup problem)."""
