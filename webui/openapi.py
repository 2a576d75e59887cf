"""The OpenAPI 3.1 description of the REST API, served at /api/v1/openapi.json.

Kept as data beside the API so a reviewer sees both at once; a test checks
that it names exactly the routes the app registers.
"""

from __future__ import annotations

import copy
from typing import Any

from firmware.store.models import Direction, Disposition, Strategy

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
            "port": {"type": "string", "description": "FXS port of the agent's phone, e.g. fxs1"},
            "logged_in": {"type": "boolean", "description": "Whether queues ring this agent."},
        },
    },
    "AgentInput": {
        "type": "object",
        "required": ["name", "extension", "port"],
        "properties": {
            "name": {"type": "string", "maxLength": 40},
            "extension": {"type": "string", "pattern": "^[0-9]{2,6}$"},
            "port": {"type": "string", "pattern": "^fxs[1-9][0-9]{0,2}$"},
            "logged_in": {"type": "boolean", "default": True},
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
                        "state": {
                            "type": "string",
                            "enum": ["available", "ringing", "on-call", "logged-out"],
                        },
                        "since": {"type": "number"},
                        "calls_taken": {"type": "integer"},
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
