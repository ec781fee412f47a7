"""BaseMessage <-> stored JSON document. Pure: no I/O.

A message is stored as LangChain's own ``message_to_dict`` output, made compact without losing
anything:

- ``type`` moves to the top level (it is also the indexed role tag);
- fields equal to their class default (``name=None``, ``additional_kwargs={}``, ...) are left out,
  since rebuilding the message restores exactly those defaults;
- string content is stored once, as the indexed ``text``; list (multimodal) content stays in
  ``data.content`` and ``text`` holds its text parts, so it is searchable too.

Document: ``{"seq", "ts", "x", "uh", "sh", "type", "text", "data"?}``, ``data`` as one JSON string (older
documents hold it as an object; both decode). ``seq``, ``ts`` and ``x`` are written by
the server-side append script, which prepends them to the bytes built here: ``x`` is
``"c0 tok"`` or ``"c0 tok eth"`` (the session's tokens before the message, its own, and the
digest of the text its vector was made from), one member where documents of version 0.1.0 have three,
since RedisJSON stores an object of up to 8 members in about 215 bytes less. With encryption
(encryption.py), ``text`` is empty and ``enc`` holds ``{"text", "data"?}`` sealed for the user, with
the document's ``uh`` and ``sh`` as additional data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    BaseMessageChunk,
    ChatMessage,
    ChatMessageChunk,
    FunctionMessage,
    FunctionMessageChunk,
    HumanMessage,
    HumanMessageChunk,
    RemoveMessage,
    SystemMessage,
    SystemMessageChunk,
    ToolMessage,
    ToolMessageChunk,
    message_chunk_to_message,
    message_to_dict,
    messages_from_dict,
)

from langchain_sessionmem.encryption import MARK, is_sealed
from langchain_sessionmem.errors import (
    EncryptionError,
    InvalidMessageError,
    MessageSerializationError,
    MessageTooLargeError,
)

if TYPE_CHECKING:
    from langchain_sessionmem.encryption import UserCipher

_DUMPS = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode

try:  # parses a read's documents about twice as fast as json; langsmith (a LangChain dependency) brings it
    import orjson as _orjson
except ImportError:  # pragma: no cover - PyPy, or an environment without it: json alone
    _orjson = None  # type: ignore[assignment]


def _load_doc(raw: bytes | str) -> Any:
    """A stored document as RedisJSON returns it, through orjson when installed. Only the outer
    document: it holds strings and integers below 2**63 (seq, ts, tok, c0). Never ``data``: orjson
    turns an integer beyond 64 bits into a float without a word, json keeps it exact."""
    if _orjson is not None:
        try:
            return _orjson.loads(raw)
        except _orjson.JSONDecodeError:  # not expected; json then says what is wrong
            pass
    return json.loads(raw)


@cache
def _defaults(cls: type[BaseMessage]) -> dict[str, Any]:
    """Field name -> default value, for the fields of ``cls`` that have one."""
    out: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        if field.default_factory is not None:
            out[name] = field.default_factory()  # type: ignore[call-arg]
        elif not field.is_required():
            out[name] = field.default
    return out


def reply_text(value: Any) -> str:
    """A Redis reply value as text (redis-py returns bytes unless the client decodes responses)."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def optional_text(value: Any) -> str | None:
    """``reply_text`` of a reply value that may be nil (a missing hash field or key): None then."""
    return None if value is None else reply_text(value)


def content_text(content: str | list[Any], placeholders: bool = False) -> str:
    """The searchable text of a message content: the string, or the text parts of a list.

    With ``placeholders``, other blocks (images, audio) show as ``[<type>]``, for display.
    """
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif placeholders:
            kind = block.get("type", "block") if isinstance(block, dict) else type(block).__name__
            parts.append(f"[{kind}]")
    return "\n".join(parts)


