"""Flow versions in the store: an existing box's flows become version 1 on upgrade."""

import json
import sqlite3
from pathlib import Path

from firmware.store import migrations, sync

OURS = next(i for i, m in enumerate(migrations.MIGRATIONS) if "ivr_flow_versions" in m)


def test_upgrade_keeps_each_existing_flow_as_its_active_first_version(tmp_path: Path):
    path = str(tmp_path / "old.db")
    conn = sqlite3.connect(path, isolation_level=None)
    for version, script in enumerate(migrations.MIGRATIONS[:OURS], start=1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
    flow = {"start": "bye", "nodes": {"bye": {"type": "hangup"}}}
    conn.execute("INSERT INTO ivr_flows (name, definition) VALUES ('main', ?)", (json.dumps(flow),))
    conn.close()

    upgraded = sync.connect(path)
    [main] = sync.list_flows(upgraded)
    [first] = sync.list_flow_versions(upgraded, main.id)
    assert first.version == 1 and first.active and first.definition == flow
    saved = sync.save_flow(upgraded, "main", flow, main.id, activate=False, created=100.0)
    assert saved.definition == flow
    assert [(v.version, v.active, v.created) for v in sync.list_flow_versions(upgraded, main.id)][
        0] == (2, False, 100.0)
