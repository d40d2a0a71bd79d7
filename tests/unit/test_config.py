import dataclasses
import os
import stat

import pytest

from proximity_tui.config import SECTIONS, ConfigError, load_settings, save_config_values


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file(tmp_path):
    s = load_settings(None, env={"PROXIMITY_DATA_DIR": str(tmp_path)})
    assert s.proxmox.port == 8006
    assert s.db_path == tmp_path / "proximity.db"


def test_file_then_env_then_flags(tmp_path):
    path = write(tmp_path, '[proxmox]\nhost = "pve.lan"\nport = 8007\n[ui]\nread_only = false\n')
    s = load_settings(path, env={"PROXIMITY_PROXMOX_PORT": "9000", "PROXIMITY_UI_READ_ONLY": "1"})
    assert (s.proxmox.host, s.proxmox.port, s.ui.read_only) == ("pve.lan", 9000, True)
    assert s.configured
    s = load_settings(path, env={}, overrides={"proxmox.host": "other"})
    assert s.proxmox.host == "other"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[proxmox]\nhots = "x"\n', "proxmox.hots"),
        ('[proxmox]\nport = "8006"\n', "proxmox.port"),
        ("[ui]\nread_only = 1\n", "ui.read_only"),
        ("[nope]\nx = 1\n", "nope"),
        ("[ssh]\nnodes = { pve1 = 3 }\n", "ssh.nodes"),
        ('[deploy]\nbase_apps = "whoami"\n', "deploy.base_apps"),
        ("[deploy]\nbase_apps = [1]\n", "deploy.base_apps"),
    ],
)
def test_bad_values_name_file_and_key(tmp_path, text, key):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    assert str(path) in str(err.value) and key in str(err.value)
    assert err.value.exit_code == 2


def test_base_apps_is_a_list_in_the_file_and_comma_separated_in_the_environment(tmp_path):
    path = write(tmp_path, '[deploy]\nbase_apps = ["whoami", "uptime-kuma"]\n')
    assert load_settings(path, env={}).deploy.base_apps == ["whoami", "uptime-kuma"]
    env = {"PROXIMITY_DEPLOY_BASE_APPS": " ntfy, whoami ,"}
    assert load_settings(path, env=env).deploy.base_apps == ["ntfy", "whoami"]
    assert load_settings(write(tmp_path, ""), env={}).deploy.base_apps == []


def test_bad_env_value_names_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="PROXIMITY_PROXMOX_PORT"):
        load_settings(write(tmp_path, ""), env={"PROXIMITY_PROXMOX_PORT": "abc"})


def test_invalid_toml_and_missing_explicit_file(tmp_path):
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings(write(tmp_path, "[proxmox\n"), env={})
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "missing.toml", env={})


def test_secret_from_file_and_redaction(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    s = load_settings(write(tmp_path, f'[proxmox]\npassword_file = "{secret}"\n'), env={})
    assert s.proxmox.password == "s3cret"
    assert "s3cret" not in repr(s.redacted())


def test_saved_config_is_private_and_round_trips(tmp_path):
    path = tmp_path / "sub" / "config.toml"
    save_config_values(path, {"proxmox.fingerprint": "AA:BB", "ui.theme": "nord"})
    save_config_values(path, {"ui.theme": "gruvbox"})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    s = load_settings(path, env={})
    assert (s.proxmox.fingerprint, s.ui.theme) == ("AA:BB", "gruvbox")


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e9"])
def test_a_numeric_setting_out_of_range_names_its_key(tmp_path, value):
    """Issue 15, point 11: PROXIMITY_PROXMOX_TIMEOUT=0, -1 or nan ended as 'unexpected
    ValueError' deep in the client; now one line naming the variable and the range."""
    (tmp_path / "empty.toml").write_text("")
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path / "empty.toml", env={"PROXIMITY_PROXMOX_TIMEOUT": value})
    assert str(err.value).startswith("config error in PROXIMITY_PROXMOX_TIMEOUT: timeout: must be")
    assert err.value.exit_code == 2


def test_every_numeric_setting_is_range_checked_in_the_file_too(tmp_path):
    from proximity_tui.config import RANGES

    numeric = {
        f"{name}.{f.name}"
        for name, cls in SECTIONS.items()
        for f in dataclasses.fields(cls)
        if str(f.type).replace(" | None", "") in ("int", "float")
    }
    assert numeric == set(RANGES)  # a new numeric setting needs its range
    for dotted in RANGES:
        section, _, key = dotted.partition(".")
        path = tmp_path / f"{key}.toml"
        path.write_text(f"[{section}]\n{key} = -5\n")
        with pytest.raises(ConfigError, match=rf"{path}: {dotted}: must be between"):
            load_settings(path, env={})
    (tmp_path / "empty.toml").write_text("")
    with pytest.raises(ConfigError, match="the command line: ui.refresh_seconds: must be"):
        load_settings(tmp_path / "empty.toml", env={}, overrides={"ui.refresh_seconds": 0})
