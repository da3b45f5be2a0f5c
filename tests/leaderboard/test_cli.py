"""The comsamy-leaderboard CLI (called as main(argv)), settings, demo seeding."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from comsamy.errors import ConfigError
from leaderboard.cli import main, streamlit_command
from leaderboard.settings import Settings
from leaderboard.store import Submission, make_engine
from leaderboard.tokens import verify_token
from tests.leaderboard.fakes import tiny_dataset_folder, tiny_labels


def test_token_create_and_revoke(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert main(["token", "--db", db, "--storage", str(tmp_path), "create", "team-x"]) == 0
    token = capsys.readouterr().out.strip()
    engine = make_engine(db)
    assert verify_token(engine, token).team == "team-x"
    assert main(["token", "--db", db, "revoke", token]) == 0
    assert "revoked 1 token(s)" in capsys.readouterr().out
    assert main(["token", "--db", db, "revoke", "no-such-team"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("comsamy-leaderboard: error: revoke: expected a token or the name of a known team")
        and "Traceback" not in err
    )
    assert main(["token", "--db", db, "create", "bad;name"]) == 2


def test_migrate_and_bad_db(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'm.db'}"
    assert main(["migrate", "--db", db]) == 0
    assert "schema at revision 0002" in capsys.readouterr().out
    assert main(["migrate", "--db", "nonsense://"]) == 2
    assert "--db: expected a database URL" in capsys.readouterr().err


def test_worker_missing_data_exits_4(tmp_path, capsys):
    code = main(["worker", "--db", f"sqlite:///{tmp_path / 'w.db'}", "--data", str(tmp_path / "nowhere"), "--once"])
    assert code == 4
    assert "expected a ComsAmy dataset folder" in capsys.readouterr().err


def test_streamlit_command_has_server_flags():
    cmd = streamlit_command(Settings(max_upload_mb=7), 9999)
    flags = dict(zip(cmd[::2], cmd[1::2], strict=False)) | dict(zip(cmd[1::2], cmd[2::2], strict=False))
    assert flags["--server.maxUploadSize"] == "7" and flags["--server.headless"] == "true"
    assert flags["--browser.gatherUsageStats"] == "false" and flags["--server.port"] == "9999"


def test_settings_env_roundtrip_and_checks():
    s = Settings(db="sqlite:///x.db", quota=9, lease_s=2.5)
    assert Settings.from_env(s.to_env()) == s
    with pytest.raises(ConfigError, match="COMSAMY_LB_QUOTA: expected an integer, got 'many'"):
        Settings.from_env({"COMSAMY_LB_QUOTA": "many"})
    with pytest.raises(ConfigError, match="lease_s: expected a number > 0"):
        Settings.from_env({}, lease_s=0)


def test_demo_seeding_queues_real_archives_once(tmp_path):
    from leaderboard.demo import SEEDS, seed_demo
    from leaderboard.store import migrate

    data = tiny_dataset_folder(tmp_path / "data", tiny_labels(n=4))
    settings = Settings(storage=str(tmp_path / "s"), data=str(data), quota=50)
    engine = make_engine(settings.db_url)
    migrate(engine)
    assert seed_demo(engine, settings).startswith("clb_")
    assert seed_demo(engine, settings) is None  # idempotent
    with Session(engine) as s:
        subs = s.scalars(select(Submission)).all()
    assert [x.method for x in subs] == [seed[0] for seed in SEEDS]
    assert len({x.archive_sha256 for x in subs}) == len(SEEDS)


def test_common_options_after_the_action_and_where_the_token_went(tmp_path, capsys):
    storage = tmp_path / "store"
    assert main(["token", "create", "team-y", "--storage", str(storage)]) == 0
    out, err = capsys.readouterr()
    assert (storage / "leaderboard.db").is_file()  # the option after the action was honoured
    assert f"sqlite:///{storage / 'leaderboard.db'}" in err and "shown once" in err
    engine = make_engine(f"sqlite:///{storage / 'leaderboard.db'}")
    assert verify_token(engine, out.strip()).team == "team-y"
    assert main(["token", "--storage", str(storage), "revoke", "team-y", "--quota", "7"]) == 0
    assert "revoked 1 token(s)" in capsys.readouterr().out


def test_database_passwords_are_never_printed(monkeypatch, capsys):
    from leaderboard import cli

    url = "postgresql+psycopg://lb:s3cret-pw@db.example:5432/lb"
    assert "s3cret-pw" not in cli.shown_url(url) and "***" in cli.shown_url(url)

    class Boom(Exception):
        pass

    def fake_engine(settings):
        print(f"{cli.shown_url(settings.db_url)}: would migrate")
        raise Boom

    monkeypatch.setattr(cli, "_engine", fake_engine)
    for argv in (["migrate", "--db", url], ["token", "create", "t", "--db", url], ["worker", "--db", url]):
        assert main(argv) == 1
        out, err = capsys.readouterr()
        assert "s3cret-pw" not in out + err and "db.example" in out


def test_serve_and_demo_bind_localhost_unless_told(monkeypatch):
    from leaderboard import cli

    args = cli.build_parser().parse_args(["serve"])
    assert args.address == "127.0.0.1"
    assert cli.build_parser().parse_args(["demo", "--address", "0.0.0.0"]).address == "0.0.0.0"
    cmd = streamlit_command(Settings(), 8501)
    flags = dict(zip(cmd[::2], cmd[1::2], strict=False)) | dict(zip(cmd[1::2], cmd[2::2], strict=False))
    assert flags["--server.address"] == "127.0.0.1" and flags["--client.showErrorDetails"] == "false"
    assert cmd[:3] == [cli.sys.executable, "-P", "-m"]  # -P: the current folder cannot shadow the packages
    worker = cli.worker_command("--poll", "1")
    assert worker[-3:] == ["worker", "--poll", "1"]
    assert worker[0].endswith("comsamy-leaderboard") or worker[1] == "-P"


def test_demo_takes_settings_not_a_namespace():
    import inspect

    from leaderboard.demo import run_demo

    params = inspect.signature(run_demo).parameters
    assert next(iter(params)) == "settings" and params["port"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["address"].default == "127.0.0.1"
    import leaderboard.demo as demo

    assert "argparse" not in inspect.getsource(demo)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["migrate", "--quota", "abc"], "quota: expected an integer, got 'abc'"),
        (["migrate", "--quota", "2.5"], "quota: expected an integer, got '2.5'"),
        (["migrate", "--lease", "fast"], "lease_s: expected a number, got 'fast'"),
        (["migrate", "--min-condition-images", "0"], "min_condition_images: expected an integer >= 1, got '0'"),
    ],
)
def test_bad_settings_are_one_line_naming_the_key(tmp_path, capsys, argv, message):
    assert main([*argv, "--storage", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_bad_env_setting_names_the_variable(monkeypatch):
    monkeypatch.setenv("COMSAMY_LB_SCORE_TIMEOUT_S", "soon")
    with pytest.raises(ConfigError, match=r"^COMSAMY_LB_SCORE_TIMEOUT_S: expected a number, got 'soon'$"):
        Settings.from_env()


def test_serve_cleans_partial_uploads_and_execs_streamlit_on_localhost(tmp_path, monkeypatch, capsys):
    from leaderboard import cli

    part = tmp_path / "tmp" / "upload.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"half an upload")
    seen = {}
    monkeypatch.setattr(cli.os, "execve", lambda exe, cmd, env: seen.update(cmd=cmd, env=env))
    db = "sqlite:///" + str(tmp_path / "lb.db")
    assert main(["serve", "--storage", str(tmp_path), "--db", db, "--port", "8765", "--quota", "4"]) == 0
    assert not part.exists()
    cmd = seen["cmd"]
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1" and cmd[cmd.index("--server.port") + 1] == "8765"
    assert seen["env"]["COMSAMY_LB_QUOTA"] == "4"
    assert "http://127.0.0.1:8765" in capsys.readouterr().out
