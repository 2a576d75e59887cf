"""Span, DID route, trunk group and outbound route configuration: validators and the store."""

import pytest

from firmware.store import sync, trunk_sync
from firmware.store.models import ConfigError
from firmware.store.trunk_models import (
    SpanRole,
    validate_did_route,
    validate_outbound_route,
    validate_span,
    validate_trunk_group,
)

PORTS = ["fxs1", "fxo1", "fxo2"] + [f"span{n}/b1" for n in (1, 2)]


@pytest.fixture
def conn(tmp_path):
    conn = sync.connect(str(tmp_path / "centrala.db"))
    sync.record_card_ports(conn, PORTS)
    yield conn
    conn.close()


def test_span_defaults_are_a_user_side_pri_with_crc4_and_hdb3():
    span = validate_span({"name": "Span1"}, ["span1"])
    assert (span.name, span.role, span.framing.value, span.crc4, span.line_code.value) == (
        "span1", SpanRole.TE, "ccs", True, "hdb3")


@pytest.mark.parametrize(("data", "field", "words"), [
    ({"name": "span9"}, "name", "not a span of this card"),
    ({"name": "fxo1"}, "name", "span name such as span1"),
    ({"name": "span1", "role": "master"}, "role", "one of te, nt"),
    ({"name": "span1", "framing": "esf"}, "framing", "one of ccs, cas"),
    ({"name": "span1", "line_build_out": "8"}, "line_build_out", "from 0 to 7"),
    ({"name": "span1", "crc4": "maybe"}, "crc4", "yes or no"),
])
def test_span_validator_names_the_bad_field(data, field, words):
    with pytest.raises(ConfigError) as caught:
        validate_span(data, ["span1", "span2"])
    assert caught.value.field == field and words in caught.value.message


def test_two_spans_cannot_share_a_clock_priority(conn):
    trunk_sync.save_span(conn, {"name": "span1", "clock_priority": 1})
    with pytest.raises(ConfigError, match="span1 already has clock priority 1"):
        trunk_sync.save_span(conn, {"name": "span2", "clock_priority": 1})
    assert trunk_sync.get_span(conn, "span2").clock_priority == 2  # unchanged default


def test_did_route_destinations_must_exist():
    assert validate_did_route({"did": "100", "destination": "extension:101"}, [], [],
                              ["101"]).destination == "extension:101"
    with pytest.raises(ConfigError, match="no queue named 'x'"):
        validate_did_route({"did": "100", "destination": "queue:x"}, [], [], [])
    with pytest.raises(ConfigError, match="1 to 20 digits"):
        validate_did_route({"did": "12a", "destination": "queue:x"}, [], ["x"], [])


def test_trunk_group_members_are_card_spans_and_lines_in_order(conn):
    group = trunk_sync.save_trunk_group(conn, {"name": "out", "members": "span2, fxo1,span1"})
    assert group.members == ("span2", "fxo1", "span1")
    assert trunk_sync.list_trunk_groups(conn)[0].members == ("span2", "fxo1", "span1")
    with pytest.raises(ConfigError, match="span3 is not on this card"):
        validate_trunk_group({"name": "x", "members": ["span3"]}, ["span1"])
    with pytest.raises(ConfigError, match="listed twice"):
        validate_trunk_group({"name": "x", "members": ["span1", "span1"]}, ["span1"])


def test_outbound_route_needs_its_trunk_group_and_keeps_it_on_rename(conn):
    with pytest.raises(ConfigError, match="no trunk group named 'out'"):
        validate_outbound_route({"prefix": "0", "trunk_group": "out"}, [])
    group = trunk_sync.save_trunk_group(conn, {"name": "out", "members": ["span1"]})
    trunk_sync.save_outbound_route(conn, {"prefix": "0", "trunk_group": "out",
                                          "presentation": "restricted"})
    trunk_sync.save_trunk_group(conn, {"name": "operators", "members": ["span1"]}, group.id)
    [route] = trunk_sync.list_outbound_routes(conn)
    assert route.trunk_group == "operators" and route.restricted
    with pytest.raises(ConfigError, match="used by the outbound route for prefix 0"):
        trunk_sync.delete_trunk_group(conn, group.id)


def test_trunk_config_loads_spans_with_defaults_for_those_never_saved(conn):
    trunk_sync.save_span(conn, {"name": "span2", "role": "nt", "clock_priority": 0})
    config = trunk_sync.load_trunk_config(conn)
    assert [(s.name, s.role, s.clock_priority) for s in config.spans] == [
        ("span1", SpanRole.TE, 1), ("span2", SpanRole.NT, 0)]
