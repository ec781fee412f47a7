"""TLS and least-privilege ACL, against real throw-away servers (issue 6, item 5).

* TLS: a server that only speaks TLS (``--port 0 --tls-port N``, client certificates required),
  with certificates made by the test. Every operation of the package runs over ``rediss://`` (and
  over TLS clients passed in), sync and async; a plaintext client, a client that does not trust
  the server's CA and a client without a certificate each fail at once with RedisUnavailableError.
* ACL: the rules in ``docs/acl.txt`` (the one place they are written) are sufficient (a user with
  exactly them runs every operation of the package and the CLI without a single ACL denial, even
  an ignored one) and restrictive (the same user is refused other keys, indexes and commands).
  A gap of RedisJSON (JSON.MGET checks only its first key) is closed by leaving JSON.MGET out of
  the rules; a gap of RediSearch 2.10 (an index over other prefixes) is pinned as a strict xfail,
  so a server that closes it shows up; the run-time split (no FT.CREATE / FT.DROPINDEX) that
  closes it is tested.
"""

from __future__ import annotations

import functools
import io
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import redis.asyncio as aredis
from click.testing import CliRunner
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, trim_messages

from langchain_sessionmem import (
    ContentEncryption,
    KeyRing,
    RedisCommandError,
    RedisSessionMemory,
    RedisUnavailableError,
    SessionMemConfig,
)
from langchain_sessionmem.cli import cli
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import ROOT, MakeMemory
from tests.store._servers import Certs, RedisProcess, make_certs
from tests.store.conftest import Api

pytestmark = pytest.mark.slow

ACL_FILE = ROOT / "docs" / "acl.txt"
PREFIX = "sessionmem:"  # the default key prefix, which docs/acl.txt is written for
INDEX_ADMIN = ("+ft.create", "+ft.alter", "+ft.dropindex")  # what a run-time user can go without
APP, RUNTIME, PASSWORD = "sessionmem", "sessionmem-runtime", "s3cret-pw"
CONFIG = SessionMemConfig(ttl_seconds=3600, message_max_age_seconds=7200)  # TTL paths use more commands


def acl_rules() -> list[str]:
    """The rules of docs/acl.txt, as ACL SETUSER arguments."""
    lines = ACL_FILE.read_text(encoding="utf-8").splitlines()
    return [token for line in lines if not line.lstrip().startswith("#") for token in line.split()]


def runtime_rules() -> list[str]:
    rules = acl_rules()
    assert set(INDEX_ADMIN) <= set(rules)
    return [r for r in rules if r not in INDEX_ADMIN]


def add_users(admin: redis.Redis) -> None:
    admin.execute_command("ACL", "SETUSER", APP, "reset", "on", f">{PASSWORD}", *acl_rules())
    admin.execute_command("ACL", "SETUSER", RUNTIME, "reset", "on", f">{PASSWORD}", *runtime_rules())


def reset(admin: redis.Redis) -> None:
    """Empty the server between tests: keys, indexes, loaded scripts, the ACL log."""
    for name in admin.execute_command("FT._LIST"):
        admin.execute_command("FT.DROPINDEX", name)
    admin.flushall()
    admin.script_flush()
    admin.execute_command("ACL", "LOG", "RESET")


def acl_denials(admin: redis.Redis) -> list[str]:
    entries = admin.acl_log()
    return [f"{e['reason']} {e['object']} ({e['context']}) by {e['username']}" for e in entries]


# -- the whole package, as a user would run it --------------------------------------------------------


def _turns(n: int, tag: str) -> list[BaseMessage]:
    out: list[BaseMessage] = []
    for i in range(n):
        text = f"{tag} question {i}" + (" about the avocado toast recipe" if i == 2 else "")
        out.append(HumanMessage(text) if i % 2 == 0 else AIMessage(f"{tag} answer {i}"))
    return out


Make = Callable[..., RedisSessionMemory]


