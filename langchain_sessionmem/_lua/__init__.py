"""Server-side Lua scripts: one ``<name>.lua`` file each, shipped in the wheel, sharing ``prelude.lua``.

The first key of every script is a key of that user (its hash tag routes the call on a cluster);
the message keys a script builds from a prefix carry the same hash tag, so they are in the same slot.
While that slot migrates, a script is refused before it does anything (see the end of prelude.lua).
Scripts refuse to act when the raw ids stored in Redis differ from the caller's (a digest collision).

Session meta hash fields: uid, sid, first (lowest live sequence), seq (last assigned sequence),
created, last_active (ms, server clock), epoch (changes when a session is created anew), ctok
(tokens of every message ever appended: message ``s`` stores ``c0``, the value before it, so the
tokens of messages ``s..last`` are ``ctok - c0(s)``), title, meta (metadata JSON), instr and itok
(session instructions and their tokens), sum, sup, stok (running summary, the last sequence it
covers, its tokens) and sgen (bumped by every summary write and every clear).

Session id hash (``P i:{U}:S``): message id digest -> seq, for the messages appended with an id. It
shares the session's deadline; with a per-message age limit each field expires with its message; a
field whose seq is below the session's live ``first`` is stale and ignored (clear() drops the hash).

User hash fields: uid, maxdl (latest session deadline, -1: some session never expires), instr, itok.

Each script has a module of the same name beside it (``append.py`` for ``append.lua``) that builds
its keys and arguments into a :class:`~langchain_sessionmem._ops.steps.Script` step and parses its
reply into a named result; the backend sends every script by EVALSHA through :func:`source`.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

NAMES = (
    "append",
    "read",
    "clear",
    "delete_user",
    "list_sessions",
    "session_info",
    "set_session",
    "set_user",
    "set_summary",
    "reseal",
    "put_vectors",
    "search",
)


@cache
def source(name: str) -> str:
    """The full text of script ``name``: its first line (the shebang and flags), the prelude, the rest."""
    if name not in NAMES:
        raise KeyError(f"no Lua script named {name!r}")
    here = files(__name__)
    shebang, body = here.joinpath(f"{name}.lua").read_text(encoding="utf-8").split("\n", 1)
    return f"{shebang}\n{here.joinpath('prelude.lua').read_text(encoding='utf-8')}{body}"
