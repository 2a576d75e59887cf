"""The OpenAPI 3.1 description of the REST API, served at /api/v1/openapi.json.

Kept as data beside the API so a reviewer sees both at once; a test checks
that it names exactly the routes the app registers.
"""

from __future__ import annotations

import copy
from typing import Any

from firmware.store.models import AgentState, Direction, Disposition, Strategy

API_VERSION = "1.0.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _nullable(kind: str) -> dict[str, Any]:
    return {"type": [kind, "null"]}


_ERROR = _json(_ref("Error"), "The request was refused; `error` says why in a sentence.")
_DAEMON_DOWN = _json(_ref("Error"), "The call-center service is not running.")
_UNAUTHORIZED = _json(_ref("Error"), "No valid login session or API token.")
_NOT_FOUND = _json(_ref("Error"), "No agent has this id.")
_AGENT_ID = {
    "name": "agent_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}

_SKILLS = {
    "type": "object",
    "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 10},
    "description": "Skill name to level 1-10, e.g. {\"sales\": 7}; absent when none.",
}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "A plain sentence."},
            "field": {
                "type": ["string", "null"],
                "description": "The field at fault, as a path such as `port` or `members[1]`.",
            },
        },
    },
    "Agent": {
        "type": "object",
        "required": ["id", "name", "extension", "port", "logged_in"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string", "maxLength": 40},
            "extension": {"type": "string", "pattern": "^[0-9]{2,6}$"},
            "port": {"type": "string",
                     "description": "FXS port of the agent's phone, e.g. fxs1; empty for a "
                                    "remote agent"},
            "logged_in": {"type": "boolean", "description": "Whether queues ring this agent."},
            "skills": _SKILLS,
            "remote_number": {"type": "string",
                              "description": "The number the box calls to reach a remote agent"},
            "remote_mode": {"type": "string", "enum": ["per-call", "nailed-up"]},
        },
    },
    "AgentInput": {
        "type": "object",
        "required": ["name", "extension", "port"],
        "properties": {
            "name": {"type": "string", "maxLength": 40},
            "extension": {"type": "string", "pattern": "^[0-9]{2,6}$"},
            "port": {"type": "string", "pattern": "^(fxs[1-9][0-9]{0,2})?$",
                     "description": "An FXS port, or empty with a remote_number"},
            "logged_in": {"type": "boolean", "default": True},
            "skills": _SKILLS,
            "remote_number": {"type": "string", "default": ""},
            "remote_mode": {"type": "string", "enum": ["per-call", "nailed-up"],
                            "default": "per-call"},
        },
    },
    "AgentState": {
        "type": "object",
        "required": ["agent", "state"],
        "properties": {
            "agent": {"type": "string"},
            "state": {
                "type": ["string", "null"],
                "enum": [*(s.value for s in AgentState), None],
                "description": "The state now; null when the service is not running.",
            },
            "reason": {**_nullable("string"), "description": "The pause reason, if paused."},
            "after_call": {
                "type": ["string", "null"],
                "description": "The state the agent goes to when the call or wrap-up ends.",
            },
            "logged_in": {"type": "boolean"},
        },
    },
    "PauseInput": {
        "type": "object",
        "required": ["reason"],
        "properties": {
            "reason": {"type": "string", "description": "One of the box's pause reasons."},
        },
    },
    "Queue": {
        "type": "object",
        "required": [
            "id", "name", "strategy", "ring_timeout", "retry_delay", "max_wait", "members",
        ],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "strategy": {"type": "string", "enum": [s.value for s in Strategy]},
            "ring_timeout": {"type": "number", "description": "Seconds an agent's phone rings."},
            "retry_delay": {"type": "number", "description": "Seconds between ring attempts."},
            "max_wait": {"type": "number", "description": "Seconds a caller may wait at most."},
            "members": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Agent names, in the order linear hunting tries them.",
            },
            "service_level": {"type": "number", "description": "Answer target, seconds."},
            "wrapup": {"type": "number", "description": "Seconds of wrap-up after a call."},
            "autopause_rings": {
                "type": "integer", "description": "Unanswered rings in a row that pause an agent.",
            },
            "skills": {**_SKILLS, "description": "Skills required, with minimum levels."},
            "skill_widen_after": {
                "type": "number", "description": "Seconds of waiting per lowering of the levels.",
            },
            "skill_widen_step": {"type": "integer"},
            "max_length": {"type": "integer", "description": "Callers waiting at most; 0: none."},
            "exit_destination": {
                "type": "string",
                "description": "queue:<name>, ivr:<flow>, or empty to say goodbye.",
            },
            "join_empty": {"type": "boolean"},
            "leave_empty": {"type": "boolean"},
            "overflow_queue": {"type": "string"},
            "overflow_after": {"type": "number"},
            "overflow_predicted": {"type": "boolean"},
            "priority_callers": {
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 9},
                "description": "Caller number to priority; higher is served first.",
            },
        },
    },
    "Route": {
        "type": "object",
        "required": ["id", "port", "destination"],
        "properties": {
            "id": {"type": "integer"},
            "port": {"type": "string", "description": "FXO line, e.g. fxo1"},
            "destination": {"type": "string", "pattern": "^(ivr|queue):.+$"},
        },
    },
    "Span": {
        "type": "object",
        "required": ["name", "role", "dchannel", "alarms", "summary", "counters", "channels"],
        "properties": {
            "name": {"type": "string", "description": "span1, span2…"},
            "role": {"type": "string", "enum": ["te", "nt"],
                     "description": "te: faces an operator; nt: the box is the network."},
            "signalling": {"type": "string"},
            "dchannel": {"type": "string", "enum": ["up", "down"],
                         "description": "Whether the Q.921 signalling link is established."},
            "alarms": {"type": "array", "items": {"type": "string",
                                                   "enum": ["LOS", "LOF", "AIS", "RAI"]}},
            "alarm_words": {"type": "array", "items": {"type": "string"},
                            "description": "Each alarm in plain words, with its colour."},
            "summary": {"type": "string", "description": "One sentence: in service, or why not."},
            "clock_source": {"type": "boolean",
                             "description": "Whether the card takes its clock from this span."},
            "counters": {
                "type": "object",
                "description": "Errors since the span was set up; null where the card "
                               "cannot count them.",
                "properties": {
                    "bpv": _nullable("integer"),
                    "crc_errors": _nullable("integer"),
                    "slips": _nullable("integer"),
                },
            },
            "frames_in": {"type": "integer"},
            "frames_out": {"type": "integer"},
            "link_changes": {"type": "integer"},
            "trace": {
                "type": "object",
                "properties": {"running": {"type": "boolean"}, "frames": {"type": "integer"}},
            },
            "channels": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "description": "span1/b1…span1/b31"},
                        "timeslot": {"type": "integer", "minimum": 1, "maximum": 31},
                        "state": {"type": "string"},
                        "direction": {"type": ["string", "null"], "enum": ["in", "out", None]},
                        "called": _nullable("string"),
                        "calling": _nullable("string"),
                        "call_id": _nullable("string"),
                        "q931_state": {**_nullable("string"),
                                       "description": "Q.931 call state, e.g. U10 (active)."},
                    },
                },
            },
        },
    },
    "Cdr": {
        "type": "object",
        "required": [
            "call_id", "start", "answer", "end", "port", "direction", "caller_number",
            "caller_name", "destination", "queue", "agent", "disposition", "duration", "billsec",
        ],
        "properties": {
            "call_id": {"type": "string"},
            "start": {"type": "number", "description": "Unix time, seconds."},
            "answer": _nullable("number"),
            "end": {"type": "number"},
            "port": {"type": "string"},
            "direction": {"type": "string", "enum": [d.value for d in Direction]},
            "caller_number": _nullable("string"),
            "caller_name": _nullable("string"),
            "destination": _nullable("string"),
            "queue": _nullable("string"),
            "agent": _nullable("string"),
            "disposition": {"type": "string", "enum": [d.value for d in Disposition]},
            "duration": {"type": "number", "description": "Seconds from start to end."},
            "billsec": {"type": "number", "description": "Seconds from answer to end."},
        },
    },
    "CdrPage": {
        "type": "object",
        "required": ["total", "limit", "offset", "records"],
        "properties": {
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "records": {"type": "array", "items": _ref("Cdr")},
        },
    },
    "Call": {
        "type": "object",
        "required": ["id", "port", "direction", "state"],
        "properties": {
            "id": {"type": "string"},
            "port": {"type": "string"},
            "direction": {"type": "string", "enum": [d.value for d in Direction]},
            "caller_number": _nullable("string"),
            "caller_name": _nullable("string"),
            "state": {"type": "string", "enum": ["ivr", "queued", "ringing", "connected"]},
            "queue": _nullable("string"),
            "agent": _nullable("string"),
            "duration": {"type": "number"},
        },
    },
    "Status": {
        "type": "object",
        "required": ["version", "uptime", "ports", "queues", "agents", "calls"],
        "properties": {
            "version": {"type": "string"},
            "uptime": {"type": "number", "description": "Seconds since the service started."},
            "backend": {"type": "string", "description": "Line hardware: sim or dahdi."},
            "country": {"type": "string"},
            "ports": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "kind": {"type": "string", "enum": ["fxs", "fxo"]},
                        "state": {"type": "string"},
                        "alarm": _nullable("string"),
                        "call_id": _nullable("string"),
                    },
                },
            },
            "queues": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "waiting": {"type": "integer"},
                        "longest_wait": {"type": "number"},
                        "agents_logged_in": {"type": "integer"},
                        "agents_available": {"type": "integer"},
                        "agents_paused": {"type": "integer"},
                        "agents_in_wrapup": {"type": "integer"},
                        "ewt": {
                            **_nullable("number"),
                            "description": "Estimated wait of a caller joining now, seconds.",
                        },
                    },
                },
            },
            "agents": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "extension": {"type": "string"},
                        "port": {"type": "string"},
                        "state": {"type": "string", "enum": [s.value for s in AgentState]},
                        "since": {"type": "number"},
                        "calls_taken": {"type": "integer"},
                        "reason": _nullable("string"),
                    },
                },
            },
            "calls": {"type": "array", "items": _ref("Call")},
            "config_errors": {"type": "array", "items": {"type": "string"}},
            "media": {
                "type": "object",
                "properties": {"ticks": {"type": "integer"}, "errors": {"type": "integer"}},
            },
        },
    },
}


