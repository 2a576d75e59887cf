"""The console's commands: live state from the daemon, configuration in the store.

Configuration goes straight to the store through the same validators as the web
UI, so a bad value gets the same error in both, and a box whose daemon is down
can still be fixed from the console; the daemon is then asked to reload.
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from firmware import __version__
from firmware.control.client import ControlClient, ControlError
from firmware.store import admin, sync
from firmware.store.models import ConfigError


class CommandFailed(Exception):
    """A command that could not be carried out; the message is shown to the operator."""


def ip_addresses() -> str:
    try:
        result = subprocess.run(
            ["ip", "-brief", "address", "show"], capture_output=True, text=True, timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot list addresses: {exc}"
    return result.stdout.strip() or result.stderr.strip()


@dataclass
class CommandContext:
    """Where the console's commands find the box."""

    database: str
    control_socket: str
    version: str = __version__
    addresses: Callable[[], str] = ip_addresses

    def db(self) -> sqlite3.Connection:
        return sync.connect(self.database)

    def daemon(self, cmd: str, **args: Any) -> dict[str, Any]:
        try:
            return ControlClient(self.control_socket).request(cmd, **args)
        except ControlError as exc:
            raise CommandFailed(f"the call-center service: {exc}") from None

    def password_is_set(self) -> bool:
        with _closing(self.db()) as conn:
            return admin.password_is_set(conn)

    def password_matches(self, password: str) -> bool:
        with _closing(self.db()) as conn:
            return admin.password_matches(conn, password)

    def set_password(self, password: str, confirm: str) -> None:
        with _closing(self.db()) as conn:
            admin.set_password(conn, password, confirm)


class _closing:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


HELP = """\
status                      the box at a glance
ports | calls | queues      live state
agents                      agents, with their live state
agent add NAME EXT PORT     add an agent (e.g. agent add "Anna Nowak" 105 fxs3)
agent set NAME key=value…   change name, extension, port, logged_in, remote_number, remote_mode
agent del NAME              remove an agent
queue set NAME key=value…   strategy, ring_timeout, retry_delay, max_wait, members=A,B
routes                      inbound routes
route set PORT DEST         send a line to ivr:FLOW or queue:NAME
spans                       E1 spans: alarms in words, counters, channels in use
span NAME                   one span: its alarms, counters and each B-channel
trace NAME on|off           start or stop tracing a span's D-channel
trace NAME [show]           the last D-channel frames traced, decoded
lines                       line diagnostics: each analog port's state, last caller ID
ring PORT [SECONDS]         ring a phone to check it (with a test caller ID)
testcall LINE NUMBER        seize a line and call a number
learn LINE                  learn the disconnect tone a line is playing now
reload                      make the running service apply the configuration
ip                          the box's network addresses
passwd                      change the admin password
logout                      end the session"""


def run_command(ctx: CommandContext, words: Sequence[str]) -> str:
    """Run one command line (already split into words); returns its output."""
    name, args = words[0], list(words[1:])
    handler = _COMMANDS.get(name)
    if handler is None:
        raise CommandFailed(f"unknown command {name!r}; type 'help'")
    try:
        return handler(ctx, args)
    except ConfigError as exc:
        raise CommandFailed(str(exc)) from None


