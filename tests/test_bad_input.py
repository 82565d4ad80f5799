"""Bad input gets one clear line, a non-zero exit, nothing half-written, and a rerun resumes.

Regression tests for the cases a hostile release manager found falling short: a damaged
dropper.db, nan/inf in drop.toml, a reference index path that names a file, a song replaced
after ingest, and damaged files an earlier stage wrote (build/package.json, token metadata,
reports/originality.json).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dropper import config, reference, status, synth
from dropper.errors import ConfigError, DropperError, MissingInput
from dropper.stages import ingest, package, tempo
from dropper.verify import run as verify_run
from dropper.workspace import Drop
from tests.conftest import run_cli, write_song


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    """Exit 2, stderr is exactly one ``error:`` line naming every fragment, no traceback."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert result.stdout == ""


# dropper.db ------------------------------------------------------------------------------

def test_a_database_that_is_not_sqlite_is_named_and_left_untouched(tmp_drop):
    root = tmp_drop()
    damaged = b"these are not the bytes of a SQLite file\n" * 10
    (root / "dropper.db").write_bytes(damaged)
    result = run_cli("status", str(root), "--json")
    assert_one_line_error(result, str(root / "dropper.db"), "not a usable drop database", "file is not a database")
    assert (root / "dropper.db").read_bytes() == damaged  # may hold the only copy of human decisions
    (root / "dropper.db").rename(root / "dropper.db.damaged")
    assert run_cli("status", str(root)).returncode == 0  # moved aside: a rerun starts an empty one


def test_a_truncated_database_is_a_dropper_error(tmp_drop, make_song):
    root = tmp_drop()
    make_song("rock", seconds=2, folder=root / "songs")
    with Drop.open(root, environ={}) as drop:
        ingest.run(drop, jobs=1)
    full = (root / "dropper.db").read_bytes()
    (root / "dropper.db").write_bytes(full[: len(full) // 2])
    with pytest.raises(DropperError, match="dropper.db: not a usable drop database .*malformed"):
        Drop.open(root, environ={})


def test_a_database_path_that_is_a_folder_is_named(tmp_drop):
    root = tmp_drop()
    (root / "dropper.db").unlink()
    (root / "dropper.db").mkdir()
    with pytest.raises(DropperError, match="dropper.db: cannot open the drop database"):
        Drop.open(root, environ={})


# drop.toml ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("settings", "message"), [
    ("[visualize]\nfps = nan\n", "visualize.fps: nan is not a finite number"),
    ("[screen]\nsilence_db = -inf\n", "screen.silence_db: -inf is not a finite number"),
    ("[carbon]\noffset_multiplier = inf\n", "carbon.offset_multiplier: inf is not a finite number"),
    ("[drop]\ntemperature_range = [0.9, nan]\n", r"drop.temperature_range\[1\]: nan is not a finite number"),
])
def test_nan_and_inf_settings_are_refused(settings, message):
    import tomllib

    with pytest.raises(ConfigError, match=f"drop.toml: {message}"):
        config.from_mapping(tomllib.loads(settings), source="drop.toml", environ={})


def test_nan_setting_is_one_line_on_the_command_line(tmp_drop):
    root = tmp_drop("[clear]\nmin_score_bits = nan\n")
    assert_one_line_error(run_cli("clear", str(root)), "drop.toml: clear.min_score_bits: nan is not a finite number")


def test_a_reference_index_path_that_names_a_file_is_a_config_error(tmp_drop):
    root = tmp_drop('[reference]\nindex = "drop.toml"\n')
    with Drop.open(root, environ={}) as drop:
        with pytest.raises(ConfigError, match="drop.toml: not a folder .*reference.index"):
            reference.open_index(drop, create=True)
    assert_one_line_error(run_cli("reference", "list", "--drop", str(root)), "reference.index")


# songs ---------------------------------------------------------------------------------------

def test_a_song_replaced_after_ingest_is_not_analysed_under_the_old_hash(tmp_drop, make_song, tmp_path):
    root = tmp_drop()
    songs = root / "songs"
    make_song("rock", bpm=120, seconds=4, folder=songs, seed=1)
    make_song("punk", bpm=180, seconds=4, pattern="punk", folder=songs, seed=2)
    original = tmp_path / "rock-original.wav"
    shutil.copy(songs / "rock.wav", original)
    with Drop.open(root, environ={}) as drop:
        ingest.run(drop, jobs=1)
        write_song(songs / "rock.wav", synth.make_song(bpm=90, seconds=4, seed=9), temperature=None)

        report = tempo.run(drop, jobs=1)
        by_name = {song.name: song for song in report.songs}
        assert by_name["punk"].status == "done"
        assert by_name["rock"].status == "failed"
        assert "songs/rock.wav: the file changed since ingest" in by_name["rock"].reason
        assert report.exit_code == 1
        rock = drop.find_song("rock")
        assert drop.latest_result(rock, "tempo") is None  # no result recorded under the old hash
        failures = status.collect(drop).failures
        assert [(f.stage, f.source) for f in failures] == [("tempo", "songs/rock.wav")]

        shutil.copy(original, songs / "rock.wav")  # the fix: put the original back; a rerun resumes
        again = {song.name: song.status for song in tempo.run(drop, jobs=1).songs}
        assert again == {"punk": "skipped", "rock": "done"}
        assert drop.latest_result(rock, "tempo") is not None
        assert status.collect(drop).failures == []