async def exercise(api: Api, make: Make, *, index_admin: bool = True) -> None:
    """The public operations of RedisSessionMemory, its histories and its retriever (every kind of
    Redis command and script the package sends), checked. ``make(embeddings=...)`` builds a memory
    on the server under test (with ``make_memory``, which closes it)."""
    memory = make(embeddings=HashingEmbeddings(64))
    plain = make(embeddings=None)  # writes messages without vectors, for reindex()
    user = "alice@example.com"
    await api(memory, "setup")
    await api(memory, "setup")  # idempotent: verifies the existing indexes
    history = memory.history(user, "breakfast")
    msgs = [SystemMessage("You are a chef."), *_turns(20, "breakfast")]
    await api(history, "add_messages", msgs[:9])
    await api(history, "add_messages", msgs[9:])
    await api(memory.history(user, "dinner"), "add_messages", _turns(4, "dinner"))
    assert await api(history, "messages") == msgs
    assert await api(history, "get_recent", 3) == msgs[-3:]
    assert await api(history, "__len__") == len(msgs)
    assert await api(history, "token_count") == memory.count_tokens(msgs)
    expected = trim_messages(
        msgs,
        max_tokens=60,
        strategy="last",
        include_system=True,
        start_on="human",
        token_counter=memory.count_tokens,
    )
    assert await api(history, "get_window", 60) == expected and 2 < len(expected) < len(msgs)

    await api(memory, "set_instructions", user, "Answer in French.")
    await api(memory, "set_instructions", user, "Be brief.", session_id="breakfast")
    assert await api(memory, "get_instructions", user, "breakfast") == "Be brief."
    assert await api(memory, "get_instructions", user) == "Answer in French."
    await api(memory, "clear_instructions", user, session_id="breakfast")
    await api(memory, "update_session", user, "breakfast", title="Breakfast", metadata={"pinned": True})
    info = await api(memory, "get_session", user, "breakfast")
    assert (info.title, info.metadata, info.message_count) == ("Breakfast", {"pinned": True}, len(msgs))
    page = await api(memory, "list_sessions", user, limit=1)
    rest = await api(memory, "list_sessions", user, limit=1, cursor=page.next_cursor)
    assert {s.session_id for s in [*page, *rest]} == {"breakfast", "dinner"} and rest.next_cursor is None

    summary = "They talked about breakfast."
    assert await api(history, "summarize", FakeListChatModel(responses=[summary]), keep_last=4) == summary
    context = await api(history, "get_context", 400)
    assert context[0].content == "Answer in French." and summary in context[1].content

    for search_type in ("similarity", "text", "hybrid"):
        retriever = memory.as_retriever(k=2, search_type=search_type, neighbors=1, exclude_recent=2)
        config = {"configurable": {"user_id": user, "session_id": "breakfast"}}
        docs = await api(retriever, "invoke", "the avocado toast recipe", config=config)
        assert any("avocado toast" in d.page_content for d in docs if d.metadata["match"] == "seed"), search_type
    fallback = memory.as_retriever(k=2, distance_threshold=1e-9, fallback=True)
    docs = await api(fallback, "invoke", "zzz", user_id=user, session_id="breakfast")
    assert [d.metadata["match"] for d in docs] == ["recent", "recent"]

    await api(plain.history(user, "lunch"), "add_messages", _turns(4, "lunch"))
    assert await api(memory, "reindex") == 4

    assert await api(memory, "list_users") == [user]
    server = await api(memory, "server_stats")  # FT.INFO of both indexes, INFO memory
    assert server.index is not None and server.vector_index is not None and server.used_memory > 0
    dump = io.StringIO()
    stats = await api(memory, "export_jsonl", dump, user_id=user)
    assert (stats.sessions, stats.messages) == (3, len(msgs) + 8)
    await api(memory, "import_jsonl", io.StringIO(dump.getvalue()), if_exists="replace")
    await api(memory, "import_jsonl", io.StringIO(dump.getvalue()), if_exists="skip")
    copy = dump.getvalue().replace(user, "bob@example.com")
    await api(memory, "import_jsonl", io.StringIO(copy))  # if_exists="error": checks every session first
    assert await api(memory.history("bob@example.com", "breakfast"), "messages") == msgs
    assert await api(history, "messages") == msgs

    # Encryption at rest: sealing the user's stored data (JSON.DEL among the script's commands).
    ring = KeyRing("k1", {"k1": bytes(range(32))})
    sealed = make(embeddings=HashingEmbeddings(64), encryption=ContentEncryption(lambda _user: ring))
    assert await api(sealed, "rotate_encryption", user) == len(msgs) + 8 + 1  # 3 sessions + the summary
    assert await api(sealed.history(user, "breakfast"), "messages") == msgs

    await api(history, "clear")
    assert await api(history, "messages") == []
    assert await api(memory, "delete_session", user, "dinner") == 4
    if index_admin:
        await api(memory, "drop_indexes")
        await api(memory, "setup")
    assert await api(memory, "delete_user", user) == 4  # the reindexed lunch session
    assert await api(memory, "delete_user", "bob@example.com") == len(msgs) + 8
    assert await api(memory, "list_sessions", user) == []
    assert await api(memory, "list_users") == []


