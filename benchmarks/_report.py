"""The results of ``benchmarks.compare``: markdown tables, raw JSON and matplotlib plots."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from benchmarks._harness import Series  # noqa: E402

FLOOR = "floor"
OURS = "sessionmem"
SHORT = 50  # compare.SHORT: throughput sessions grow from 0 to this many messages

COLD = "sessionmem-cold"
EXTRA_FLOORS = ("floor-hash", "floor-script")  # other layouts' floors, shown next to the floor of record

FLOORS_MD = """\
- **Chat history floor**: one RedisJSON document per message (`message_to_dict`) plus a per-session LIST of
  their numbers, written and read by one Lua script per call (1 round trip each): read = `LRANGE ids 0 -1` +
  `JSON.MGET <the documents> .` + `messages_from_dict`; append = `JSON.SET` of each document + `RPUSH` of
  its number (the server numbers them); get_recent(10) = the read script from `-10`. Sync and async
  (`redis.asyncio`) alike. No TTL (no implementation is given one), no index.
- **KNN floor**: the chat floor's documents plus one HASH per message (`user` tag, `v` FLOAT32 vector) under
  one FT index (`FLAT`, `COSINE`). Filtered KNN = one script: `FT.SEARCH idx "(@user:{u})=>[KNN 5 @v $vec]"
  PARAMS 2 vec <blob> NOCONTENT DIALECT 2`, then `JSON.MGET` of the hits' documents (1 round trip), +
  `messages_from_dict`; the query is embedded by the same fake embedder as everyone's. `floor-hash` (shown
  beside it) keeps the JSON in the vector HASH and needs only `FT.SEARCH ... RETURN 1 content`.
- **Memory floor**: the chat floor's documents + lists without vectors; with vectors the smallest layout,
  `floor-hash` (one HASH per message holding the JSON and the vector, + its index); `floor-script` is the
  KNN floor's layout. Each implementation is measured on a fresh server of its own.