def check_messages(messages: object) -> list[BaseMessage]:
    """Return ``messages`` as a list of messages to store, or raise InvalidMessageError naming
    the first bad item.

    A message chunk (``AIMessageChunk`` and the other ``*MessageChunk`` classes: what
    ``.stream()`` yields, and what RunnableWithMessageHistory stores after a stream) becomes the
    message it adds up to, with ``message_chunk_to_message``: the message ``invoke()`` returns
    for the same reply, since langchain_core builds that one the same way. So a streamed reply is
    stored, typed (``ai``), embedded, counted, filtered and shown exactly like an invoked one;
    only the chunk-only fields ``tool_call_chunks`` and ``chunk_position`` are not kept (the
    tool calls they add up to are).
    """
    if isinstance(messages, BaseMessage) or not isinstance(messages, Iterable) or isinstance(messages, (str, bytes)):
        raise InvalidMessageError(
            f"expected a sequence of BaseMessage, got {type(messages).__name__}; wrap a single message in a list"
        )
    out = list(messages)
    for i, m in enumerate(out):
        if not isinstance(m, BaseMessage):
            raise InvalidMessageError(
                f"message #{i} is {type(m).__name__} {m!r:.80}, not a langchain_core BaseMessage; nothing was stored"
            )
        if isinstance(m, BaseMessageChunk):
            out[i] = message_chunk_to_message(m)
    return out


def _aad(uh: str, sh: str) -> bytes:
    return f"{uh}:{sh}".encode()


_NO_CIPHER = (
    "this data is stored encrypted: pass RedisSessionMemory(..., encryption=ContentEncryption(...)) with the "
    "key provider it was written with"
)


def seal_text(text: str, uh: str, sh: str, cipher: UserCipher | None) -> str:
    """A session's free text derived from its messages (the running summary), sealed if encrypting."""
    return text if cipher is None else cipher.seal(text.encode("utf-8"), _aad(uh, sh) + b":summary")


def open_text(value: str, uh: str, sh: str, cipher: UserCipher | None) -> str:
    if not is_sealed(value):
        return value
    if cipher is None:
        raise EncryptionError(_NO_CIPHER)
    return cipher.open(value, _aad(uh, sh) + b":summary").decode("utf-8")


def sealed_with(value: str | bytes | None, cipher: UserCipher) -> bool:
    """Whether a stored sealed value uses the cipher's current key."""
    text = reply_text(value or "")
    return text.startswith(f"{MARK}{cipher.current}:")


def reseal_doc(raw: bytes | str, cipher: UserCipher) -> tuple[int, str] | None:
    """``(seq, sealed content)`` for a stored document not sealed with the current key (a plain
    one included), or None when it already is."""
    doc = json.loads(raw)
    if sealed_with(doc.get("enc"), cipher):
        return None
    aad = _aad(doc["uh"], doc["sh"])
    plain = (
        cipher.open(doc["enc"], aad)
        if "enc" in doc
        else _DUMPS({k: doc[k] for k in ("text", "data") if k in doc}).encode("utf-8")
    )
    return int(doc["seq"]), cipher.seal(plain, aad)


# The types messages_from_dict rebuilds; anything else would be stored and then make every read fail.
REBUILDABLE = frozenset(
    {"human", "ai", "system", "chat", "function", "tool", "remove"}
    | {f"{kind}MessageChunk" for kind in ("AI", "Human", "System", "Chat", "Function", "Tool")}
)
MAX_DEPTH = 125  # nesting levels accepted in a message's fields, well inside Python's json recursion limit


def _check_json(value: Any, depth: int = 0) -> None:
    """Refuse what JSON would silently change (non-str keys, tuples) or cannot hold (too deep)."""
    if depth > MAX_DEPTH:
        raise ValueError(f"a value is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"dict key {key!r} is a {type(key).__name__}: JSON would turn it into a str")
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)
    elif isinstance(value, tuple):
        raise ValueError(f"{value!r:.40} is a tuple: JSON would turn it into a list")


