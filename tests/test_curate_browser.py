"""dropper curate in a real browser (Debian chromium) on a 1000-song queue: keyboard triage,
tap tempo, tags, two tabs, a killed server. Prints the measured open and song-switch times.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dropper import annotations
from dropper.db import now
from dropper.workspace import Drop
from tests.browser import chromium, needs_chromium
from tests.conftest import REPO
from tests.test_curate import Server, build_drop, start_server

pytestmark = needs_chromium
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download needed)")
expect = sync_api.expect
QUEUE_SIZE = 1000


def add_takes(root: Path, count: int) -> None:
    """Grow the drop to ``count`` songs with rows that reuse the real songs' audio and results."""
    with Drop.open(root, environ={}) as drop:
        real = drop.songs("all")
        drop.db.execute("BEGIN")
        for number in range(1, count - len(real) + 1):
            source = real[number % len(real)]
            name = f"take-{number:04d}"
            sha = hashlib.sha256(name.encode()).hexdigest()
            drop.db.execute(
                "INSERT INTO songs (sha256, name, path, format, size_bytes, duration_s, sample_rate, channels,"
                " frames, temperature, model, checkpoint, seed, ingested_at)"
                " SELECT ?, ?, path, format, size_bytes, duration_s, sample_rate, channels, frames, ?, model,"
                " checkpoint, ?, ? FROM songs WHERE id = ?",
                (sha, name, round(0.95 + (number % 11) * 0.01, 2), number, now(), source.id))
            drop.db.execute(
                "INSERT INTO results SELECT ?, stage, params_hash, status, reason, result, source, run_id, created_at"
                " FROM results WHERE sha256 = ? AND stage IN ('screen', 'tempo')", (sha, source.sha256))
        drop.db.execute("COMMIT")


@pytest.fixture(scope="module")
def drop_root(tmp_path_factory) -> Path:
    import sys

    from dropper import synth
    from tests.conftest import write_song

    sys.path.insert(0, str(REPO / "scripts"))
    import vendor_js

    if not vendor_js.vendored():  # the page works without it, with no waveform
        try:
            vendor_js.vendor()
        except vendor_js.VendorError as exc:
            print(f"note: no waveform in this run: {exc}")

    def make_song(name, *, bpm=120, seconds=6, pattern="straight", folder, seed=0, temperature=1.0):
        y = synth.make_song(bpm=bpm, seconds=seconds, pattern=pattern, sr=22050, seed=seed)
        return write_song(folder / f"{name}.wav", y, temperature=temperature, seed=seed)

    root = build_drop(tmp_path_factory.mktemp("curate-browser") / "drop", make_song)
    add_takes(root, QUEUE_SIZE)
    return root


@pytest.fixture(scope="module")
def server(drop_root: Path) -> Iterator[Server]:
    running = start_server(drop_root, "--author", "tester")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with chromium() as launched:
        yield launched


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context
    context.close()


def open_page(context, server: Server, song: int | None = None):
    page = context.new_page()
    page.goto(server.url + (f"#song={song}" if song else ""))
    page.wait_for_selector("body[data-ready]")
    if song:
        page.wait_for_selector(f"body[data-song='{song}']")
    return page


def ids(root: Path) -> dict[str, int]:
    with Drop.open(root, environ={}) as drop:
        return {song.name: song.id for song in drop.songs("all")}


def state(root: Path) -> dict[int, annotations.Annotation]:
    with Drop.open(root, environ={}) as drop:
        return annotations.current(drop)


def queue_item(page, name: str):
    return page.locator("#queue li", has=page.locator(".name", has_text=name)).first


