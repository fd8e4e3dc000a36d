"""What early warning needs of one group, made where the group is analysed and kept with its
cached result: the statistics of a re-run then take each configuration's runs from the groups
instead of reading the steps table again, with each run's majority departure made already.

A group's part is the JSON text ``[level, actions, runs]``: ``actions`` the distinct actions of
its steps at ``level``, and per labelled run that keeps a step once format errors are left out
(by run id, as :func:`~trajdiv.stats._early_summary.load_early_runs` orders them)
``[run_id, action positions, agent tokens, failing return codes (0/1), failed, departure]``,
``departure`` being :func:`~trajdiv.stats._early_features.majority_departures` among the
group's runs (one task's runs of one configuration, as the statistics group them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from trajdiv.stats._early_features import EarlyRun, majority_departures
from trajdiv.tables import step_order

__all__ = ["early_from_groups", "group_early"]


def group_early(
    task_id: str, runs: Sequence[Mapping[str, Any]], steps: Sequence[Mapping[str, Any]], level: str
) -> str:
    """The early-warning part (module docstring) of one group's ``runs`` and ``steps`` rows."""
    outcome = {str(r["run_id"]): r["resolved"] for r in runs}
    at: dict[str, int] = {}
    made: dict[str, tuple[list[int], list[int], list[int]]] = {}
    for row in sorted(steps, key=step_order):
        rid = str(row["run_id"])
        if row.get("format_error") or outcome.get(rid) is None:
            continue
        acts, toks, rcs = made.setdefault(rid, ([], [], []))
        action = "None" if row.get(level) is None else str(row[level])
        acts.append(at.setdefault(action, len(at)))
        toks.append(int(row.get("agent_tokens") or 0))
        rcs.append(int((row.get("returncode") or 0) != 0))
    names = list(at)
    early = [
        EarlyRun(task_id, tuple(names[i] for i in acts), tuple(toks), tuple(map(bool, rcs)), not outcome[rid])
        for rid, (acts, toks, rcs) in made.items()
    ]
    departures = majority_departures(early)
    rows = [
        [rid, acts, toks, rcs, r.failed, d]
        for (rid, (acts, toks, rcs)), r, d in zip(made.items(), early, departures, strict=True)
    ]
    return json.dumps([level, names, rows], ensure_ascii=False)


Made = dict[str, tuple[list[EarlyRun], list[int | None]]]
"""Per configuration, its labelled runs and their majority departures."""


def early_from_groups(
    parts: Mapping[tuple[str, str], str] | None, keys: Sequence[tuple[str, str]], level: str
) -> Made | None:
    """Each configuration's runs from the parts of the groups ``keys`` (in the runs table's
    order: by configuration, then task); None unless every group has a part made at ``level``."""
    if not parts or not all(k in parts for k in keys):
        return None
    out: Made = {}
    try:
        for cfg, task in keys:
            made_at, names, rows = json.loads(parts[(cfg, task)])
            if made_at != level or not all(isinstance(a, str) for a in names):
                return None
            runs, departures = out.setdefault(cfg, ([], []))
            for _, acts, toks, rcs, failed, dep in rows:
                if not (isinstance(failed, bool) and (dep is None or type(dep) is int)):
                    return None
                runs.append(
                    EarlyRun(task, tuple(names[i] for i in acts), tuple(toks), tuple(map(bool, rcs)), failed)
                )
                departures.append(dep)
    except (ValueError, TypeError, IndexError):
        return None
    return out