"""


def _fmt_ms(x: float) -> str:
    return "—" if x is None or math.isnan(x) else (f"{x:.3f}" if x < 10 else f"{x:.1f}")


def _ratio(x: float | None) -> str:
    if x is None or math.isnan(x):
        return "—"
    return f"{x:.2f}×" if x < 10 else f"{x:.0f}×"


def _ratios(group: dict[str, Series], name: str) -> tuple[float, float]:
    floor, s = group.get(FLOOR), group[name]
    if floor is None or not floor.ms or not s.ms:
        return float("nan"), float("nan")
    return s.median / floor.median, s.p99 / floor.p99


def _completeness(s: Series) -> str:
    if s.returned is None:
        return "—"
    mark = " ⚠" if s.short else ""
    return f"{s.returned:,}/{s.expected:,}{mark}"


def _series_table(groups: dict[Any, dict[str, Series]], what: str, check: bool = False) -> list[str]:
    head = f"| {what} | implementation | median ms | p99 ms | × floor median | × floor p99 |"
    head += " round trips | server cmds | returned/stored |" + (" full read |" if check else "")
    lines = [head, "|" + "---:|---|" + "---:|" * 7 + ("---|" if check else "")]
    for key, group in groups.items():
        for name, s in group.items():
            rm, rp = _ratios(group, name)
            row = (
                f"| {key:,} | {name} | {_fmt_ms(s.median)} | {_fmt_ms(s.p99)} | {_ratio(rm)} | {_ratio(rp)} | "
                f"{s.round_trips:g} | {s.commands:g} | {_completeness(s)} |"
            )
            lines.append(row + (f" {s.note} |" if check else ""))
    return lines


def _short_names(results: dict[str, Any], upto: int | None = None) -> set[str]:
    """Implementations that returned fewer messages than stored on some read of the whole history
    (of a session of at most ``upto`` messages when given)."""
    return {
        name
        for w in ("turn", "chain")
        for n, g in results.get(w, {}).items()
        if upto is None or n <= upto
        for name, s in g.items()
        if s.short
    }


def _tp_median(rates: list[float]) -> float:
    return statistics.median(rates) if rates else float("nan")


# -- summary ------------------------------------------------------------------------------------------------


def _summary_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    names = list(results["impls"])
    extra = {n for g in results.get("memory", {}).values() for n in g} | set(results.get("knn", {}).get("series", {}))
    names[1:1] = [n for n in EXTRA_FLOORS if n in extra]
    rows: list[list[str]] = []

    def add(label: str, group: dict[str, Series], cols: list[str]) -> None:
        cells = [label]
        for name in cols:
            if name not in group:
                cells.append("n/a")
                continue
            rm, rp = _ratios(group, name)
            cells.append(f"{_ratio(rm)} / {_ratio(rp)}" + (" ⚠" if group[name].short else ""))
        rows.append(cells)

    for n, group in results.get("turn", {}).items():
        add(f"turn, {n:,} msgs", group, names)
    for n, group in results.get("recent", {}).items():
        add(f"get_recent(10), {n:,} msgs", group, names)
    for n, group in results.get("chain", {}).items():
        add(f"RunnableWithMessageHistory, {n:,} msgs", group, names)
        if "sessionmem-plain" in group:
            rm, rp = _ratios(group, "sessionmem-plain")
            rows[-1][names.index(OURS) + 1] += f" (plain factory {_ratio(rm)} / {_ratio(rp)})"
    if "knn" in results:
        add(f"KNN k=5, {results['knn']['messages']:,} msgs", results["knn"]["series"], names)
    for label, group in results.get("memory", {}).items():
        floor = group.get(FLOOR, {}).get("total_per_msg")
        cells = [f"memory/msg, {label}"]
        for name in names:
            m = group.get(name)
            cells.append("n/a" if m is None or not floor else _ratio(m["total_per_msg"] / floor))
        rows.append(cells)
    for kind in ("threads", "asyncio"):
        tp = results.get("throughput", {}).get(kind)
        if not tp:
            continue
        floor = _tp_median(tp.get(FLOOR, []))
        cells = [f"throughput, 16 {kind} (turns/s ratio, higher is better)"]
        short = _short_names(results, upto=SHORT)  # the throughput sessions grow from 0 to SHORT messages
        for name in names:
            mark = " ⚠" if name in short else ""
            cells.append(_ratio(_tp_median(tp[name]) / floor) + mark if tp.get(name) else "n/a")
        rows.append(cells)
    return ["workload (ratio to floor: median / p99)", *names], rows


def summary(results: dict[str, Any]) -> str:
    head, rows = _summary_rows(results)
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *("| " + " | ".join(r) + " |" for r in rows)]


# -- targets --------------------------------------------------------------------------------------------------


# Issue 15's targets: (workload, sizes or None for all, limit on the median ratio).
TURN_SHORT, TURN_LONG, RECENT, THROUGHPUT, KNN = 1.5, 1.15, 1.2, 1.0, 1.5
MEMORY = {"no vectors": 1.6, "384-d vectors": 1.2}


def targets(results: dict[str, Any]) -> list[list[str]]:
    """Issue 15's targets for this package, as a memory that has read the session (``sessionmem``) and
    as one that has not (``sessionmem-cold``), judged on the median ratio (p99 shown)."""
    rows: list[list[str]] = []

    def ok(good: bool) -> str:
        return "✅" if good else "❌"

    def ratio_row(label: str, group: dict[str, Series], name: str, limit: float) -> None:
        if name in group and FLOOR in group:
            rm, rp = _ratios(group, name)
            rows.append([f"{label}, {name}: ≤ {limit}× floor", f"{rm:.2f}× (p99 {rp:.2f}×)", ok(rm <= limit)])

    for n, group in results.get("turn", {}).items():
        for name in (OURS, COLD):
            ratio_row(f"turn {n:,}", group, name, TURN_SHORT if n <= 10 else TURN_LONG)
    for n, group in results.get("recent", {}).items():
        ratio_row(f"get_recent(10) at {n:,}, never read before", group, COLD, RECENT)
    for kind in ("threads", "asyncio"):
        tp = results.get("throughput", {}).get(kind, {})
        for name in (OURS, COLD):
            if tp.get(name) and tp.get(FLOOR):
                r = _tp_median(tp[name]) / _tp_median(tp[FLOOR])
                rows.append([f"throughput, 16 {kind}, {name}: ≥ {THROUGHPUT}× floor", f"{r:.2f}×", ok(r >= THROUGHPUT)])
    if "knn" in results:
        ratio_row("KNN k=5", results["knn"]["series"], OURS, KNN)
    for label, group in results.get("memory", {}).items():
        if OURS in group and FLOOR in group and label in MEMORY:
            r = group[OURS]["total_per_msg"] / group[FLOOR]["total_per_msg"]
            rows.append([f"memory/message, {label}: ≤ {MEMORY[label]}× floor", f"{r:.2f}×", ok(r <= MEMORY[label])])
    return rows


# -- markdown ----------------------------------------------------------------------------------------------


def markdown(results: dict[str, Any], plots: list[str]) -> str:
    env, p = results["environment"], results["params"]
    mode = p["mode"]
    out = [
        "# Side by side: Redis chat histories for LangChain",
        "",
        f"Generated by `python -m benchmarks.compare --{mode}` (issues 5, 15); re-run it rather than editing it.",
        "",
        f"- Date: {env['date']}; wall clock {results.get('wall_s', 0):.0f} s",
        f"- Machine: {env['machine']}",
        f"- Python: {env['python']}; server: {env['server']}; RESP protocol: "
        f"{results.get('protocol') or 'redis-py default (3)'} (langchain-redis: 2, see its notes)",
        "- Packages: " + ", ".join(f"{k} {v}" for k, v in env["packages"].items()),
        f"- langchain-sessionmem at git {env['git']}",
        f"- Mode `{mode}`: sizes {', '.join(f'{n:,}' for n in p['sizes'])}; {p['small_reps']} timed repetitions "
        f"at <= 100 messages, {p['reps']} above, after "
        f"{p['warmup']} warm-up ones per point (p99 of fewer than 100 samples is close to the maximum); "
        f"round trips and server commands averaged over {p['cost_ops']} more calls; KNN corpus "
        f"{p['knn_users'] * p['knn_per_user']:,} messages of {p['knn_users']:,} users, {p['knn_queries']} queries; "
        f"memory over {p['mem_sessions'] * p['mem_per_session']:,} messages in {p['mem_sessions']} sessions; "
        f"throughput {p['tp_workers']} workers x {p['tp_seconds']:g} s x {p['tp_reps']} repetition(s).",
    ]
    if mode != "full":
        corpus = p["knn_users"] * p["knn_per_user"]
        out.append(f"- **Quick mode**: fewer repetitions, no 5,000-message point, a {corpus:,}-message KNN corpus "
                   f"({p['knn_users']} users) instead of 100,000 (1,000 users), shorter throughput runs: a smoke "
                   "test. Use `--full` for the numbers of record.")  # fmt: skip
    out += [
        "",
        "Ratios are to the floor measured in the same run, interleaved (< 1× is faster than the floor; for "
        "throughput > 1× is better). ⚠ = the implementation returned fewer messages than were stored.",
        "",
        "## Summary",
        "",
    ]
    head, rows = _summary_rows(results)
    out += _md_table(head, rows)
    out += ["", "## Targets (issue 15), for langchain-sessionmem (judged on the median ratio)", ""]
    out += _md_table(["target", "measured", "met"], targets(results))
    out += ["", "## Floors", "", FLOORS_MD, "## Implementations", ""]
    rows = [
        [name, i["label"], i["storage"], i["async"], i["recent"], i["notes"] or ""]
        for name, i in results["impls"].items()
    ]
    out += _md_table(["name", "class", "storage", "async API", "get_recent(k)", "notes"], rows)
    out += [
        "",
        "`executor`: the library has no async API; LangChain's `BaseChatMessageHistory` defaults run the sync "
        "call in the event loop's default thread pool (min(32, cores + 4) threads).",
        "",
    ]
    if "turn" in results:
        out += ["## (a) Chat turn: read the whole history, append a human and an AI message", ""]
        out += _series_table(results["turn"], "messages", check=True)
        out += [
            "",
            "`full read`: one `messages` read after the run, compared with everything written to the session.",
            "",
        ]
        out += ["## (b) get_recent(10)", ""]
        out += _series_table(results["recent"], "messages")
        out.append("")
    if "memory" in results:
        out += ["## (c) Memory per message (bytes), indexes included", ""]
        out += [
            "`keys`: `MEMORY USAGE key SAMPLES 0` summed over the implementation's keys; `index`: FT.INFO "
            "`total_index_memory_sz_mb` (inverted index, doc and key tables, sortables, tag/text overhead) + "
            "`vector_index_sz_mb`; `used_memory`: the INFO memory delta over the load (cross-check, includes "
            "allocator slack).",
            "",
        ]
        for label, group in results["memory"].items():
            floor = group.get(FLOOR, {}).get("total_per_msg")
            rows = []
            for name, m in group.items():
                rows.append([name, f"{m['keys_per_msg']:.0f}", f"{m['index_per_msg']:.0f}", f"{m['total_per_msg']:.0f}",
                             _ratio(m["total_per_msg"] / floor) if floor else "—", f"{m['used_memory_per_msg']:.0f}",
                             f"{m['keys']:,}"])  # fmt: skip
            out += [f"### {label}", ""]
            out += _md_table(["implementation", "keys", "index", "total", "× floor", "used_memory", "keys"], rows)
            out.append("")
    if "knn" in results:
        k = results["knn"]
        out += [f"## (d) Filtered KNN k=5: one user among {k['messages']:,} messages of {k['users']:,} users", ""]
        out += _series_table({k["messages"]: k["series"]}, "messages")
        out += ["", "Load time (through each API, 100 messages per call): "
                + ", ".join(f"{n} {s:.1f} s" for n, s in k["load_s"].items())
                + ". langchain-redis, redisvl MessageHistory and langchain-community have no vector search (n/a).",
                ""]  # fmt: skip
    if "throughput" in results:
        tp = results["throughput"]
        floor_t, floor_a = _tp_median(tp["threads"].get(FLOOR, [])), _tp_median(tp["asyncio"].get(FLOOR, []))
        rows = []
        for name in tp["threads"]:
            t, a = _tp_median(tp["threads"][name]), _tp_median(tp["asyncio"][name])
            used = tp.get("sessions_per_worker", {})
            end = f"{used.get(name + ' threads', 0):.1f} / {used.get(name + ' asyncio', 0):.1f}"
            async_api = results["impls"][name]["async"]
            mark = " ⚠" if name in _short_names(results, upto=SHORT) else ""
            rows.append([name + mark, f"{t:.0f}", _ratio(t / floor_t), f"{a:.0f}", _ratio(a / floor_a), async_api, end])
        out += [f"## (e) Throughput: 16 threads, 16 asyncio tasks, short sessions (0 -> {SHORT} messages)", ""]
        out += _md_table(["implementation", "threads turns/s", "× floor", "asyncio turns/s", "× floor", "async API",
                          "sessions per worker (threads / asyncio)"], rows)  # fmt: skip
        out += ["", f"Median over repetitions. Each worker starts on an empty session and moves to a new one when it "
                f"holds {SHORT} messages (a turn reads everything, then appends 2). The async floor is the chat "
                f"floor on `redis.asyncio`. ⚠: reads fewer messages than stored (see (a))."]  # fmt: skip
        for what, err in tp.get("errors", {}).items():
            out.append(f"- **error** in {what}: `{err}`")
        out.append("")
    if "chain" in results:
        out += ["## (f) RunnableWithMessageHistory turn (prompt with MessagesPlaceholder + FakeListChatModel)", ""]
        out += [
            "Every factory builds its history per call, as RunnableWithMessageHistory calls it per invocation. "
            "`sessionmem` is `memory.with_message_history(...)` (default window: instructions and summary "
            "prepended when set; none are here); `sessionmem-plain` is `RunnableWithMessageHistory(chain, "
            "memory.get_session_history, history_factory_config=memory.history_factory_config)`. `returned` = "
            "history messages that reached the model.",
            "",
        ]
        out += _series_table(results["chain"], "messages")
        out.append("")
    short = sorted({name for w in ("turn", "recent", "chain") for g in results.get(w, {}).values()
                    for name, s in g.items() if s.short})  # fmt: skip
    out += ["## Completeness", ""]
    if short:
        for name in short:
            cases = [f"{w} at {n:,} ({g[name].returned:,}/{g[name].expected:,})"
                     for w in ("turn", "recent", "chain") for n, g in results.get(w, {}).items()
                     if name in g and g[name].short]  # fmt: skip
            out.append(f"- **{name}** returned fewer messages than stored: " + "; ".join(cases))
    else:
        out.append("Every implementation returned every stored message.")
    out += ["", "## Plots", ""] + [f"![{Path(x).stem}]({Path(x).name})" for x in plots] + [""]
    return "\n".join(out)


def readme(results: dict[str, Any]) -> str:
    """A section for the project README: when, where, which versions, the summary of ratios."""
    env, p = results["environment"], results["params"]
    pk = env["packages"]
    head, rows = _summary_rows(results)
    short = sorted({name for w in ("turn", "recent", "chain") for g in results.get(w, {}).values()
                    for name, s in g.items() if s.short})  # fmt: skip
    lines = [
        "## Compared with the other Redis chat histories (measured)",
        "",
        f"`make bench` (quick) / `python -m benchmarks.compare --full`, {env['date']}, {env['machine']}, "
        f"{env['python']}, {env['server']}; langchain-sessionmem {pk['langchain-sessionmem']} (git {env['git']}), "
        f"langchain-redis {pk['langchain-redis']}, redisvl {pk['redisvl']}, langchain-community "
        f"{pk['langchain-community']}, langchain-core {pk['langchain-core']}, redis-py {pk['redis']} "
        f"(`{p['mode']}` mode). Each cell is the implementation's median / p99 divided by the floor's in the same "
        "interleaved run: the floor is a hand-written redis-py store of one RedisJSON document per message plus a "
        "per-session id LIST, read by one script (LRANGE + JSON.MGET) and appended by one script; for KNN the same "
        "documents plus a vector HASH per message under a FLAT index, searched and loaded by one script; for memory "
        "with vectors one HASH per message holding the JSON and the vector. `sessionmem` has read the session "
        "before (its read cache holds it); `sessionmem-cold` never has (`read_cache_messages=0`). Throughput: 16 "
        "workers on short sessions (0 -> 50 messages). Below 1× is faster or smaller than the floor; for "
        "throughput above 1× is better.",
        "",
        *_md_table(head, rows),
        "",
    ]
    if short:
        lines.append("⚠ returned fewer messages than were stored: " + ", ".join(short) + " (see the notes).")
    lines += ["", "Tables, round trips, server commands and plots: `benchmarks/results/compare.md`.", ""]
    return "\n".join(lines)


# -- plots ------------------------------------------------------------------------------------------------------


def _lines(groups: dict[int, dict[str, Series]], title: str, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(8, 5))
    names = list(next(iter(groups.values())))
    sizes = list(groups)
    for name in names:
        med = [groups[n][name].median for n in sizes]
        p99 = [groups[n][name].p99 for n in sizes]
        short = any(groups[n][name].short for n in sizes)
        style = {"linewidth": 2.5 if name == OURS else 1.5, "color": "black" if name == FLOOR else None}
        label = name + (" (returns fewer than stored)" if short else "")
        (line,) = ax.plot(sizes, med, marker="o", label=label, **style)
        ax.plot(sizes, p99, linestyle=":", color=line.get_color(), linewidth=1)
        for n, m in zip(sizes, med, strict=True):
            if groups[n][name].short:
                ax.plot([n], [m], marker="x", markersize=10, color=line.get_color())
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("messages stored")
    ax.set_ylabel("ms (solid: median, dotted: p99)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _memory_plot(memory: dict[str, dict[str, dict[str, float]]], path: Path) -> None:
    fig, axes = plt.subplots(1, len(memory), figsize=(5 * len(memory), 4.5))
    for ax, (label, group) in zip(axes, memory.items(), strict=True):
        names = list(group)
        keys = [group[n]["keys_per_msg"] for n in names]
        idx = [group[n]["index_per_msg"] for n in names]
        ax.bar(names, keys, label="keys")
        bars = ax.bar(names, idx, bottom=keys, label="index")
        ax.bar_label(bars, labels=[f"{k + i:,.0f}" for k, i in zip(keys, idx, strict=True)], fontsize=7)
        ax.set_title(label)
        ax.set_ylabel("bytes per message")
        ax.tick_params(axis="x", rotation=35, labelsize=8)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _bars(values: dict[str, dict[str, float]], ylabel: str, title: str, path: Path, short: set[str]) -> None:
    """Grouped bars: values[group][implementation]; ``short`` implementations are marked in the labels."""
    groups = list(values)
    names = list(dict.fromkeys(n for g in values.values() for n in g))
    width = 0.8 / max(1, len(groups))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for i, g in enumerate(groups):
        xs = [j + i * width for j in range(len(names))]
        ax.bar(xs, [values[g].get(n, 0) for n in names], width, label=g)
    labels = [n + ("\n(returns fewer\nthan stored)" if n in short else "") for n in names]
    ax.set_xticks([j + width * (len(groups) - 1) / 2 for j in range(len(names))], labels, rotation=25, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plots(results: dict[str, Any], out: Path, suffix: str) -> list[Path]:
    made: list[Path] = []
    short = _short_names(results)

    def target(name: str) -> Path:
        path = out / f"compare{suffix}_{name}.png"
        made.append(path)
        return path

    if "turn" in results:
        _lines(results["turn"], "chat turn: read the whole history + append 2", target("turn"))
        _lines(results["recent"], "get_recent(10)", target("recent"))
    if "memory" in results:
        _memory_plot(results["memory"], target("memory"))
    if "throughput" in results:
        tp = results["throughput"]
        values = {f"16 {k}": {n: _tp_median(r) for n, r in tp[k].items()} for k in ("threads", "asyncio")}
        short_tp = _short_names(results, upto=100)
        _bars(values, "turns per second (100-message sessions)", "throughput", target("throughput"), short_tp)
    if "chain" in results:
        values = {f"{n:,} messages": {k: s.median for k, s in g.items()} for n, g in results["chain"].items()}
        _bars(values, "ms per turn (median)", "RunnableWithMessageHistory turn, fake model", target("chain"), short)
    if "knn" in results:
        k = results["knn"]
        series = k["series"]
        values = {"median": {n: s.median for n, s in series.items()}, "p99": {n: s.p99 for n, s in series.items()}}
        _bars(values, "ms per query", f"filtered KNN k=5 among {k['messages']:,} messages", target("knn"), set())
    return made


# -- JSON ----------------------------------------------------------------------------------------------------------


def _jsonable(value: Any, floor: Series | None = None) -> Any:
    if isinstance(value, Series):
        d: dict[str, Any] = {
            "median_ms": value.median, "p99_ms": value.p99, "samples_ms": value.ms, "round_trips": value.round_trips,
            "server_commands": value.commands, "returned": value.returned, "stored": value.expected,
            "full_read": value.note or None,
        }  # fmt: skip
        if floor is not None and floor.ms:
            d["ratio_median"], d["ratio_p99"] = value.median / floor.median, value.p99 / floor.p99
        return d
    if isinstance(value, dict):
        fl = value.get(FLOOR) if isinstance(value.get(FLOOR), Series) else None
        return {str(k): _jsonable(v, fl) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def write(results: dict[str, Any], out: Path, suffix: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    made = plots(results, out, suffix)
    md = out / f"compare{suffix}.md"
    md.write_text(markdown(results, [str(p) for p in made]), encoding="utf-8")
    js = out / f"compare{suffix}.json"
    snippet = out / f"compare{suffix}_readme.md"
    snippet.write_text(readme(results), encoding="utf-8")
    head, rows = _summary_rows(results)
    raw = {**_jsonable(results), "summary": {"columns": head, "rows": rows}, "targets": targets(results)}
    js.write_text(json.dumps(raw, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return [md, js, snippet, *made]
