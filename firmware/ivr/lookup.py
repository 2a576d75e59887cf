"""HTTP lookups for flows: a GET to a URL built from variables, JSON fields back into variables.

The request is blocking and runs off the event loop (the host uses
``asyncio.to_thread``). Anything but a 2xx JSON object holding every asked-for
field within the time limit is a failure, and the flow takes its fallback
branch: a slow or broken server must never leave a caller in silence.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field

from firmware.ivr.variables import VALUE_MAX, fill

MAX_BODY = 64 * 1024
_CHUNK = 4096


@dataclass(frozen=True)
class LookupResult:
    """The outcome of a lookup: the variables it sets, or why it failed."""

    ok: bool
    values: dict[str, str] = field(default_factory=dict)
    problem: str | None = None


def build_url(template: str, variables: Mapping[str, str]) -> str:
    """The URL with each {name} replaced by the variable's value, percent-encoded."""
    return fill(template, variables, lambda value: urllib.parse.quote(value, safe=""))


def extract(body: bytes, fields: Mapping[str, str]) -> LookupResult:
    """The asked-for fields of a JSON object answer, as text; a failure if any is missing."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return LookupResult(False, problem="the answer is not JSON")
    if not isinstance(document, dict):
        return LookupResult(False, problem="the answer is not a JSON object")
    values: dict[str, str] = {}
    for variable, path in fields.items():
        node: object = document
        for part in path.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return LookupResult(False, problem=f"the answer has no field {path}")
        if isinstance(node, bool):
            values[variable] = "true" if node else "false"
        elif isinstance(node, int | float | str):
            values[variable] = str(node)[:VALUE_MAX]
        else:
            return LookupResult(False, problem=f"field {path} is not a number or text")
    return LookupResult(True, values)


class LookupFailed(Exception):
    """The server could not be asked or gave no usable answer; the sentence says which."""


def fetch(url: str, timeout: float) -> bytes:
    """GET ``url`` and read at most :data:`MAX_BODY` bytes within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout  # a real deadline: this runs on a worker thread
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    late = f"no answer within {timeout:g} s"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise LookupFailed(f"the server answered {response.status}")
            body = b""
            while len(body) <= MAX_BODY:
                if time.monotonic() > deadline:
                    raise LookupFailed(late)
                chunk = response.read(_CHUNK)
                if not chunk:
                    return body
                body += chunk
            raise LookupFailed(f"the answer is longer than {MAX_BODY} bytes")
    except urllib.error.HTTPError as exc:
        raise LookupFailed(f"the server answered {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or isinstance(exc, TimeoutError):
            raise LookupFailed(late) from None
        raise LookupFailed(f"the request failed: {reason}") from None


def run_lookup(url: str, timeout: float, fields: Mapping[str, str]) -> LookupResult:
    """Fetch and extract: the whole lookup, blocking, never raising for a bad server."""
    try:
        body = fetch(url, timeout)
    except LookupFailed as exc:
        return LookupResult(False, problem=str(exc))
    return extract(body, fields)