# files an earlier stage wrote -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ("{", "not valid JSON"),
    ("[]", "damaged (not what dropper package writes)"),
    ('{"metadata_root_cid": "x", "tokens": [{"token_id": 1}]}', "damaged"),
])
def test_a_damaged_package_summary_names_the_file_and_the_fix(tmp_drop, text, message):
    root = tmp_drop()
    (root / "build").mkdir()
    (root / "build" / "package.json").write_text(text)
    with Drop.open(root, environ={}) as drop:
        with pytest.raises(DropperError, match=f"build/package.json: {re.escape(message)}.*run dropper package"):
            package.read_summary(drop)


def test_no_package_summary_is_still_missing_input(tmp_drop):
    with Drop.open(tmp_drop(), environ={}) as drop:
        with pytest.raises(MissingInput, match="nothing packaged yet"):
            package.read_summary(drop)


@pytest.mark.parametrize("command", ["verify", "car", "catalog"])
def test_commands_that_read_the_package_summary_give_one_line(tmp_drop, command):
    root = tmp_drop()
    (root / "build" / "metadata").mkdir(parents=True)
    (root / "build" / "package.json").write_text("{")
    assert_one_line_error(run_cli(command, str(root)), "build/package.json: not valid JSON",
                          f"run dropper package {root} again")
    assert not (root / "build" / "drop.car").exists() and not (root / "site").exists()


def test_verify_lists_damaged_token_metadata_as_a_mismatch(tmp_drop):
    root = tmp_drop()
    metadata = root / "build" / "metadata"
    metadata.mkdir(parents=True)
    (metadata / "1.json").write_text("{")
    token = {"token_id": 1, "song": "rock", "sha256": "0" * 64, "title": "Phony Fear", "metadata": "1.json"}
    (root / "build" / "package.json").write_text(json.dumps({"metadata_root_cid": "bafy", "tokens": [token]}))
    with Drop.open(root, environ={}) as drop:
        report = verify_run(drop)
    assert not report.ok
    assert "token 1 (Phony Fear): build/metadata/1.json: unreadable (JSONDecodeError)" in report.mismatches


def test_catalog_names_a_damaged_originality_report(tmp_drop):
    root = tmp_drop()
    (root / "reports").mkdir()
    (root / "reports" / "originality.json").write_text('{"songs": [')
    assert_one_line_error(run_cli("catalog", str(root)), "reports/originality.json: not valid JSON",
                          "run dropper clear")
    assert not Path(root / "site").exists()


# pinning service ---------------------------------------------------------------------------------

@pytest.fixture
def not_a_pinning_service():
    """A real HTTP server on 127.0.0.1 that is not a Pinning Service: HTML pages, 404 elsewhere."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            body = b"<html>\n<body>\n<h1>Welcome</h1>\n</body>\n</html>\n"
            self.send_response(200 if self.path.startswith("/ok") else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("url", ["garbage", "ftp://127.0.0.1/psa"])
def test_a_pinning_url_that_is_not_http_is_a_config_error(url):
    from dropper.ipfs.psa import PinningService

    service = PinningService(url, "token", timeout_s=5)
    with pytest.raises(ConfigError, match="not an http\\(s\\) URL; check pinning.url"):
        service.find("bafkqaaa")
    service.close()


def test_a_server_that_is_not_a_pinning_service_gets_one_line(not_a_pinning_service):
    from dropper.ipfs.psa import PinningService

    service = PinningService(not_a_pinning_service, "token", timeout_s=5)
    with pytest.raises(DropperError) as refused:
        service.find("bafkqaaa")
    assert "\n" not in str(refused.value) and "HTTP 404: <html> <body> <h1>Welcome</h1>" in str(refused.value)
    service.url = f"{not_a_pinning_service}/ok"
    with pytest.raises(DropperError, match="/ok/pins: the answer is not a JSON object; is it a Pinning Service"):
        service.find("bafkqaaa")
    service.close()


def test_an_empty_songs_folder_says_where_the_songs_go(tmp_drop):
    root = tmp_drop()
    with Drop.open(root, environ={}) as drop:
        report = ingest.run(drop, jobs=1)
    assert report.exit_code == 0
    assert f"no audio in {root / 'songs'}: put the songs there (wav, flac, ogg, mp3)" in report.notes[0]


def test_a_missing_reference_catalog_names_the_setting(tmp_drop, make_song):
    root = tmp_drop('[reference]\ncatalog = "training"\n')
    make_song("rock", seconds=2, folder=root / "songs")
    result = run_cli("clear", str(root), "--json")
    assert_one_line_error(result, f"{root / 'training'}: the reference catalog is not there",
                          "drop.toml: reference.catalog")
    assert not (root / "reference").exists() and not (root / "reports").exists()