def encode_message(message: BaseMessage, uh: str, sh: str, max_bytes: int, cipher: UserCipher | None = None) -> bytes:
    """Encode one message as a document without ``seq``/``ts`` (the server adds those).

    Everything but the text is kept as one JSON string (``data``), written and read by Python's
    json: RedisJSON would round some floats 1 ulp off and turn integers beyond 64 bits into floats,
    and is never asked to search these fields anyway."""
    if isinstance(message, BaseMessageChunk):  # stored as the message it adds up to: see check_messages
        message = message_chunk_to_message(message)
    as_dict = message_to_dict(message)
    if as_dict["type"] not in REBUILDABLE:
        raise InvalidMessageError(
            f"{type(message).__name__} has type {as_dict['type']!r}, which LangChain's messages_from_dict cannot "
            "rebuild, so it could never be read back; store it as one of LangChain's message classes. Nothing "
            "was stored"
        )
    data: dict[str, Any] = as_dict["data"]
    defaults = _defaults(type(message))
    compact = {k: v for k, v in data.items() if k != "type" and not (k in defaults and v == defaults[k])}
    content = compact.pop("content", "")
    doc: dict[str, Any] = {"uh": uh, "sh": sh, "type": as_dict["type"], "text": content_text(content)}
    if not isinstance(content, str):
        compact["content"] = content
    try:
        if compact:
            _check_json(compact)
            doc["data"] = _DUMPS(compact)
        if cipher is not None:
            secret = {k: doc.pop(k) for k in ("text", "data") if k in doc}
            doc["text"], doc["enc"] = "", cipher.seal(_DUMPS(secret).encode("utf-8"), _aad(uh, sh))
        raw = _DUMPS(doc).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:  # unserialisable, NaN/inf, lone surrogate, tuple
        raise MessageSerializationError(
            f"cannot store {type(message).__name__} (id={message.id!r}) as JSON: {exc}. "
            "Keep content, additional_kwargs, response_metadata and artifact to JSON types "
            "(str, numbers, bool, None, lists, dicts with str keys); nothing was stored"
        ) from exc
    if len(raw) > max_bytes:
        raise MessageTooLargeError(
            f"{type(message).__name__} (id={message.id!r}) encodes to {len(raw)} bytes, above "
            f"max_message_bytes={max_bytes}; split it or raise SessionMemConfig.max_message_bytes. "
            "Nothing was stored"
        )
    return raw


def encode_messages(
    messages: Sequence[BaseMessage], uh: str, sh: str, max_bytes: int, cipher: UserCipher | None = None
) -> list[bytes]:
    """Encode a batch; raises before anything is sent if any message is unusable."""
    return [encode_message(m, uh, sh, max_bytes, cipher) for m in check_messages(messages)]


def mark_embedded(raw: bytes, mark: str) -> bytes:
    """Add the ``emb`` field to an encoded document: the embedding-model fingerprint of its
    vector, or ``"pending"`` when embedding failed (``mark`` is hex or a plain word). The digest
    of the text the vector was made from, which ``reindex(verify=True)`` checks, is stored by the
    append script in the document's ``x`` (see ``embedded_text_digest``)."""
    return raw[:-1] + b',"emb":"' + mark.encode() + b'"}'


def embedded_text_digest(doc: dict[str, Any]) -> str | None:
    """The digest of the text a stored document's vector was made from: the third part of its
    ``x`` ("c0 tok eth", written by the server), or its ``eth`` if stored by version 0.1.0; None: none."""
    x = doc.get("x")
    if x is None:
        return doc.get("eth")
    parts = x.split(" ")
    return parts[2] if len(parts) > 2 else None


def add_text_field(raw: bytes, name: str, value: str) -> bytes:
    """Add a string field to an encoded document (``name`` is a plain word chosen by this package)."""
    return raw[:-1] + b',"' + name.encode() + b'":' + _DUMPS(value).encode("utf-8") + b"}"