# -- TLS ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def tls_server(
    redis_paths: dict[str, str], certs: Certs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RedisProcess]:
    with RedisProcess(redis_paths, tmp_path_factory.mktemp("tls"), certs=certs) as server:
        with server.admin() as admin:
            add_users(admin)
        yield server


@pytest.fixture
def tls(tls_server: RedisProcess) -> RedisProcess:
    with tls_server.admin() as admin:
        reset(admin)
    return tls_server


def _tls_kwargs(server: RedisProcess) -> dict[str, Any]:
    c = server.certs
    assert c is not None
    return dict(
        host="127.0.0.1",
        port=server.port,
        ssl=True,
        ssl_cert_reqs="required",
        ssl_ca_certs=str(c.ca),
        ssl_certfile=str(c.client_cert),
        ssl_keyfile=str(c.client_key),
    )


@pytest.mark.parametrize("how", ["url", "clients"])
async def test_every_operation_over_tls(api: Api, tls: RedisProcess, make_memory: MakeMemory, how: str) -> None:
    """``url``: a rediss:// URL with the CA and the client certificate in its query, as the
    least-privileged user. ``clients``: TLS clients built by the caller and passed in."""
    made: list[RedisSessionMemory] = []

    def make(embeddings: Any, **kw: Any) -> RedisSessionMemory:
        if how == "url":
            memory = make_memory(tls.url(APP, PASSWORD), config=CONFIG, embeddings=embeddings, **kw)
            assert repr(memory).startswith("RedisSessionMemory('rediss://sessionmem:***@127.0.0.1:")
        else:
            tkw = _tls_kwargs(tls)
            memory = make_memory(
                client=redis.Redis(**tkw), async_client=aredis.Redis(**tkw), config=CONFIG, embeddings=embeddings, **kw
            )
            assert repr(memory).startswith(f"RedisSessionMemory('rediss://127.0.0.1:{tls.port}/0'")
        made.append(memory)
        return memory

    try:
        await exercise(api, make)
        for memory in made:
            client = memory._backend._client or memory._backend.async_client  # the async one of this loop
            assert client is not None and "SSL" in client.connection_pool.connection_class.__name__
        with tls.admin() as admin:
            assert acl_denials(admin) == []
            assert admin.dbsize() == 0, "delete_user left keys behind"
    finally:
        if how == "clients":
            for memory in made:  # clients passed in are the caller's to close
                memory._backend.client.close()
                await memory._backend.async_client.aclose()


