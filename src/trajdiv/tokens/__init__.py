"""Tokenization of runs with tiktoken (offline default encoding) and an on-disk cache."""

from typing import TYPE_CHECKING

from trajdiv._lazy import attach

if TYPE_CHECKING:
    from trajdiv.tokens._encoding import DEFAULT_ENCODING, get_encoding
    from trajdiv.tokens._tokenize import RunTokens, TokenCache, agent_piece, tokenize_runs

__all__ = [
    "DEFAULT_ENCODING",
    "RunTokens",
    "TokenCache",
    "agent_piece",
    "get_encoding",
    "tokenize_runs",
]

attach(
    globals(),
    {
        "DEFAULT_ENCODING": "trajdiv.tokens._encoding",
        "get_encoding": "trajdiv.tokens._encoding",
        "RunTokens": "trajdiv.tokens._tokenize",
        "TokenCache": "trajdiv.tokens._tokenize",
        "agent_piece": "trajdiv.tokens._tokenize",
        "tokenize_runs": "trajdiv.tokens._tokenize",
    },
)
