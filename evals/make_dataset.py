"""Compose evals/data/conversations.json from the hand-written material in evals/corpus.py.

Deterministic: the same seed gives byte-identical output. Run from the repository root:

    .venv/bin/python -m evals.make_dataset            # (re)write the dataset
    .venv/bin/python -m evals.make_dataset --check    # fail if the file is out of date

Each session is a user's episodes in order, with shared filler exchanges (small talk, unrelated
how-tos) inserted between and after them until the session reaches a seeded length of 32-52
messages. Every labelled fact then gets one or two questions, each asked at the end of either
the same session (only when every gold turn lies beyond the session's last 10 messages) or a
later session of the same user. Gold turns are (session_id, 0-based index in that session).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from evals.corpus import FILLERS, USERS, Episode, Turn, UserPlan

SEED = 20250301
OUT = Path(__file__).parent / "data" / "conversations.json"
MIN_LEN, MAX_LEN = 30, 60  # hard bounds of a session, in messages
TARGET_LEN = (32, 52)  # seeded target length range
RECENT_WINDOW = 10  # a same-session question's gold turns all lie before the last 10 messages

# Words that say nothing about content: left out when measuring question/gold word overlap.
STOP = frozenset(
    """a about after again ago all also am an and any are as at be been before but by can could
    did do does earlier for from get give go going got had has have he her here him his how i if
    in into is it its just know last let like me mention mentioned more my name named of on once
    one or our out please recall remember remind said say should so some tell than that the their
    them then there these they thing this time to told turn up us was we week were what when where
    which who whom why will with would you your again yesterday other day days few couple weeks
    while back ago month bit re ll ve""".split()
)


def _stem(word: str) -> str:
    for suffix, repl in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + repl
    return word


def content_terms(text: str) -> set[str]:
    """Lower-cased, crudely stemmed content words (no stop-words, no 1-letter tokens)."""
    return {_stem(w) for w in re.findall(r"[^\W_]+", text.lower()) if w not in STOP and len(w) > 1}


def _when(rng: random.Random, same_session: bool, days: int) -> str:
    if same_session:
        return rng.choice(["earlier", "before", "a bit earlier"])
    if days <= 1:
        return "yesterday"
    if days <= 6:
        return rng.choice(["the other day", "a few days ago"])
    if days <= 13:
        return "last week"
    if days <= 27:
        return rng.choice(["a couple of weeks ago", "a few weeks ago"])
    return rng.choice(["last month", "a while back"])


def _slug(user: UserPlan) -> str:
    return user.name.split()[0].lower()


def _compose_session(rng: random.Random, episodes: tuple[Episode, ...], fillers: list[tuple[Turn, ...]]) -> list[Any]:
    """Blocks (episodes and fillers) of one session, filled up to a seeded target length."""
    slots: list[list[tuple[Turn, ...]]] = [[] for _ in range(len(episodes) + 1)]  # before each episode, and after
    size = sum(len(e.turns) for e in episodes)
    target = rng.randint(*TARGET_LEN)
    while size < target:
        filler = fillers.pop() if fillers else None
        if filler is None:
            break
        if size + len(filler) > MAX_LEN:
            continue
        # Favour the gaps after an episode (including the tail): conversations drift, then come back.
        slot = rng.choice(range(1, len(slots))) if rng.random() < 0.8 else 0
        slots[slot].append(filler)
        size += len(filler)
    blocks: list[Any] = []
    for i, episode in enumerate(episodes):
        blocks += slots[i]
        blocks.append(episode)
    blocks += slots[-1]
    return blocks


def build(seed: int = SEED) -> dict[str, Any]:
    rng = random.Random(seed)
    users_out: list[dict[str, Any]] = []
    questions: list[dict[str, Any]] = []
    kinds: Counter[str] = Counter()
    styles: Counter[str] = Counter()

    for user in USERS:
        fillers = list(FILLERS)
        rng.shuffle(fillers)
        sessions: list[dict[str, Any]] = []
        facts: list[tuple[int, Episode, str, list[int]]] = []  # (session number, episode, label, gold indices)
        for n, plan in enumerate(user.sessions):
            if sum(len(f) for f in fillers) < MAX_LEN:  # a long-running user may see an exchange again
                more = list(FILLERS)
                rng.shuffle(more)
                fillers = more + fillers
            session_id = f"{_slug(user)}-{plan.date}"
            messages: list[dict[str, str]] = []
            for block in _compose_session(rng, plan.episodes, fillers):
                turns = block.turns if isinstance(block, Episode) else block
                start = len(messages)
                messages += [{"type": t.role, "content": t.text} for t in turns]
                if isinstance(block, Episode):
                    for label in block.questions:
                        gold = [start + i for i, t in enumerate(turns) if t.label == label]
                        facts.append((n, block, label, gold))
            if not MIN_LEN <= len(messages) <= MAX_LEN:
                raise SystemExit(f"{session_id}: {len(messages)} messages, outside [{MIN_LEN}, {MAX_LEN}]")
            sessions.append({"session_id": session_id, "date": plan.date, "messages": messages})

        for n, episode, label, gold in facts:
            src = sessions[n]
            same_ok = max(gold) < len(src["messages"]) - RECENT_WINDOW
            later = list(range(n + 1, len(sessions)))
            gold_terms = set().union(*(content_terms(src["messages"][i]["content"]) for i in gold))
            variants = list(episode.questions[label])
            rng.shuffle(variants)
            picks: list[str] = []
            for _ in range(2 if len(variants) >= 3 else 1):
                # Prefer the style (shares a content word with the gold turns or not) asked less so far.
                text = min(
                    (v for v in variants if v not in picks),
                    key=lambda v: styles["lexical" if content_terms(v) & gold_terms else "paraphrase"],
                )
                picks.append(text)
                styles["lexical" if content_terms(text) & gold_terms else "paraphrase"] += 1
            for text in picks:
                options = (["same_session"] if same_ok else []) + (["cross_session"] if later else [])
                if not options:
                    continue  # the last episode of a user's last session, too close to its end
                kind = min(options, key=lambda k: (kinds[k], rng.random()))
                kinds[kind] += 1
                asked = n if kind == "same_session" else rng.choice(later)
                dst = sessions[asked]
                days = (date.fromisoformat(dst["date"]) - date.fromisoformat(src["date"])).days
                question = text.replace("{when}", _when(rng, kind == "same_session", days))
                shared = sorted(content_terms(question) & gold_terms)
                questions.append(
                    {
                        "user_id": user.user_id,
                        "session_id": dst["session_id"],
                        "question": question,
                        "gold": [{"session_id": src["session_id"], "index": i} for i in gold],
                        "kind": kind,
                        "style": "lexical" if shared else "paraphrase",
                        "shared_terms": shared,
                        "topic": episode.topic,
                        "fact": f"{episode.key}:{label}",
                        "distance_back": (len(src["messages"]) - max(gold)) if kind == "same_session" else None,
                    }
                )
        users_out.append({"user_id": user.user_id, "name": user.name, "sessions": sessions})

    for i, q in enumerate(questions, 1):
        q["id"] = f"q{i:03d}"
    questions = [{"id": q.pop("id"), **q} for q in questions]
    return {
        "description": (
            "Multi-session chat histories of several users and questions that refer back to earlier "
            "turns, for recall@k of langchain-sessionmem retrieval. Gold turns are (session_id, 0-based "
            "message index in that session). Each question is asked at the end of its session_id; "
            "same_session gold lies beyond that session's last 10 messages."
        ),
        "generator": "evals/make_dataset.py",
        "seed": seed,
        "users": users_out,
        "questions": questions,
    }


def stats(data: dict[str, Any]) -> dict[str, Any]:
    sessions = [s for u in data["users"] for s in u["sessions"]]
    lengths = [len(s["messages"]) for s in sessions]
    qs = data["questions"]
    return {
        "users": len(data["users"]),
        "sessions": len(sessions),
        "messages": sum(lengths),
        "session_length_min_max": [min(lengths), max(lengths)],
        "questions": len(qs),
        "by_kind": dict(Counter(q["kind"] for q in qs)),
        "by_style": dict(Counter(q["style"] for q in qs)),
        "by_topic": dict(sorted(Counter(q["topic"] for q in qs).items())),
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="fail if --out differs from a fresh build")
    args = parser.parse_args(argv)
    data = build(args.seed)
    text = render(data)
    if args.check:
        if not args.out.exists() or args.out.read_text(encoding="utf-8") != text:
            sys.stderr.write(f"{args.out} is out of date: run python -m evals.make_dataset\n")
            return 1
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(json.dumps(stats(data), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
