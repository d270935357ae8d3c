"""The credential patterns: what a token, key, password or credential-bearing URL looks like.

One home for them. :mod:`contracts.redaction` builds recordings' redaction on these; the
records themselves (:mod:`contracts.findings`) mask credentials in their pointers, messages
and opted-in values with :func:`mask_text` and :func:`mask_value`, so that no report, history
file or suggested spec can carry one, whatever options are given. It sits in the foundation
layer because the records do.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

__all__ = ["MASK", "SECRET_KEYS", "credential", "is_secret_key", "mask_fields", "mask_text",
           "mask_value", "norm", "userinfo"]

MASK = "[REDACTED]"

SECRET_KEYS = frozenset({
    "token", "access_token", "refresh_token", "id_token", "api_key", "password", "secret",
    "client_secret", "authorization", "cookie", "signature", "private_key", "jwt",
})
# A key ending in one of these (after normalising) is a credential too: upload_token, x_api_key.
_SECRET_SUFFIXES = ("token", "secret", "password", "apikey", "privatekey",
                    # a presigned upload form's x-amz-signature: whoever holds it may upload
                    "signature")

@cache
def credential() -> re.Pattern[str]:
    """Bearer and Basic credentials and JWTs in text. Compiled on first use: most runs never
    see text that could hold one (``mask_text`` looks for a hint first)."""
    # "Basic" needs base64-looking text (a digit, "+", "/", "=" or a lower-upper pair) so that
    # prose ("basic information") is left alone.
    return re.compile(
        r"(?i:\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}"
        r"|(?i:\bbasic\s+)(?=[A-Za-z0-9+/]*(?:[0-9+/=]|[a-z][A-Z]))[A-Za-z0-9+/]{6,}=*"
        r"|\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"
    )


@cache
def userinfo() -> re.Pattern[str]:
    """The user information of a URL (scheme://user:password@host): group 1 is the scheme."""
    return re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s@\"'<>]*@")


@lru_cache(maxsize=4096)
def norm(key: str) -> str:
    """A key as the rules compare it: lower case, without ``_`` and ``-``."""
    return key.lower().replace("_", "").replace("-", "")


_SECRET_NORMS = frozenset(norm(k) for k in SECRET_KEYS)


def is_secret_key(normalised: str) -> bool:
    return normalised in _SECRET_NORMS or normalised.endswith(_SECRET_SUFFIXES)


def mask_text(text: str) -> str:
    """``text`` with bearer/basic credentials, JWTs and URL user information replaced."""
    if "@" in text and "://" in text:
        text = userinfo().sub(lambda m: f"{m.group(1)}{MASK}@", text)
    if "earer" in text or "asic" in text or "eyJ" in text:
        text = credential().sub(MASK, text)
    return text


def mask_value(value: Any) -> Any:
    """A copy of a JSON value with credentials gone: values under secret keys become
    ``[REDACTED]``, and strings and keys lose the credentials inside them. For values shown
    on opt-in: the user asked for values, never for credentials."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {mask_text(k) if isinstance(k, str) else k:
                (MASK if isinstance(k, str) and is_secret_key(norm(k)) else mask_value(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(mask_value(v) for v in value)
    return value


def mask_fields(record: object, names: tuple[str, ...]) -> None:
    """Mask credentials in the named string fields of a frozen record, in place (from its
    ``__post_init__``): no report, history file or suggested spec can carry one."""
    for name in names:
        value = getattr(record, name)
        if isinstance(value, str) and value:
            masked = mask_text(value)
            if masked != value:
                object.__setattr__(record, name, masked)
