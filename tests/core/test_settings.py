from pathlib import Path

import pytest

from firmware.settings import SettingsError, load_settings, parse_settings
from hal.interface import Law


def test_defaults_give_a_sim_card_with_data_under_var(tmp_path):
    settings = parse_settings({}, tmp_path)
    assert settings.card.backend == "sim" and settings.card.fxs == 4 and settings.card.fxo == 2
    assert settings.database == tmp_path / "var" / "centrala.db"
    assert settings.socket_path == tmp_path / "var" / "control.sock"


def test_file_is_read_with_relative_paths_from_its_folder(tmp_path):
    path = tmp_path / "centrala.toml"
    path.write_text('[box]\ndata_dir = "state"\n[card]\nfxo = 1\nlaw = "ulaw"\n')
    settings = load_settings(path)
    assert settings.data_dir == tmp_path / "state"
    assert settings.card.fxo == 1 and settings.card.law is Law.ULAW


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"card": {"backend": "isdn-magic"}}, "card.backend"),
        ({"card": {"fxs": -1}}, "card.fxs"),
        ({"card": {"fxo": "two"}}, "card.fxo"),
        ({"card": {"law": "mulaw"}}, "card.law"),
        ({"card": {"colour": "red"}}, "card.colour"),
        ({"box": {"data_dir": ""}}, "box.data_dir"),
        ({"boxes": {}}, "boxes"),
    ],
)
def test_bad_setting_is_refused_naming_the_key(raw, field):
    with pytest.raises(SettingsError) as err:
        parse_settings(raw, Path("."))
    assert str(err.value).startswith(field)


def test_missing_or_broken_file_is_a_clear_error(tmp_path):
    with pytest.raises(SettingsError, match="no such file"):
        load_settings(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[box\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(bad)
