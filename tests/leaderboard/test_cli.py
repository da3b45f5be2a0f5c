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
    assert err.startswith("comsamy-leaderboard: error: revoke: expected a token or the name of a known team") and "Traceback" not in err
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
