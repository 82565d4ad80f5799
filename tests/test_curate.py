"""dropper curate: the app's HTTP contract on a real server, the CSV round trip, the wheel."""

from __future__ import annotations

import csv
import http.client
import json
import re
import select
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dropper import annotations
from dropper.stages import ingest, screen, tempo
from dropper.workspace import Drop
from tests.conftest import REPO, run_cli


@dataclass
class Server:
    """A `dropper curate` process and the URL it printed."""

    process: subprocess.Popen
    url: str

    @property
    def base(self) -> str:
        return self.url.split("?")[0]

    @property
    def token(self) -> str:
        return self.url.split("token=")[1]

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1].strip("/"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def start_server(root: Path, *args: str) -> Server:
    """Run `dropper curate ROOT --no-browser ARGS` and wait for the URL it prints."""
    process = subprocess.Popen([sys.executable, "-m", "dropper", "curate", str(root), "--no-browser", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ready, _, _ = select.select([process.stdout], [], [], 60)
    line = process.stdout.readline() if ready else ""
    found = re.search(r"http://\S+", line)
    if not found:
        process.kill()
        raise AssertionError(f"dropper curate did not print its URL:\n{line}{process.stdout.read()}")
    return Server(process, found.group(0))


def build_drop(root: Path, make_song, stages=(ingest, screen, tempo)) -> Path:
    """A real drop of three synthesized songs: ingested, screened, tempo-estimated."""
    from dropper.workspace import init

    init(root, title="Fake Feelings", artist="Test Collective")
    make_song("rock", bpm=120, seconds=6, folder=root / "songs", seed=1)
    make_song("punk", bpm=180, pattern="punk", seconds=6, folder=root / "songs", seed=2, temperature=1.02)
    make_song("pad", pattern="ambient", seconds=6, folder=root / "songs", seed=3, temperature=0.98)
    with Drop.open(root, environ={}) as drop:
        for stage in stages:
            stage.run(drop, jobs=1)
    return root


@pytest.fixture(scope="module")
def drop_root(tmp_path_factory) -> Path:
    from dropper import synth
    from tests.conftest import write_song

    def make_song(name, *, bpm=120, seconds=6, pattern="straight", folder, seed=0, temperature=1.0):
        y = synth.make_song(bpm=bpm, seconds=seconds, pattern=pattern, sr=22050, seed=seed)
        return write_song(folder / f"{name}.wav", y, temperature=temperature, seed=seed)

    return build_drop(tmp_path_factory.mktemp("curate") / "drop", make_song)


@pytest.fixture(scope="module")
def server(drop_root: Path) -> Iterator[Server]:
    running = start_server(drop_root, "--author", "ana")
    yield running
    running.stop()


def request(server: Server, method: str, target: str, *, body: dict | None = None,
            headers: dict[str, str] | None = None, token: bool = True) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP request (http.client sends the target exactly as given, ``..`` included)."""
    if token:
        target += ("&" if "?" in target else "?") + f"token={server.token}"
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    payload = json.dumps(body).encode() if body is not None else None
    connection.request(method, target, body=payload,
                       headers={"Content-Type": "application/json", **(headers or {})})
    response = connection.getresponse()
    result = response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    connection.close()
    return result


def song_id(root: Path, name: str) -> int:
    with Drop.open(root, environ={}) as drop:
        return drop.find_song(name).id


@pytest.mark.parametrize("target", ["/", "/api/queue", "/audio/1", "/spectrogram/1", "/static/curate.js",
                                    "/api/songs/1/peaks", "/no/such/page", "/audio/../dropper.db"])
def test_every_request_without_the_token_is_refused(server: Server, target: str) -> None:
    status, _, body = request(server, "GET", target, token=False)
    assert status == 403
    assert b"access token" in body
    wrong, _, _ = request(server, "GET", target + "?token=not-the-token", token=False)
    assert wrong == 403


@pytest.mark.parametrize("target", ["/audio/../dropper.db", "/audio/..%2Fdropper.db", "/audio/songs%2Frock.wav",
                                    "/static/..%2f..%2fapp.py", "/audio/1?file=/etc/passwd", "/audio/rock.wav",
                                    "//etc/passwd", "/static/%2e%2e/app.py"])
def test_a_request_naming_a_path_is_not_served(server: Server, target: str) -> None:
    status, _, body = request(server, "GET", target)
    assert status == 404, body
    assert request(server, "GET", "/audio/1")[0] == 200  # the same song by id is served


def test_audio_is_served_by_id_with_range_requests(server: Server, drop_root: Path) -> None:
    whole = (drop_root / "songs" / "rock.wav").read_bytes()
    rock = song_id(drop_root, "rock")
    status, headers, body = request(server, "GET", f"/audio/{rock}", headers={"Range": "bytes=100-199"})
    assert status == 206
    assert headers["content-range"] == f"bytes 100-199/{len(whole)}"
    assert body == whole[100:200]
    status, headers, body = request(server, "GET", f"/audio/{rock}")
    assert (status, headers["accept-ranges"], body) == (200, "bytes", whole)
    assert headers["content-type"].startswith("audio/")
    assert request(server, "GET", f"/audio/{rock}", headers={"Range": f"bytes={len(whole) + 10}-"})[0] == 416
    assert request(server, "GET", "/audio/999")[0] == 404


def test_the_page_and_queue_show_screening_tempo_and_progress(server: Server, drop_root: Path) -> None:
    status, headers, page = request(server, "GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b"Fake Feelings" in page and b"wavesurfer.min.js" in page
    status, _, body = request(server, "GET", "/api/queue")
    queue = json.loads(body)
    assert [song["name"] for song in queue["songs"]] == ["pad", "punk", "rock"]
    rock = next(song for song in queue["songs"] if song["name"] == "rock")
    assert rock["has_spectrogram"] and rock["temperature"] == 1.0
    assert rock["tempo_estimate_bpm"] > 0 and rock["tempo_alternatives"]
    assert rock["loudness_lufs"] < 0
    assert queue["progress"]["songs"] == 3
    status, headers, image = request(server, "GET", f"/spectrogram/{rock['id']}")
    assert status == 200 and image[:8] == b"\x89PNG\r\n\x1a\n"
    status, _, body = request(server, "GET", f"/api/songs/{rock['id']}/peaks")
    peaks = json.loads(body)["peaks"]
    assert 1000 <= len(peaks) <= 2000 and 0.1 < max(peaks) <= 1.0


def test_an_edit_is_saved_with_who_and_when_and_a_stale_tab_is_told(server: Server, drop_root: Path) -> None:
    punk = song_id(drop_root, "punk")
    before = json.loads(request(server, "GET", f"/api/songs/{punk}")[2])
    status, _, body = request(server, "POST", f"/api/songs/{punk}",
                              body={"revision": before["revision"], "decision": "keep", "style": "punk rock",
                                    "add_tags": ["rising screams"], "tempo_bpm": 181})
    saved = json.loads(body)["song"]
    assert status == 200
    assert (saved["decision"], saved["decided_by"], saved["style"], saved["tempo_bpm"]) == ("keep", "ana", "punk rock", 181)
    assert saved["revision"] > before["revision"] and saved["updated_at"]
    # A second tab still holding the old revision: refused and told, nothing overwritten.
    status, _, body = request(server, "POST", f"/api/songs/{punk}",
                              body={"revision": before["revision"], "decision": "reject", "author": "bo"})
    assert status == 409
    answer = json.loads(body)
    assert "changed elsewhere" in answer["error"] and "by ana" in answer["error"]
    assert answer["song"]["decision"] == "keep"
    with Drop.open(drop_root, environ={}) as drop:
        assert annotations.current(drop)[punk].decision == "keep"
    # Undo with the current revision takes the newest edit back.
    status, _, body = request(server, "POST", f"/api/songs/{punk}/undo", body={"revision": saved["revision"]})
    assert status == 200 and json.loads(body)["undone"] in annotations.KINDS


def test_a_wrong_value_gets_one_clear_error_and_saves_nothing(server: Server, drop_root: Path) -> None:
    pad = song_id(drop_root, "pad")
    revision = json.loads(request(server, "GET", f"/api/songs/{pad}")[2])["revision"]
    status, _, body = request(server, "POST", f"/api/songs/{pad}", body={"revision": revision, "tempo_bpm": 900})
    assert status == 400
    assert "outside 20–400" in json.loads(body)["error"]
    assert json.loads(request(server, "GET", f"/api/songs/{pad}")[2])["revision"] == revision


def test_stale_revision_in_the_library_records_nothing(tmp_path: Path, make_song) -> None:
    root = build_drop(tmp_path / "drop", make_song, stages=(ingest,))
    with Drop.open(root, environ={}) as drop:
        song = drop.find_song("rock")
        assert annotations.revision(drop, song) == 0
        annotations.apply_edits(drop, song, author="ana", decision="keep", expected_revision=0)
        first = annotations.revision(drop, song)
        with pytest.raises(annotations.EditConflict, match="changed elsewhere"):
            annotations.apply_edits(drop, song, author="bo", notes="late", expected_revision=0)
        with pytest.raises(annotations.EditConflict):
            annotations.undo_last(drop, song, author="bo", expected_revision=0)
        assert annotations.revision(drop, song) == first
        assert annotations.revisions(drop) == {song.id: first}


def test_csv_export_edit_import_records_only_the_changes(tmp_path: Path, make_song) -> None:
    root = build_drop(tmp_path / "drop", make_song, stages=(ingest,))
    run_cli("annotate", "rock", "--drop", str(root), "--keep", "--tag", "cool drums", check=True)
    sheet = tmp_path / "decisions.csv"
    run_cli("curate", str(root), "--export", str(sheet), check=True)
    rows = list(csv.DictReader(sheet.open()))
    assert [row["name"] for row in rows] == ["pad", "punk", "rock"]
    assert rows[2]["decision"] == "keep" and rows[2]["tags"] == "cool drums"
    rows[0].update(decision="reject", reason="collapsed into silence")
    rows[1].update(decision="keep", style="hardcore punk", tempo="182", tags="rising screams; noisy", notes="great")
    rows[2].update(tags="")
    with sheet.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = run_cli("curate", str(root), "--import", str(sheet), "--json", "--author", "ana", check=True)
    assert json.loads(result.stdout) == {"changed": ["pad", "punk", "rock"], "edits": 7, "unchanged": 0}
    with Drop.open(root, environ={}) as drop:
        state = annotations.current(drop)
        pad, punk, rock = (state[drop.find_song(name).id] for name in ("pad", "punk", "rock"))
    assert (pad.decision, pad.reason, pad.decided_by) == ("reject", "collapsed into silence", "ana")
    assert (punk.style, punk.tempo_bpm, punk.distinctions, punk.notes) == ("hardcore punk", 182.0, ("rising screams", "noisy"), "great")
    assert rock.decision == "keep" and rock.distinctions == ()
    again = run_cli("curate", str(root), "--import", str(sheet), "--json", check=True)
    assert json.loads(again.stdout) == {"changed": [], "edits": 0, "unchanged": 3}


def test_csv_import_with_a_bad_row_changes_nothing(tmp_path: Path, make_song) -> None:
    root = build_drop(tmp_path / "drop", make_song, stages=(ingest,))
    sheet = tmp_path / "bad.csv"
    sheet.write_text("name,decision,tempo\nrock,keep,120\nrok,keep,\n")
    result = run_cli("curate", str(root), "--import", str(sheet))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {sheet}:3: no song named 'rok' in this drop (see: dropper status --songs)"
    sheet.write_text("name,tempo\nrock,900\n")
    result = run_cli("curate", str(root), "--import", str(sheet))
    assert result.returncode == 2 and f"{sheet}:2: tempo: 900 BPM is outside 20–400" in result.stderr
    with Drop.open(root, environ={}) as drop:
        assert annotations.current(drop) == {}


def test_curate_on_a_taken_port_says_so(drop_root: Path, server: Server) -> None:
    result = run_cli("curate", str(drop_root), "--no-browser", "--port", str(server.port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{server.port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_wheel_carries_the_page_and_vendored_wavesurfer(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(REPO)], check=True, capture_output=True)
    names = zipfile.ZipFile(next(tmp_path.glob("dropper-*.whl"))).namelist()
    for name in ("dropper/curate/templates/curate.html.j2", "dropper/curate/static/curate.js",
                 "dropper/curate/static/vendor/wavesurfer.min.js"):
        assert name in names
    assert not [name for name in names if "node_modules" in name]


def test_an_unedited_export_imports_as_no_change(tmp_path: Path, make_song) -> None:
    root = build_drop(tmp_path / "drop", make_song, stages=(ingest,))
    run_cli("annotate", "rock", "--drop", str(root), "--keep", "--notes", "great outro\n", check=True)
    sheet = tmp_path / "decisions.csv"
    run_cli("curate", str(root), "--export", str(sheet), check=True)
    result = run_cli("curate", str(root), "--import", str(sheet), "--json", check=True)
    assert json.loads(result.stdout) == {"changed": [], "edits": 0, "unchanged": 3}


def test_a_distinction_holding_the_csv_tag_separator_is_refused(tmp_path: Path, make_song) -> None:
    root = build_drop(tmp_path / "drop", make_song, stages=(ingest,))
    result = run_cli("annotate", "rock", "--drop", str(root), "--tag", "breakdown; blast")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "';'" in result.stderr and "breakdown; blast" in result.stderr
    with Drop.open(root, environ={}) as drop:
        assert annotations.current(drop) == {}


def test_a_csv_that_is_not_utf8_is_one_line(tmp_path: Path, make_song) -> None:
    root = build_drop(tmp_path / "drop", make_song, stages=(ingest,))
    sheet = tmp_path / "latin1.csv"
    sheet.write_bytes("name,notes\nrock,café\n".encode("latin-1"))
    result = run_cli("curate", str(root), "--import", str(sheet))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith(f"error: {sheet}: not UTF-8 text")
    sheet.write_text('name,notes\nrock,"' + "x" * 200_000 + '"\n')  # over csv's field size limit
    result = run_cli("curate", str(root), "--import", str(sheet))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{sheet}:2:" in result.stderr