def test_the_cli_over_tls(tls: RedisProcess, make_memory: MakeMemory) -> None:
    url = tls.url(APP, PASSWORD)
    memory = make_memory(url, config=SessionMemConfig(), setup=True)  # the CLI's default prefix
    memory.history("alice", "trip").add_messages([HumanMessage("Plan three days in Rome."), AIMessage("Sure.")])
    for args, shown in ((["users"], "alice"), (["stats"], "messages"), (["delete-user", "alice", "--yes"], "deleted")):
        result = CliRunner().invoke(cli, ["--url", url, *args])
        assert result.exit_code == 0 and shown in result.output, (args, result.output)


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("plaintext client", "Connection reset by peer|Connection closed by server|Error while reading"),
        ("client that does not trust the server's CA", "CERTIFICATE_VERIFY_FAILED"),
        ("client without a certificate", "EOF|Connection reset|Connection closed|alert"),
    ],
)
async def test_a_wrong_client_fails_at_once_with_redis_unavailable(
    api: Api, tls: RedisProcess, make_memory: MakeMemory, case: str, error: str
) -> None:
    assert tls.certs is not None
    url = {
        "plaintext client": f"redis://127.0.0.1:{tls.port}/0",
        "client that does not trust the server's CA": tls.url(ssl_ca_certs=str(tls.certs.other_ca)),
        "client without a certificate": tls.url(ssl_certfile="", ssl_keyfile=""),
    }[case]
    memory = make_memory(url, config=CONFIG)
    for call in [(memory, "setup"), (memory.history("u", "s"), "add_messages", [HumanMessage("x")])]:
        start = time.monotonic()
        with pytest.raises(RedisUnavailableError, match=error) as info:
            await api(*call)
        assert time.monotonic() - start < 5, f"{case}: took {time.monotonic() - start:.1f} s to fail"
        assert f"127.0.0.1:{tls.port}" in str(info.value)


# -- ACL ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def acl_server(redis_paths: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    with RedisProcess(redis_paths, tmp_path_factory.mktemp("acl")) as server:
        with server.admin() as admin:
            add_users(admin)
        yield server


@pytest.fixture
def acl(acl_server: RedisProcess) -> RedisProcess:
    with acl_server.admin() as admin:
        reset(admin)
    return acl_server


def _memory_as(make_memory: MakeMemory, server: RedisProcess, user: str, **query: str) -> Make:
    return functools.partial(make_memory, server.url(user, PASSWORD, **query), config=CONFIG)


@pytest.mark.parametrize("protocol", ["3", "2"])  # redis-py 8 speaks RESP3 (HELLO 3 AUTH) unless told otherwise
async def test_the_documented_rules_are_enough_for_every_operation(
    api: Api, acl: RedisProcess, make_memory: MakeMemory, protocol: str
) -> None:
    await exercise(api, _memory_as(make_memory, acl, APP, protocol=protocol))
    with acl.admin() as admin:
        assert acl_denials(admin) == [], "a command the package sends is missing from docs/acl.txt"
        assert admin.dbsize() == 0


def test_the_cli_works_with_the_documented_rules(acl: RedisProcess, make_memory: MakeMemory) -> None:
    memory = _memory_as(make_memory, acl, APP)(setup=True)
    memory.history("alice", "trip").add_messages([HumanMessage("Plan three days in Rome."), AIMessage("Sure.")])
    url = acl.url(APP, PASSWORD)
    for args in (["users"], ["sessions", "alice"], ["show", "alice", "trip", "--context"], ["stats"],
                 ["export", "--user", "alice", "-o", "-"], ["delete-user", "alice", "--yes"]):  # fmt: skip
        result = CliRunner().invoke(cli, ["--url", url, *args])
        assert result.exit_code == 0, (args, result.output)
    with acl.admin() as admin:
        assert acl_denials(admin) == []
        assert admin.dbsize() == 0


async def test_a_runtime_user_without_index_management_uses_existing_indexes(
    api: Api, acl: RedisProcess, make_memory: MakeMemory
) -> None:
    """The split README recommends: setup() once as a user with the full rules, then run the
    application as a user without FT.CREATE / FT.DROPINDEX (which can then create no index over
    keys it may not read, see test_an_index_over_other_keys_cannot_expose_them)."""
    admin_memory = _memory_as(make_memory, acl, APP)(embeddings=HashingEmbeddings(64))
    await api(admin_memory, "setup")
    await exercise(api, _memory_as(make_memory, acl, RUNTIME), index_admin=False)
    runtime = _memory_as(make_memory, acl, RUNTIME)(embeddings=HashingEmbeddings(64))
    with pytest.raises(RedisCommandError, match="no permissions to run the 'FT.DROPINDEX' command"):
        await api(runtime, "drop_indexes")
    await api(admin_memory, "drop_indexes")
    with pytest.raises(RedisCommandError, match="no permissions to run the 'FT.CREATE' command"):
        await api(runtime, "setup")
    with acl.admin() as admin:
        assert [d.split(" (")[0] for d in acl_denials(admin)] == ["command FT.CREATE", "command FT.DROPINDEX"]