def _to_lc_dict(doc: dict[str, Any], cipher: UserCipher | None = None) -> dict[str, Any]:
    if "enc" in doc:
        if cipher is None:
            raise EncryptionError(_NO_CIPHER)
        doc.update(json.loads(cipher.open(doc["enc"], _aad(doc["uh"], doc["sh"]))))
    data = doc.get("data") or {}
    if isinstance(data, str):
        data = json.loads(data)
    if "content" not in data:
        data["content"] = doc["text"]
    return {"type": doc["type"], "data": data}


def decode_messages(raws: Iterable[bytes | str], cipher: UserCipher | None = None) -> list[BaseMessage]:
    """Decode stored documents, in the given order, back into messages."""
    return messages_from_dict([_to_lc_dict(_load_doc(raw), cipher) for raw in raws])


def decode_seq(raw: bytes | str) -> int:
    """The sequence number of a stored document; cheap (the server writes ``seq`` first)."""
    return int(json.loads(raw)["seq"])


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message with the position and time the server gave it."""

    seq: int
    timestamp_ms: int
    message: BaseMessage


def decode_stored(raw: bytes | str, cipher: UserCipher | None = None) -> StoredMessage:
    doc = _load_doc(raw)
    (message,) = messages_from_dict([_to_lc_dict(doc, cipher)])
    return StoredMessage(int(doc["seq"]), int(doc["ts"]), message)


def decode_stored_dict(raw: bytes | str, cipher: UserCipher | None = None) -> tuple[int, int, dict[str, Any]]:
    """(seq, ts, the message as ``message_to_dict`` gives it) of a stored document, without
    building the message: the stored fields and, restored, the defaults ``encode_message`` left
    out, in the class's field order (then any extra fields), as ``model_dump`` lists them. What
    the retriever's Documents carry; building and dumping the message would cost it about 5 µs a
    document for the same dict (tests/store/test_fuzz_messages.py compares the two)."""
    doc = _load_doc(raw)
    lc = _to_lc_dict(doc, cipher)
    data = lc["data"]
    out: dict[str, Any] = {}
    stored = 0
    for name, default in _dump_layout(lc["type"]):
        if name in data:
            out[name] = data[name]
            stored += 1
        elif default is not _REQUIRED:
            out[name] = type(default)() if type(default) in (dict, list) else default
    if stored < len(data):  # extra fields (pydantic keeps them), after the class's own
        out.update((name, value) for name, value in data.items() if name not in out)
    return int(doc["seq"]), int(doc["ts"]), {"type": lc["type"], "data": out}


_REQUIRED = object()
# The class messages_from_dict rebuilds for each stored type (REBUILDABLE); test_codec checks it.
_CLASSES: dict[str, type[BaseMessage]] = {
    "human": HumanMessage, "ai": AIMessage, "system": SystemMessage, "chat": ChatMessage,
    "function": FunctionMessage, "tool": ToolMessage, "remove": RemoveMessage,
    **{cls.__name__: cls for cls in (AIMessageChunk, HumanMessageChunk, SystemMessageChunk, ChatMessageChunk,
                                     FunctionMessageChunk, ToolMessageChunk)},
}  # fmt: skip


@cache
def _dump_layout(type_: str) -> tuple[tuple[str, Any], ...]:
    """(field, default or _REQUIRED) of the class ``messages_from_dict`` rebuilds for ``type_``, in
    field order. A default is an immutable value or an empty dict or list (checked here)."""
    cls = _CLASSES.get(type_)
    if cls is None:
        raise ValueError(f"Got unexpected message type: {type_}")  # what messages_from_dict says
    defaults = _defaults(cls)
    for value in defaults.values():
        if isinstance(value, (dict, list, set)) and (value or type(value) not in (dict, list)):
            raise TypeError(f"{cls.__name__} has a default this decoder would share between messages: {value!r}")
    return tuple((name, defaults.get(name, _REQUIRED)) for name in cls.model_fields)
