"""Tokenization of runs with tiktoken (offline default encoding) and an on-disk cache."""

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