@pytest.fixture
def other_app(acl: RedisProcess) -> Iterator[redis.Redis]:
    """Another application's data on the same server, and a client of the least-privileged user."""
    with acl.admin() as admin:
        admin.set("other:str", "secret")
        admin.hset("other:h", "f", "secret")
        admin.execute_command("JSON.SET", "other:j", "$", '{"f": "secret"}')
        admin.execute_command("FT.CREATE", "other:idx", "ON", "HASH", "PREFIX", "1", "other:", "SCHEMA", "f", "TEXT")
    with redis.Redis.from_url(acl.url(APP, PASSWORD), decode_responses=True) as client:
        yield client
    with acl.admin() as admin:
        assert admin.get("other:str") == b"secret" and admin.hget("other:h", "f") == b"secret"


DENIED = [
    ("GET", "other:str"),
    ("SET", "other:str", "x"),
    ("HGET", "other:h", "f"),
    ("HGETALL", "other:h"),
    ("HSET", "other:h", "f", "x"),
    ("JSON.GET", "other:j"),
    ("JSON.SET", "other:j", "$.f", '"x"'),
    ("JSON.MGET", "other:j", f"{PREFIX}x", "."),
    ("UNLINK", "other:str"),
    ("EXISTS", "other:str"),
    ("PEXPIREAT", "other:str", "1"),
    ("EVAL", "return redis.call('GET', KEYS[1])", "1", "other:str"),
    ("EVAL", "return redis.call('HGET', 'other:h', 'f')", "0"),
    ("EVAL", "return redis.call('UNLINK', 'other:str')", "0"),
    ("FT.SEARCH", "other:idx", "*"),
    ("FT.INFO", "other:idx"),
    ("FT.DROPINDEX", "other:idx"),
    ("FT.CREATE", "other:idx2", "ON", "HASH", "PREFIX", "1", "other:", "SCHEMA", "f", "TEXT"),
    ("FT.AGGREGATE", "other:idx", "*"),
    ("KEYS", "*"),
    ("FLUSHALL",),
    ("FLUSHDB",),
    ("CONFIG", "GET", "*"),
    ("ACL", "LIST"),
    ("SCRIPT", "FLUSH"),
    ("SUBSCRIBE", "chan"),
    ("PUBLISH", "chan", "x"),
    ("CLIENT", "LIST"),
    ("CLIENT", "KILL", "ID", "1"),
    ("SHUTDOWN",),
    ("MODULE", "LIST"),
]


@pytest.mark.parametrize("command", DENIED, ids=lambda c: " ".join(c[:2]))
def test_the_documented_rules_refuse_everything_else(other_app: redis.Redis, command: tuple[str, ...]) -> None:
    with pytest.raises(redis.ResponseError, match="(?i)no permissions|ACL failure"):
        other_app.execute_command(*command)


async def test_the_package_configured_outside_the_rules_is_refused_and_changes_nothing(
    api: Api, acl: RedisProcess, other_app: redis.Redis, make_memory: MakeMemory
) -> None:
    for cfg in (
        SessionMemConfig(key_prefix="other:", index_name="other:idx"),  # another app's prefix and index
        SessionMemConfig(index_name="idx-outside-the-prefix"),  # keys allowed, index name not
    ):
        memory = make_memory(acl.url(APP, PASSWORD), config=cfg)
        with pytest.raises(RedisCommandError, match="(?i)no permissions"):
            await api(memory, "setup")
        if cfg.key_prefix == "other:":
            with pytest.raises(RedisCommandError, match="(?i)no permissions"):
                await api(memory.history("u", "s"), "add_messages", [HumanMessage("x")])
            with pytest.raises(RedisCommandError, match="(?i)no permissions"):
                await api(memory, "delete_user", "u")
    with acl.admin() as admin:
        assert sorted(admin.keys("*")) == [b"other:h", b"other:j", b"other:str"]