def _get(summary: str, ok: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": {"200": ok, "401": _UNAUTHORIZED}, **extra}


def _agent_action(summary: str, body: dict[str, Any] | None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {
            "200": _json(_ref("AgentState"), "The agent's state after the request."),
            "400": _ERROR,
            "401": _UNAUTHORIZED,
            "404": _NOT_FOUND,
            "409": _json(_ref("Error"), "The service refused (e.g. pausing a logged-out agent)."),
            "503": _DAEMON_DOWN,
        },
    }
    if body is not None:
        operation["requestBody"] = body
    return {"parameters": [_AGENT_ID], "post": operation}


def openapi_document() -> dict[str, Any]:
    """The whole document, built fresh so no caller can alter a shared copy."""
    agent_body = {
        "required": True,
        "content": {"application/json": {"schema": _ref("AgentInput")}},
    }
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Centrala call center",
            "version": API_VERSION,
            "description": (
                "Live state, call records and configuration of one box. Authenticate "
                "with a bearer token created on the web UI's Settings page, or with a "
                "login session (then send the X-CSRFToken header on writes). A change "
                "is saved even when the service is down and applies when it starts."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "paths": {
            "/status": {
                "get": {
                    "summary": "Live state of lines, calls, queues and agents",
                    "responses": {
                        "200": _json(_ref("Status"), "The service's status."),
                        "401": _UNAUTHORIZED,
                        "503": _DAEMON_DOWN,
                    },
                }
            },
            "/calls": {
                "get": {
                    "summary": "Calls in progress",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["calls"],
                                "properties": {"calls": {"type": "array", "items": _ref("Call")}},
                            },
                            "The calls now in progress.",
                        ),
                        "401": _UNAUTHORIZED,
                        "503": _DAEMON_DOWN,
                    },
                }
            },
            "/cdr": {
                "get": {
                    "summary": "Call detail records, newest first",
                    "parameters": [
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {
                                "type": "integer", "minimum": 1, "maximum": 1000, "default": 100,
                            },
                        },
                        {
                            "name": "offset",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 0, "default": 0},
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("CdrPage"), "One page of records."),
                        "400": _ERROR,
                        "401": _UNAUTHORIZED,
                    },
                }
            },
            "/agents": {
                "get": _get(
                    "All agents",
                    _json({"type": "array", "items": _ref("Agent")}, "Every agent."),
                ),
                "post": {
                    "summary": "Add an agent",
                    "requestBody": agent_body,
                    "responses": {
                        "201": _json(_ref("Agent"), "The new agent, with its id."),
                        "400": _ERROR,
                        "401": _UNAUTHORIZED,
                    },
                },
            },
            "/agents/{agent_id}": {
                "parameters": [_AGENT_ID],
                "get": {
                    "summary": "One agent",
                    "responses": {
                        "200": _json(_ref("Agent"), "The agent."),
                        "401": _UNAUTHORIZED,
                        "404": _NOT_FOUND,
                    },
                },
                "put": {
                    "summary": "Replace an agent's settings",
                    "requestBody": agent_body,
                    "responses": {
                        "200": _json(_ref("Agent"), "The agent as saved."),
                        "400": _ERROR,
                        "401": _UNAUTHORIZED,
                        "404": _NOT_FOUND,
                    },
                },
                "delete": {
                    "summary": "Delete an agent (it leaves every queue)",
                    "responses": {
                        "204": {"description": "Deleted."},
                        "401": _UNAUTHORIZED,
                        "404": _NOT_FOUND,
                    },
                },
            },
            "/agents/{agent_id}/login": _agent_action(
                "Log the agent in (a pause ends too); saved even while the service is down",
                None,
            ),
            "/agents/{agent_id}/logout": _agent_action(
                "Log the agent out, after a call in progress; saved even while the service "
                "is down",
                None,
            ),
            "/agents/{agent_id}/pause": _agent_action(
                "Pause the agent with a reason, after a call in progress",
                {"required": True, "content": {"application/json": {"schema": _ref("PauseInput")}}},
            ),
            "/agents/{agent_id}/unpause": _agent_action("End the agent's pause", None),
            "/queues": {
                "get": _get(
                    "All queues", _json({"type": "array", "items": _ref("Queue")}, "Every queue.")
                )
            },
            "/routes": {
                "get": _get(
                    "All inbound routes",
                    _json({"type": "array", "items": _ref("Route")}, "Every route."),
                )
            },
            "/spans": {
                "get": {
                    "summary": "E1 spans live: alarms in words, counters, D-channel, B-channels",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["spans"],
                                "properties": {"spans": {"type": "array", "items": _ref("Span")}},
                            },
                            "Every span the service drives, by span number.",
                        ),
                        "401": _UNAUTHORIZED,
                        "503": _DAEMON_DOWN,
                    },
                }
            },
            "/openapi.json": {
                "get": _get("This document", _json({"type": "object"}, "OpenAPI 3.1 document."))
            },
        },
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }
    return copy.deepcopy(document)