def _table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header]] + [["–" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                     for row in cells)


def _status(ctx: CommandContext, args: list[str]) -> str:
    s = ctx.daemon("status")
    busy = sum(1 for p in s["ports"] if p["call_id"])
    alarms = [f"{p['name']}: {p['alarm']}" for p in s["ports"] if p["alarm"]]
    lines = [
        f"Centrala {s['version']}, up {int(s['uptime'])} s, card {s['backend']}, "
        f"country {s['country']}",
        f"lines: {len(s['ports'])} ports, {busy} in use; calls: {len(s['calls'])}",
        "alarms: " + (", ".join(alarms) if alarms else "none"),
    ]
    for q in s["queues"]:
        lines.append(f"queue {q['name']}: {q['waiting']} waiting, longest {q['longest_wait']} s, "
                     f"{q['agents_available']}/{q['agents_logged_in']} agents free")
    lines += [f"config: {e}" for e in s.get("config_errors", [])]
    return "\n".join(lines)


def _ports(ctx: CommandContext, args: list[str]) -> str:
    ports = ctx.daemon("status")["ports"]
    return _table([(p["name"], p["kind"], p["state"], p["alarm"], p["call_id"]) for p in ports],
                  ("port", "kind", "state", "alarm", "call"))


def _calls(ctx: CommandContext, args: list[str]) -> str:
    calls = ctx.daemon("calls")["calls"]
    if not calls:
        return "no calls"
    return _table(
        [(c["id"], c["port"], c["caller_number"], c["state"], c["queue"], c["agent"],
          f"{c['duration']:.0f} s") for c in calls],
        ("call", "line", "caller", "state", "queue", "agent", "duration"),
    )


def _queues(ctx: CommandContext, args: list[str]) -> str:
    with _closing(ctx.db()) as conn:
        queues = sync.list_queues(conn)
    return _table(
        [(q.name, q.strategy, f"{q.ring_timeout:g} s", f"{q.max_wait:g} s", ", ".join(q.members))
         for q in queues],
        ("queue", "strategy", "ring", "max wait", "members"),
    )


def _agents(ctx: CommandContext, args: list[str]) -> str:
    with _closing(ctx.db()) as conn:
        agents = sync.list_agents(conn)
    try:
        live = {a["name"]: a["state"] for a in ctx.daemon("status")["agents"]}
    except CommandFailed:
        live = {}
    return _table(
        [(a.name, a.extension, a.port, "yes" if a.logged_in else "no", live.get(a.name))
         for a in agents],
        ("agent", "ext", "port", "logged in", "state"),
    )


def _pairs(args: Sequence[str]) -> dict[str, str]:
    pairs = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep or not key:
            raise CommandFailed(f"expected key=value, got {arg!r}")
        pairs[key] = value
    return pairs


def _find(items: Sequence[Any], name: str, kind: str) -> Any:
    for item in items:
        if item.name.lower() == name.lower():
            return item
    raise CommandFailed(f"no {kind} named {name!r}")


def _agent(ctx: CommandContext, args: list[str]) -> str:
    if not args:
        raise CommandFailed("agent add|set|del …")
    action, rest = args[0], args[1:]
    with _closing(ctx.db()) as conn:
        if action == "add":
            if len(rest) != 3:
                raise CommandFailed('usage: agent add NAME EXT PORT (quote a name with spaces)')
            agent = sync.save_agent(conn, {"name": rest[0], "extension": rest[1], "port": rest[2]})
            done = f"added agent {agent.name}"
        elif action == "set":
            if not rest:
                raise CommandFailed("usage: agent set NAME key=value…")
            agent = _find(sync.list_agents(conn), rest[0], "agent")
            data = {"name": agent.name, "extension": agent.extension, "port": agent.port,
                    "logged_in": agent.logged_in, "remote_number": agent.remote_number,
                    "remote_mode": agent.remote_mode, **_pairs(rest[1:])}
            sync.save_agent(conn, data, agent.id)
            done = f"changed agent {data['name']}"
        elif action == "del":
            if len(rest) != 1:
                raise CommandFailed("usage: agent del NAME")
            agent = _find(sync.list_agents(conn), rest[0], "agent")
            sync.delete_agent(conn, agent.id)
            done = f"removed agent {agent.name}"
        else:
            raise CommandFailed(f"unknown agent action {action!r}: add, set or del")
    return done + _reload_note(ctx)


def _queue(ctx: CommandContext, args: list[str]) -> str:
    if len(args) < 2 or args[0] != "set":
        raise CommandFailed("usage: queue set NAME key=value…")
    with _closing(ctx.db()) as conn:
        queue = _find(sync.list_queues(conn), args[1], "queue")
        changes = _pairs(args[2:])
        data: dict[str, Any] = {
            "name": queue.name, "strategy": queue.strategy, "ring_timeout": queue.ring_timeout,
            "retry_delay": queue.retry_delay, "max_wait": queue.max_wait,
            "members": list(queue.members),
        }
        if "members" in changes:
            data["members"] = [m.strip() for m in changes.pop("members").split(",") if m.strip()]
        data.update(changes)
        sync.save_queue(conn, data, queue.id)
    return f"changed queue {queue.name}" + _reload_note(ctx)


def _routes(ctx: CommandContext, args: list[str]) -> str:
    with _closing(ctx.db()) as conn:
        routes = sync.list_routes(conn)
    return _table([(r.port, r.destination) for r in routes], ("line", "destination"))


def _route(ctx: CommandContext, args: list[str]) -> str:
    if len(args) != 3 or args[0] != "set":
        raise CommandFailed("usage: route set PORT DEST (DEST is ivr:FLOW or queue:NAME)")
    port, destination = args[1], args[2]
    with _closing(ctx.db()) as conn:
        existing = next((r for r in sync.list_routes(conn) if r.port == port), None)
        sync.save_route(conn, {"port": port, "destination": destination},
                        existing.id if existing else None)
    return f"{port} now goes to {destination}" + _reload_note(ctx)


# How many traced frames the console shows; the web page and its pcap have them all.
TRACE_SHOWN = 50


def _spans_live(ctx: CommandContext) -> list[dict[str, Any]]:
    spans: list[dict[str, Any]] = ctx.daemon("spans").get("spans", [])
    return spans


def _count(value: object) -> str:
    # A counter the card cannot keep is "not counted", never a made-up 0.
    return "not counted" if value is None else str(value)


def _in_use(span: dict[str, Any]) -> str:
    channels = span.get("channels", [])
    # A channel idle in an alarm is not in use: the alarm shows on the span's own line.
    busy = sum(1 for c in channels if c.get("state") not in ("idle", "alarm"))
    return f"{busy}/{len(channels)}"


def _spans(ctx: CommandContext, args: list[str]) -> str:
    spans = _spans_live(ctx)
    if not spans:
        return "this box has no E1 span"
    table = _table(
        [(s["name"], s["role"].upper(), s["dchannel"], "yes" if s.get("clock_source") else "no",
          _count(s["counters"]["bpv"]), _count(s["counters"]["crc_errors"]),
          _count(s["counters"]["slips"]), _in_use(s)) for s in spans],
        ("span", "role", "D-channel", "clock", "BPV", "CRC errors", "slips", "in use"),
    )
    lines = [table, ""]
    for s in spans:
        words = s.get("alarm_words") or [s["summary"]]
        lines += [f"{s['name']}: {words[0]}"] + [f"{' ' * len(s['name'])}  {w}" for w in words[1:]]
    return "\n".join(lines)


def _find_span(ctx: CommandContext, name: str) -> dict[str, Any]:
    spans = _spans_live(ctx)
    for span in spans:
        if span["name"] == name.lower():
            return span
    known = ", ".join(s["name"] for s in spans) or "none"
    raise CommandFailed(f"no span {name!r}; this box has: {known}")


def _span(ctx: CommandContext, args: list[str]) -> str:
    if len(args) != 1:
        raise CommandFailed("usage: span NAME (e.g. span span1)")
    s = _find_span(ctx, args[0])
    counters = s["counters"]
    lines = [
        f"{s['name']}: {s['role'].upper()}, {s['signalling']}, D-channel {s['dchannel']}"
        + (", gives the card its clock" if s.get("clock_source") else ""),
        "line: " + "; ".join(s.get("alarm_words") or [s["summary"]]),
        f"counters: bipolar violations {_count(counters['bpv'])}, "
        f"CRC-4 errors {_count(counters['crc_errors'])}, slips {_count(counters['slips'])}",
        f"D-channel frames: {s['frames_in']} in, {s['frames_out']} out; "
        f"link changes (up or down): {s['link_changes']}",
        f"trace: {'running' if s['trace']['running'] else 'stopped'}, "
        f"{s['trace']['frames']} frames",
    ]
    channels = s.get("channels", [])
    if channels:
        lines.append(_table(
            [(c["name"].split("/", 1)[-1], c["timeslot"], c["state"], c["direction"],
              c["called"], c["calling"], c["call_id"], c["q931_state"]) for c in channels],
            ("channel", "slot", "state", "dir", "called", "calling", "call", "Q.931"),
        ))
    return "\n".join(lines)


def _trace(ctx: CommandContext, args: list[str]) -> str:
    if not 1 <= len(args) <= 2 or (len(args) == 2 and args[1] not in ("on", "off", "show")):
        raise CommandFailed("usage: trace NAME on|off|show (e.g. trace span1 on)")
    name = args[0].lower()
    action = args[1] if len(args) == 2 else "show"
    if action == "on":
        ctx.daemon("span-trace-start", span=name)
        return (f"tracing the D-channel of {name}; 'trace {name} show' prints the frames, "
                "the web page downloads them for Wireshark")
    if action == "off":
        answer = ctx.daemon("span-trace-stop", span=name)
        return f"trace of {name} stopped with {answer.get('frames', 0)} frames"
    answer = ctx.daemon("span-trace", span=name, since=0)
    lines: list[str] = answer.get("lines", [])
    state = "running" if answer.get("running") else "stopped"
    if not lines:
        hint = "" if answer.get("running") else f"; start it with 'trace {name} on'"
        return f"trace of {name} {state}, no frames yet{hint}"
    head = f"trace of {name} {state}, {len(lines)} frames"
    if len(lines) > TRACE_SHOWN:
        head += f"; the last {TRACE_SHOWN}:"
    return "\n".join([head, *lines[-TRACE_SHOWN:]])


def _reload_note(ctx: CommandContext) -> str:
    try:
        ctx.daemon("reload")
    except CommandFailed:
        return "\nsaved; the service is not running, the change applies when it starts"
    return "\nsaved and applied"


def _reload(ctx: CommandContext, args: list[str]) -> str:
    result = ctx.daemon("reload")
    errors = result.get("config_errors") or []
    return "reloaded" + "".join(f"\nconfig: {e}" for e in errors)


def _lines(ctx: CommandContext, args: list[str]) -> str:
    """Line diagnostics: every analog port's live state and its last caller ID."""
    ports = ctx.daemon("analog-ports")["ports"]
    table = _table(
        [(p["name"], p["state"], p.get("hook"), "yes" if p.get("ringing") else "no",
          p.get("polarity_reversals", "–"), p["alarm"]) for p in ports],
        ("port", "state", "hook", "ringing", "reversals", "alarm"),
    )
    captures = []
    for p in ports:
        cid = p.get("last_caller_id")
        if cid:
            captures.append(
                f"{p['name']} last caller ID: {cid.get('number') or cid.get('absence_reason')} "
                f"{cid.get('name') or ''} ({cid.get('position', '')})".rstrip()
            )
    return "\n".join([table, *captures])


def _ring(ctx: CommandContext, args: list[str]) -> str:
    if len(args) not in (1, 2):
        raise CommandFailed("usage: ring PORT [SECONDS]")
    seconds = _seconds(args[1]) if len(args) == 2 else 10.0
    ctx.daemon("ring-phone", port=args[0], seconds=seconds)
    return f"{args[0]} is ringing for {seconds:g} s"


def _testcall(ctx: CommandContext, args: list[str]) -> str:
    if len(args) != 2 or not args[1].isdigit():
        raise CommandFailed("usage: testcall LINE NUMBER (digits only)")
    ctx.daemon("test-call", port=args[0], number=args[1], hold=10.0)
    return f"test call from {args[0]} to {args[1]} started; 'lines' shows how far it got"


def _learn(ctx: CommandContext, args: list[str]) -> str:
    if len(args) != 1:
        raise CommandFailed("usage: learn LINE (while the line plays its disconnect tone)")
    ctx.daemon("learn-tone", port=args[0], seconds=10.0)
    return f"listening to {args[0]} for 10 s; the tone is stored for that line when measured"


def _seconds(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise CommandFailed(f"{raw!r} is not a number of seconds") from None


_COMMANDS: dict[str, Callable[[CommandContext, list[str]], str]] = {
    "lines": _lines,
    "ring": _ring,
    "testcall": _testcall,
    "learn": _learn,
    "help": lambda ctx, args: HELP,
    "version": lambda ctx, args: f"Centrala {ctx.version}",
    "status": _status,
    "ports": _ports,
    "calls": _calls,
    "queues": _queues,
    "agents": _agents,
    "agent": _agent,
    "queue": _queue,
    "routes": _routes,
    "route": _route,
    "spans": _spans,
    "span": _span,
    "trace": _trace,
    "reload": _reload,
    "ip": lambda ctx, args: ctx.addresses(),
}