def test_keyboard_triage_moves_through_the_queue_and_survives_a_reload(context, server, drop_root, capsys) -> None:
    song = ids(drop_root)
    page = context.new_page()
    started = time.perf_counter()
    page.goto(server.url)
    page.wait_for_selector("body[data-ready]")
    open_s = time.perf_counter() - started
    expect(page.locator("#queue li")).to_have_count(QUEUE_SIZE)
    expect(page.locator("#progress")).to_have_text(f"0 of {QUEUE_SIZE} reviewed, 0 kept")
    expect(page.locator("#song-name")).to_have_text("pad")  # the first unreviewed song
    page.wait_for_selector(f"body[data-song='{song['pad']}']")

    for key in ("k", "x", "j", "l"):  # keep pad, reject punk, skip rock, back to rock
        page.keyboard.press(key)
    expect(page.locator("#song-name")).to_have_text("rock")
    expect(page.locator("#save-status")).to_have_text("saved")
    switches = []
    for number in range(1, 11):  # from a keypress to the next song's page being ready
        before = len(page.evaluate("window.curate.timings"))
        page.keyboard.press("j")
        page.wait_for_selector(f"body[data-song='{song[f'take-{number:04d}']}']")
        page.wait_for_function(f"window.curate.timings.length > {before}")
        switches.append(page.evaluate("window.curate.timings.at(-1)"))
    open_ms = page.evaluate("window.curate.openMs")

    page.reload()
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("#song-name")).to_have_text("take-0010")  # the same place in the queue
    expect(queue_item(page, "pad").locator(".badge")).to_have_text("kept")
    expect(queue_item(page, "punk").locator(".badge")).to_have_text("rejected")
    expect(page.locator("#progress")).to_have_text(f"2 of {QUEUE_SIZE} reviewed, 1 kept")
    page.select_option("#filter-status", "reject")
    expect(page.locator("#shown")).to_have_text("1")
    expect(queue_item(page, "punk")).to_be_visible()
    expect(queue_item(page, "pad")).to_be_hidden()
    decided = state(drop_root)
    assert (decided[song["pad"]].decision, decided[song["pad"]].decided_by) == ("keep", "tester")
    assert decided[song["punk"]].decision == "reject"
    assert song["rock"] not in decided
    with capsys.disabled():
        print(f"\ncurate: queue of {QUEUE_SIZE} songs open {open_ms:.0f} ms after navigation start "
              f"({open_s * 1000:.0f} ms from page.goto); song page ready after a keypress: median "
              f"{statistics.median(switches):.0f} ms, max {max(switches):.0f} ms over {len(switches)} "
              f"switches (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


def test_space_plays_and_arrows_seek_with_the_playhead(context, server, drop_root) -> None:
    page = open_page(context, server, ids(drop_root)["rock"])
    page.keyboard.press("ArrowRight")
    expect(page.locator("#time")).to_have_text("0:05 / 0:06")
    assert float(page.locator("#playhead").evaluate("head => parseFloat(head.style.left)")) > 75
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#time")).to_have_text("0:00 / 0:06")
    page.keyboard.press(" ")
    page.wait_for_function("!document.getElementById('audio').paused")
    page.keyboard.press(" ")
    page.wait_for_function("document.getElementById('audio').paused")


def test_five_taps_at_150_bpm_set_150(context, server, drop_root) -> None:
    target = ids(drop_root)["take-0100"]
    page = open_page(context, server, target)
    start = time.perf_counter()
    for tap in range(5):
        time.sleep(max(0.0, start + tap * 0.4 - time.perf_counter()))
        page.keyboard.press("t")
    shown = float(page.locator("#tempo").text_content())
    assert abs(shown - 150) <= 3, shown
    expect(page.locator("#save-status")).to_have_text("saved")
    assert abs(state(drop_root)[target].tempo_bpm - 150) <= 3
    page.keyboard.press("]")  # x2
    expect(page.locator("#tempo")).to_have_text(f"{round(shown * 2, 1):.1f}")
    page.keyboard.press("n")  # no pulse
    expect(page.locator("#tempo")).to_have_text("0.0")
    expect(page.locator("#save-status")).to_have_text("saved")
    page.reload()
    page.wait_for_selector(f"body[data-song='{target}']")
    expect(page.locator("#tempo")).to_have_text("0.0")
    assert state(drop_root)[target].tempo_bpm == 0


def test_a_distinction_is_autocompleted_and_saved(context, server, drop_root) -> None:
    target = ids(drop_root)["take-0200"]
    page = open_page(context, server, target)
    page.keyboard.press("g")
    page.keyboard.type("ris")
    expect(page.get_by_role("option", name="rising screams")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator("#tag-input")).to_have_value("rising screams")
    page.keyboard.press("Enter")
    expect(page.locator("#tags li", has_text="rising screams")).to_be_visible()
    expect(page.locator("#save-status")).to_have_text("saved")
    assert state(drop_root)[target].distinctions == ("rising screams",)
    page.keyboard.press("3")  # style by number key
    expect(page.locator("#style-now")).to_have_text("death metal")
    expect(page.locator("#save-status")).to_have_text("saved")
    page.keyboard.press("u")  # undo takes the style back
    expect(page.locator("#style-now")).to_have_text("—")
    page.reload()
    page.wait_for_selector(f"body[data-song='{target}']")
    expect(page.locator("#tags li", has_text="rising screams")).to_be_visible()
    page.select_option("#filter-tag", "rising screams")
    expect(page.locator("#shown")).to_have_text("1")
    assert state(drop_root)[target].style is None


def test_two_tabs_on_one_song_report_the_conflict(context, server, drop_root) -> None:
    target = ids(drop_root)["take-0300"]
    first, second = open_page(context, server, target), open_page(context, server, target)
    first.keyboard.press("k")
    expect(first.locator("#save-status")).to_have_text("saved")
    second.keyboard.press("x")
    expect(second.locator("#conflict")).to_be_visible()
    expect(second.locator("#conflict")).to_contain_text("take-0300: changed elsewhere")
    expect(second.locator("#save-status")).to_have_text("conflict: not saved")
    assert state(drop_root)[target].decision == "keep"
    expect(queue_item(second, "take-0300").locator(".badge")).to_have_text("kept")


def test_the_thumbnail_grid_jumps_to_a_song(context, server, drop_root) -> None:
    page = open_page(context, server)
    page.keyboard.press("v")
    expect(page.locator("#grid")).to_be_visible()
    expect(page.locator("#song-view")).to_be_hidden()
    page.get_by_role("button", name="take-0500").click()
    expect(page.locator("#song-view")).to_be_visible()
    expect(page.locator("#song-name")).to_have_text("take-0500")
    page.wait_for_selector(f"body[data-song='{ids(drop_root)['take-0500']}']")


def test_filters_and_sort_narrow_the_queue(context, server) -> None:
    page = open_page(context, server)
    page.select_option("#sort", "temperature")
    expect(page.locator("#queue li").first).to_contain_text("take-0011")  # 0.95, the coolest take
    page.get_by_label("lowest temperature").fill("1.04")
    hot = sum(number % 11 in (9, 10) for number in range(1, QUEUE_SIZE - 2))  # takes at 1.04 and 1.05
    expect(page.locator("#shown")).to_have_text(str(hot))
    expect(queue_item(page, "take-0009")).to_be_visible()
    expect(queue_item(page, "take-0008")).to_be_hidden()
    page.select_option("#filter-status", "flagged")
    page.get_by_label("lowest temperature").fill("")
    flagged = page.evaluate("window.curate.songs.filter((song) => song.flags.length).length")
    assert 0 < flagged < QUEUE_SIZE
    expect(page.locator("#shown")).to_have_text(str(flagged))


def test_no_token_is_refused_and_a_path_is_not_found(context, server) -> None:
    page = context.new_page()
    response = page.goto(server.base)
    assert response.status == 403
    expect(page.locator("body")).to_contain_text("access token")
    response = page.goto(server.base + f"audio/..%2Fdropper.db?token={server.token}")
    assert response.status == 404


def test_a_killed_server_loses_no_saved_decision(context, drop_root) -> None:
    song = ids(drop_root)
    doomed = start_server(drop_root, "--author", "killed")
    try:
        page = open_page(context, doomed, song["take-0400"])
        page.keyboard.press("k")
        page.keyboard.press("Shift+X")  # reject with a reason
        expect(page.get_by_label("reason")).to_be_focused()
        page.keyboard.type("bad-bootleg sound")
        page.keyboard.press("Enter")
        page.keyboard.press("k")
        expect(page.locator("#save-status")).to_have_text("saved")
        expect(page.locator("#progress")).to_contain_text("reviewed")
        os.kill(doomed.process.pid, signal.SIGKILL)
        doomed.process.wait(timeout=10)
    finally:
        doomed.stop()
    decided = state(drop_root)
    assert [decided[song[f"take-{n}"]].decision for n in ("0400", "0401", "0402")] == ["keep", "reject", "keep"]
    assert {decided[song[f"take-{n}"]].decided_by for n in ("0400", "0401", "0402")} == {"killed"}
    assert decided[song["take-0401"]].reason == "bad-bootleg sound"


def test_screenshot_of_the_page(context, server, drop_root, tmp_path) -> None:
    """Writes curate.jpg (README's picture) to $DROPPER_DOCS_DIR, e.g. docs/, else to tmp_path."""
    page = open_page(context, server, ids(drop_root)["rock"])
    page.keyboard.press("2")
    page.keyboard.press("g")
    page.keyboard.type("cool dr")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#save-status")).to_have_text("saved")
    page.locator("#audio").evaluate("audio => { audio.currentTime = 2.2; }")
    page.wait_for_timeout(200)
    shot = Path(os.environ.get("DROPPER_DOCS_DIR") or tmp_path) / "curate.jpg"
    page.screenshot(path=str(shot), type="jpeg", quality=80)
    assert shot.stat().st_size > 20_000


def test_undo_walks_back_through_this_tabs_edits(context, server, drop_root) -> None:
    song = ids(drop_root)
    page = open_page(context, server, song["take-0600"])
    page.keyboard.press("k")  # keep take-0600, on to take-0601
    page.wait_for_selector(f"body[data-song='{song['take-0601']}']")
    page.keyboard.press("3")  # a style for take-0601 (one event) ...
    page.keyboard.press("k")  # ... then keep it (another), on to take-0602
    expect(page.locator("#save-status")).to_have_text("saved")
    for _ in range(3):  # keep of 0601, style of 0601, keep of 0600
        page.keyboard.press("u")
        expect(page.locator("#save-status")).to_have_text(re.compile("undid"))
    expect(page.locator("#song-name")).to_have_text("take-0600")
    decided = state(drop_root)
    assert song["take-0600"] not in decided and song["take-0601"] not in decided


def test_enter_saves_the_typed_tag_unless_a_suggestion_is_chosen(context, server, drop_root) -> None:
    target = ids(drop_root)["take-0700"]
    page = open_page(context, server, target)
    page.keyboard.press("g")
    page.keyboard.type("ris")
    suggestion = page.locator("#tag-suggestions").get_by_role("option", name="rising screams")
    expect(suggestion).to_be_visible()
    expect(page.locator("#tag-suggestions [aria-selected='true']")).to_have_count(0)  # nothing chosen yet
    page.keyboard.press("ArrowDown")
    expect(suggestion).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(page.locator("#tags li", has_text="rising screams")).to_be_visible()
    page.keyboard.press("g")
    page.keyboard.type("rise")  # a new tag that begins like a known one
    page.keyboard.press("Enter")
    expect(page.locator("#save-status")).to_have_text("saved")
    expect(page.locator("#tags li span")).to_have_text(["rising screams", "rise"])
    assert state(drop_root)[target].distinctions == ("rising screams", "rise")


def test_a_page_left_open_across_a_restart_says_its_token_is_stale(context, drop_root) -> None:
    target = ids(drop_root)["take-0800"]
    first = start_server(drop_root)
    try:
        page = open_page(context, first, target)
    finally:
        first.stop()
    second = start_server(drop_root, "--port", str(first.port))  # same address, new token
    try:
        page.keyboard.press("k")
        expect(page.locator("#save-status")).to_contain_text("not saved: this page's access token")
    finally:
        second.stop()
    assert target not in state(drop_root)
