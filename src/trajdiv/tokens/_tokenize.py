"""Token streams of runs, with an on-disk cache keyed by text hash and encoding.

The cache holds one checksummed entry per group of runs (configuration x task): the token ids of
each of its runs under the run's content key. A changed group finds its unchanged runs there,
and an entry damaged on disk is a miss.

Per run, trajdiv tokenizes the agent's own output (each step's thought and action, in order) and,
separately, the observations; the full stream is the two interleaved. Each step's pieces are
encoded on their own (``thought + "\\n" + action + "\\n"`` and ``observation + "\\n"``), so token
counts add up exactly across steps.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from trajdiv._codec import CacheMiss, pack, unpack
from trajdiv._digest import code_digest
from trajdiv._io import atomic_write_bytes
from trajdiv.model import Run
from trajdiv.tokens._encoding import DEFAULT_ENCODING, get_encoding

__all__ = ["RunTokens", "TokenCache", "agent_piece", "tokenize_runs"]

_CACHE_VERSION = b"trajdiv-tokens-2"


def agent_piece(thought: str, action: str) -> str:
    """The agent-output text of one step."""
    return f"{thought}\n{action}\n" if thought else f"{action}\n"


@dataclass(frozen=True, slots=True)
class RunTokens:
    """Token ids and counts of one run."""

    agent_ids: npt.NDArray[np.uint32]
    """Token ids of the agent-output stream (all steps, in order)."""
    agent_per_step: npt.NDArray[np.int64]
    """Agent-output tokens of each step."""
    obs_per_step: npt.NDArray[np.int64]
    """Observation tokens of each step."""

    @property
    def agent_total(self) -> int:
        """Agent-output tokens of the run."""
        return int(self.agent_per_step.sum())

    @property
    def total(self) -> int:
        """Agent output plus observations."""
        return int(self.agent_per_step.sum() + self.obs_per_step.sum())


class TokenCache:
    """Tokenizes runs, reusing ids cached on disk under ``directory`` (None: no disk cache).

    ``encode_calls`` counts the texts actually sent to the tokenizer (for tests and benchmarks):
    within one call of :meth:`many`, a text that repeats is encoded once.
    """

    def __init__(self, directory: Path | None, encoding: str = DEFAULT_ENCODING) -> None:
        self.directory = directory
        self.encoding_name = encoding
        self.encoding = get_encoding(encoding)
        self.encode_calls = 0

    def _key(self, run: Run) -> str:
        h = hashlib.blake2b(digest_size=20)
        h.update(_CACHE_VERSION + code_digest())
        h.update(self.encoding_name.encode())
        for s in run.steps:
            for text in (s.thought, s.action, s.observation):
                b = text.encode("utf-8", "surrogatepass")
                h.update(len(b).to_bytes(8, "little"))
                h.update(b)
        return h.hexdigest()

    def _key_from_digest(self, digest: str) -> str:
        h = hashlib.blake2b(digest_size=20)
        h.update(_CACHE_VERSION + code_digest() + b"digest" + self.encoding_name.encode() + digest.encode())
        return h.hexdigest()

    def _path(self, group: tuple[str, str]) -> Path:
        """The entry of one group of runs (configuration label, task)."""
        assert self.directory is not None
        h = hashlib.blake2b(digest_size=20)
        for piece in (
            _CACHE_VERSION + code_digest(),
            self.encoding_name.encode(),
            *(g.encode() for g in group),
        ):
            h.update(len(piece).to_bytes(8, "little"))
            h.update(piece)
        key = h.hexdigest()
        return self.directory / "tokens" / key[:2] / f"{key}.entry"

    def run_tokens(self, run: Run) -> RunTokens:
        """Tokens of one run (from the cache when present)."""
        return self.many([run])[0]

    def many(self, runs: list[Run], digests: list[str] | None = None) -> list[RunTokens]:
        """Tokens of several runs; the misses are encoded in one batch.

        ``digests``, when given, are content hashes of the runs (the pipeline has them already);
        they stand in for hashing every text again. The cache entry of each group of runs
        (configuration x task) among ``runs`` is read once, and written again with exactly
        this call's runs of the group when they differ from those it held.
        """
        out: list[RunTokens | None] = [None] * len(runs)
        misses: list[int] = []
        # keys are only worth computing when there is a disk cache to look them up in
        if self.directory is None:
            keys = [""] * len(runs)
        elif digests is not None:
            keys = [self._key_from_digest(d) for d in digests]
        else:
            keys = [self._key(r) for r in runs]
        groups: dict[tuple[str, str], list[int]] = {}
        for i, r in enumerate(runs):
            groups.setdefault((r.config.label, r.task_id), []).append(i)
        stored = {g: self._load(g) if self.directory is not None else {} for g in groups}
        for g, members in groups.items():
            for i in members:
                out[i] = stored[g].get(keys[i])
                if out[i] is None:
                    misses.append(i)
        misses.sort()
        if misses:
            texts: list[str] = []
            for i in misses:
                steps = runs[i].steps
                texts.extend(agent_piece(s.thought, s.action) for s in steps)
                texts.extend(f"{s.observation}\n" for s in steps)
            # runs of one task repeat texts (the task statement, the steps before they diverge,
            # files read again): each distinct text is encoded once. A plain loop: trajdiv
            # parallelises across processes, and tiktoken's batch call pays a thread-pool hand-off
            # per text even with one thread
            encode = self.encoding.encode_ordinary
            distinct: dict[str, list[int]] = {}
            for t in texts:
                if t not in distinct:
                    distinct[t] = encode(t)
            self.encode_calls += len(distinct)
            encoded = [distinct[t] for t in texts]
            pos = 0
            for i in misses:
                n = len(runs[i].steps)
                agent = encoded[pos : pos + n]
                obs = encoded[pos + n : pos + 2 * n]
                pos += 2 * n
                rt = RunTokens(
                    agent_ids=np.concatenate(
                        [np.asarray(p, dtype=np.uint32) for p in agent] or [np.empty(0, np.uint32)]
                    ).astype(np.uint32, copy=False),
                    agent_per_step=np.array([len(p) for p in agent], dtype=np.int64),
                    obs_per_step=np.array([len(p) for p in obs], dtype=np.int64),
                )
                out[i] = rt
        if self.directory is not None:
            for g, members in groups.items():  # an entry holds exactly its group's runs of this call
                if {keys[i] for i in members} != stored[g].keys():
                    self._save(g, {keys[i]: out[i] for i in members})
        return [r for r in out if r is not None]

    def _load(self, group: tuple[str, str]) -> dict[str, RunTokens]:
        """The runs' tokens kept for ``group``, by run key (none when absent or damaged)."""
        try:
            path = self._path(group)
            _, parts = unpack(path.read_bytes(), key=path.stem)
            return {key: _unpack(np.frombuffer(data, dtype=np.uint32).copy()) for key, data in parts.items()}
        except (OSError, CacheMiss, ValueError, IndexError):
            return {}  # a damaged entry is simply recomputed

    def _save(self, group: tuple[str, str], tokens: dict[str, RunTokens | None]) -> None:
        parts = {key: _pack(rt).tobytes() for key, rt in tokens.items() if rt is not None}
        path = self._path(group)
        atomic_write_bytes(path, pack({"group": list(group)}, parts, key=path.stem))


def _pack(rt: RunTokens) -> npt.NDArray[np.uint32]:
    n = len(rt.agent_per_step)
    return np.concatenate(
        [
            np.array([n], dtype=np.uint32),
            rt.agent_per_step.astype(np.uint32),
            rt.obs_per_step.astype(np.uint32),
            rt.agent_ids,
        ]
    )


def _unpack(arr: npt.NDArray[np.uint32]) -> RunTokens:
    n = int(arr[0])
    agent = arr[1 : 1 + n].astype(np.int64)
    obs = arr[1 + n : 1 + 2 * n].astype(np.int64)
    ids = arr[1 + 2 * n :]
    if len(ids) != int(agent.sum()):
        raise ValueError("cache entry does not match its own counts")
    return RunTokens(agent_ids=ids, agent_per_step=agent, obs_per_step=obs)


def tokenize_runs(runs: list[Run], cache: TokenCache) -> list[RunTokens]:
    """Tokens of ``runs`` through ``cache`` (a thin alias kept for the public API)."""
    return cache.many(runs)