def test_names_are_visible_values_are_not(other_app: redis.Redis) -> None:
    """What the rules cannot hide (README): SCAN lists every key name of the database; ACL key
    patterns do not filter it. Values stay refused, and FT._LIST (every index name) is not granted."""
    assert {"other:str", "other:h", "other:j"} <= set(other_app.scan_iter(count=1000))
    with pytest.raises(redis.ResponseError, match="(?i)no permissions"):
        other_app.execute_command("FT._LIST")
    with pytest.raises(redis.ResponseError, match="(?i)no permissions"):
        other_app.execute_command("TYPE", "other:str")


def test_json_mget_cannot_read_outside_the_prefix(other_app: redis.Redis) -> None:
    """RedisJSON 2.8 declares only JSON.MGET's first key to ACL, so a user allowed JSON.MGET could
    read any JSON document through it. The package reads with JSON.GET only, and the rules leave
    JSON.MGET out."""
    for command in (
        ("JSON.MGET", f"{PREFIX}x", "other:j", "$"),
        ("EVAL", f"return redis.call('JSON.MGET', '{PREFIX}x', 'other:j', '$')", "0"),
    ):
        try:
            leaked = other_app.execute_command(*command)
        except redis.ResponseError:
            leaked = None
        assert leaked is None, f"{command[0]} returned another app's document: {leaked!r}"


def _spy(client: redis.Redis) -> Any:
    """Create an index (with a name the user may use) over another app's keys and search it."""
    client.execute_command("FT.CREATE", f"{PREFIX}spy", "ON", "HASH", "PREFIX", "1", "other:", "SCHEMA", "f", "TEXT")
    return client.execute_command("FT.SEARCH", f"{PREFIX}spy", "*")


def test_the_runtime_user_cannot_index_other_keys(other_app: redis.Redis, acl: RedisProcess) -> None:
    with redis.Redis.from_url(acl.url(RUNTIME, PASSWORD), decode_responses=True) as runtime:
        with pytest.raises(redis.ResponseError, match="no permissions to run the 'FT.CREATE' command"):
            _spy(runtime)


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="RediSearch 2.10 checks only the index name against ACL key patterns, not the prefixes it "
    "indexes (RediSearch 8 does): a user with FT.CREATE can index and read keys outside its patterns",
)
def test_an_index_over_other_keys_cannot_expose_them(other_app: redis.Redis) -> None:
    try:
        leaked = _spy(other_app)
    except redis.ResponseError:
        leaked = None
    assert leaked is None, f"the user with the full rules indexed and read another app's hash: {leaked!r}"


async def test_the_documented_rules_can_migrate_an_index_of_the_previous_schema(
    api: Api, acl: RedisProcess, make_memory: MakeMemory
) -> None:
    """setup() adds the ``ctx`` field to a message index of the previous schema with FT.ALTER: a user
    with the documented (index-managing) rules must be allowed to run it."""
    from langchain_sessionmem._search import SORTABLE_SCHEMA

    old = ["FT.CREATE", f"{PREFIX}idx", "ON", "JSON", "PREFIX", "1", f"{PREFIX}m:", "STOPWORDS", "0", "SCHEMA"]
    for path, name, kind, flags in SORTABLE_SCHEMA[:-1]:
        old += [path, "AS", name, kind, *flags]
    with acl.admin() as admin:
        admin.execute_command(*old)
    await api(_memory_as(make_memory, acl, APP)(), "setup")
    with acl.admin() as admin:
        assert acl_denials(admin) == []
        fields = admin.execute_command("FT.INFO", f"{PREFIX}idx")
        assert b"ctx" in str(fields).encode()


def test_the_readme_shows_the_documented_rules() -> None:
    """The README copies the rules of docs/acl.txt; a rule added there must show up in it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("ACL SETUSER sessionmem on >PASSWORD", 1)[1].split("```", 1)[0]
    assert sorted(block.split()) == sorted(acl_rules())
