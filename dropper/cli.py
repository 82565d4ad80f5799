"""dropper's command line: thin click commands over the library (one per stage).

Every command loads the drop, calls the library function of the same name and reports. Any
DropperError becomes one line on stderr and its exit code (see dropper.errors); heavy imports
happen inside commands so that ``dropper --help`` stays instant.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
import sys
from collections.abc import Callable
from typing import Any

import click

from dropper import __version__
from dropper.errors import EXIT_ERROR, EXIT_INTERRUPTED, DropperError


class DropperGroup(click.Group):
    """Maps errors to exit codes in one place: DropperError -> its code, a damaged database -> 2,
    Ctrl-C -> 130."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DropperError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except sqlite3.DatabaseError as exc:  # damage SQLite finds only when a query reads it
            click.echo(f"error: dropper.db: the drop database is damaged ({exc}); restore it from a backup",
                       err=True)
            ctx.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("interrupted: finished songs are saved; run the command again to resume",
                       err=True)
            ctx.exit(EXIT_INTERRUPTED)


def drop_argument(command: Callable) -> Callable:
    return click.argument("drop_dir", metavar="[DROP]", default=".", required=False,
                          type=click.Path(file_okay=False))(command)


def json_option(command: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON document on stdout instead of text.")(command)


def jobs_option(command: Callable) -> Callable:
    return click.option("--jobs", "-j", type=click.IntRange(min=0), default=None,
                        help="Local worker processes (0 = one per CPU; also DROPPER_JOBS).")(command)


def ray_address_option(command: Callable) -> Callable:
    return click.option("--ray-address", default=None, metavar="ADDRESS",
                        help="Run on this Ray cluster (also DROPPER_RAY_ADDRESS); "
                             "default: a local process pool.")(command)


def stage_options(command: Callable) -> Callable:
    """The flags every stage shares: --force, --jobs, --ray-address, --json."""
    command = json_option(command)
    command = ray_address_option(command)
    command = jobs_option(command)
    command = click.option("--force", is_flag=True,
                           help="Redo songs that already have an up-to-date result.")(command)
    return command


def open_drop(drop_dir: str):
    from dropper.workspace import Drop

    return Drop.open(drop_dir)


def emit(as_json: bool, document: Any, text: str) -> None:
    click.echo(json.dumps(document, indent=2) if as_json else text)


def run_stage_command(module: str, drop_dir: str, force: bool, jobs: int | None,
                      ray_address: str | None, as_json: bool) -> None:
    """Shared body of the stage commands: open, run, report, exit with the stage's code."""
    import importlib

    from dropper.progress import Progress

    stage = importlib.import_module(f"dropper.stages.{module}")
    with open_drop(drop_dir) as drop:
        report = stage.run(drop, force=force, jobs=jobs, ray_address=ray_address,
                           progress=Progress.for_terminal(json_output=as_json))
    text = "\n".join([report.summary(), *_failure_lines(report), *report.notes])
    emit(as_json, report.to_dict(), text)
    sys.exit(report.exit_code)


def _failure_lines(report: Any) -> list[str]:
    return [f"  failed: {song.name}: {song.reason}" for song in report.songs if song.status == "failed"]


@click.group(cls=DropperGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dropper")
def cli() -> None:
    """dropper: take an album of AI-generated music from raw model output to a published drop.

    A drop is a folder (drop.toml, songs/, dropper.db, build/, reports/). Each stage turns
    files in it into more files and records them in dropper.db; a rerun skips finished work.

    \b
    Start:    dropper init my-drop && cp *.wav my-drop/songs/
    Build:    dropper build my-drop          (every stage, ingest to manifest; see dropper build -h)
    Look:     dropper status my-drop
    Annotate: dropper annotate SONG --drop my-drop --keep --tempo 174

    Exit codes: 0 ok, 1 some songs failed (reasons recorded), 2 bad usage, input or config,
    3 a gate refused, 130 interrupted.
    """


@cli.command()
@click.argument("drop_dir", metavar="DROP", type=click.Path(file_okay=False))
@click.option("--title", default="Untitled Drop", show_default=True, help="Album title.")
@click.option("--artist", default="Unknown Artist", show_default=True, help="Credited artist.")
@json_option
def init(drop_dir: str, title: str, artist: str, as_json: bool) -> None:
    """Create a drop folder with a commented drop.toml and an empty songs/ folder."""
    from dropper.workspace import init as init_drop

    target = init_drop(drop_dir, title=title, artist=artist)
    songs = target.parent / "songs"
    emit(as_json, {"config": str(target), "songs": str(songs)},
         f"created {target}; put the songs in {songs} and run: dropper build {drop_dir}")


@cli.command()
@drop_argument
@stage_options
def ingest(drop_dir: str, force: bool, jobs: int | None, ray_address: str | None, as_json: bool) -> None:
    """Find the audio in the songs folder, verify each file decodes, record the songs.

    Reads wav, flac, ogg and mp3, and a <name>.json sidecar beside each file (temperature,
    model, checkpoint, seed). Corrupt, empty or non-audio files are recorded as failed with
    the reason; identical files are reported once.
    """
    run_stage_command("ingest", drop_dir, force, jobs, ray_address, as_json)


@cli.command()
@drop_argument
@stage_options
def screen(drop_dir: str, force: bool, jobs: int | None, ray_address: str | None, as_json: bool) -> None:
    """Measure silence, clipping, loudness (LUFS) and bandwidth; draw each spectrogram.

    Songs are flagged (silent, mostly_silent, long_silence, clipping, muffled) with the
    thresholds of drop.toml [screen]; nothing is rejected unless screen.auto_reject says so.
    """
    run_stage_command("screen", drop_dir, force, jobs, ray_address, as_json)


@cli.command()
@drop_argument
@stage_options
def tempo(drop_dir: str, force: bool, jobs: int | None, ray_address: str | None, as_json: bool) -> None:
    """Estimate each song's tempo (BPM) with a confidence and its octave alternatives.

    0 means no pulse (ambient). A tapped tempo (dropper annotate --tempo) always wins.
    """
    run_stage_command("tempo", drop_dir, force, jobs, ray_address, as_json)


@cli.command()
@drop_argument
@click.option("--preview", "preview_count", type=click.IntRange(min=1), default=None, metavar="N",
              help="Show the next N titles dropper would give, without saving anything.")
@click.option("--force", is_flag=True, help="Title every kept song again (human titles stay).")
@json_option
def title(drop_dir: str, preview_count: int | None, force: bool, as_json: bool) -> None:
    """Give every kept song a unique title: WordNet synonyms of the album title's words,
    alliterating by sound ("mock melancholy", "phony fear").

    Titles already given stay; a title set with `dropper annotate SONG --title` is never
    replaced. The seed and the share of alliterating titles are set in drop.toml's [title]
    section.
    """
    from dropper.stages import title as stage

    with open_drop(drop_dir) as drop:
        if preview_count:
            titles = stage.preview(drop, preview_count)
            emit(as_json, {"preview": titles},
                 "\n".join(f"{entry['title']}{'' if entry['alliterates'] else '   (no alliteration)'}"
                           for entry in titles))
            return
        report = stage.run(drop, force=force)
    lines = [report.summary()] + [f"  {song.name}: {song.result['title']}"
                                  + (" (set by hand)" if song.result["source"] == "human" else "")
                                  for song in report.songs] + list(report.notes)
    emit(as_json, report.to_dict(), "\n".join(lines))


@cli.command()
@drop_argument
@json_option
def package(drop_dir: str, as_json: bool) -> None:
    """Write each kept song's token metadata (ERC-721 JSON with IPFS CIDs), schema-checked.

    Refused (exit 3) unless every kept song is cleared or waived. Token ids are 1..N in the
    order of the songs' names; build/package.json holds the metadata folder's CID (the base URI).
    """
    from dropper.stages import package as stage

    with open_drop(drop_dir) as drop:
        report = stage.run(drop)
    emit(as_json, report.to_dict(), "\n".join([report.summary(), *report.notes]))


@cli.command()
@drop_argument
@click.option("--force", is_flag=True, help="Build site/ again even when it already shows the current drop.")
@json_option
def catalog(drop_dir: str, force: bool, as_json: bool) -> None:
    """Build the annotated public catalog in site/: a filterable grid of the songs, a page per
    song, the album's charts, the originality report, catalog.json and catalog.csv.

    Static and self-contained (relative links, no network): open site/index.html from disk, or
    serve or pin the folder as it is. A site that already shows the current drop is left as it is.
    """
    from dropper.stages import catalog as stage

    with open_drop(drop_dir) as drop:
        report = stage.run(drop, force=force)
    notes = [f"  {note}" for note in report.notes]
    if not report.built and notes:
        notes[-1] += " (--force builds it again)"
    emit(as_json, report.to_dict(), "\n".join([report.summary(), *notes]))
    sys.exit(report.exit_code)


@cli.command()
@drop_argument
@click.option("--chain", "on_chain", is_flag=True,
              help="Also read the published contract back (tokenURI, ownerOf, royaltyInfo, provenance, baseURI, "
                   "licenseURI, contractURI, maxSupply) and compare it with the package.")
@json_option
def verify(drop_dir: str, on_chain: bool, as_json: bool) -> None:
    """Re-hash the packaged files and check every recorded CID (token metadata, manifest.json); exit 1
    naming each mismatch."""
    from dropper import verify as verify_module

    with open_drop(drop_dir) as drop:
        report = verify_module.run(drop)
        check = None
        if on_chain:
            from dropper.chain.publish import verify_chain

            check = verify_chain(drop)
    text = (f"verify: {report.checked} CIDs checked, all match" if report.ok else
            "\n".join([f"verify: {len(report.mismatches)} of {report.checked} CIDs do not match",
                       *(f"  {line}" for line in report.mismatches)]))
    document = report.to_dict()
    if check is not None:
        from dropper.chain.command import check_lines

        text = "\n".join([text, *check_lines(check)])
        document["chain"] = check.to_dict()
    emit(as_json, document, text)
    sys.exit(0 if report.ok and (check is None or check.ok) else 1)


@cli.command()
@drop_argument
@stage_options
def build(drop_dir: str, force: bool, jobs: int | None, ray_address: str | None, as_json: bool) -> None:
    """Run every stage in order; finished work is not redone.

    ingest, screen, tempo, title, clear, visualize, package, publish, carbon, catalog, manifest.
    clear and everything after it run once the drop has a reference catalog (dropper reference
    add, or drop.toml reference.catalog); package and publish refuse (exit 3) until every kept
    song is cleared or waived. publish runs on the embedded chain only: with chain.rpc_url set,
    run dropper publish yourself. Per-song failures are recorded and do not stop the build.
    """
    from dropper import build as build_module
    from dropper.progress import Progress

    with open_drop(drop_dir) as drop:
        reports = build_module.run(drop, force=force, jobs=jobs, ray_address=ray_address,
                                   progress=Progress.for_terminal(json_output=as_json))
    lines = []
    for report in reports:
        lines += [report.summary(), *_failure_lines(report), *(f"  {note}" for note in report.notes)]
    if all(report.count("done") == 0 and report.count("failed") == 0 and not report.built for report in reports):
        lines.append("build: nothing to do — every stage is up to date")
    emit(as_json, {"stages": [report.to_dict() for report in reports]}, "\n".join(lines))
    sys.exit(max(report.exit_code for report in reports))


@cli.command()
@drop_argument
@click.option("--songs", "show_songs", is_flag=True, help="List every song with its figures.")
@click.option("--failures", "show_failures", is_flag=True, help="List failed files with reasons.")
@json_option
def status(drop_dir: str, show_songs: bool, show_failures: bool, as_json: bool) -> None:
    """Summary of the drop: songs, screened, flagged, kept/rejected/unreviewed, failures."""
    from dropper import status as status_module
    from dropper.report_text import status_text

    with open_drop(drop_dir) as drop:
        current = status_module.collect(drop)
    if as_json:
        click.echo(status_module.as_json(current))
    else:
        click.echo(status_text(current, songs=show_songs, failures=show_failures))


@cli.command()
@click.argument("song")
@click.option("--drop", "drop_dir", default=".", show_default=True, type=click.Path(file_okay=False),
              help="The drop folder.")
@click.option("--keep", is_flag=True, help="Keep the song in the drop.")
@click.option("--reject", is_flag=True, help="Reject the song.")
@click.option("--reason", help="Why (with --keep or --reject).")
@click.option("--style", help="The song's style (the known ones: metadata/vocabulary/styles.txt).")
@click.option("--tempo", "tempo_bpm", type=float, help="Tapped tempo in BPM (0 = no pulse).")
@click.option("--tag", "tags", multiple=True, help="Add a distinction, e.g. 'breakdown in 6/8'.")
@click.option("--untag", "untags", multiple=True, help="Remove a distinction.")
@click.option("--notes", help="Free-text notes (replaces earlier notes).")
@click.option("--title", help="A title override that `dropper title` will never replace.")
@click.option("--undo", is_flag=True, help="Undo the song's last annotation.")
@click.option("--author", default=None, help="Who decides (default: $DROPPER_AUTHOR, else your user name).")
@json_option
def annotate(song: str, drop_dir: str, keep: bool, reject: bool, reason: str | None, style: str | None,
             tempo_bpm: float | None, tags: tuple[str, ...], untags: tuple[str, ...],
             notes: str | None, title: str | None, undo: bool, author: str | None,
             as_json: bool) -> None:
    """Record a human annotation for SONG (name, id or hash prefix); no stage overwrites it."""
    from dropper import annotations

    if keep and reject:
        raise click.UsageError("--keep and --reject exclude each other")
    decision = "keep" if keep else "reject" if reject else None
    author = author or os.environ.get("DROPPER_AUTHOR") or getpass.getuser()
    with open_drop(drop_dir) as drop:
        target = drop.find_song(song)
        if undo:
            undone = annotations.undo_last(drop, target, author=author)
            click.echo(f"{target.name}: undid the last {undone} annotation" if undone
                       else f"{target.name}: nothing to undo", err=as_json)
        annotations.apply_edits(drop, target, author=author, decision=decision, reason=reason,
                                style=style, tempo_bpm=tempo_bpm, add_tags=tags, remove_tags=untags,
                                notes=notes, title=title)
        note = annotations.current(drop).get(target.id, annotations.Annotation())
    from dropper.titles import unknown_tags

    # Unknown tags are allowed (a new distinction), but a likely typo is pointed out.
    for message in unknown_tags(tags) + (unknown_tags([style], kind="styles") if style else []):
        click.echo(f"note: {message}", err=True)
    facts = ", ".join(f"{key}={value}" for key, value in note.to_dict().items() if value not in (None, [], ()))
    emit(as_json, {"song": target.name, **note.to_dict()}, f"{target.name}: {facts or 'no human annotations'}")


@cli.group()
def reference() -> None:
    """The reference catalog (the training discography) that every song is cleared against.

    \b
    dropper reference add PATH... --drop DROP   fingerprint audio files or folders into the index
    dropper reference list --drop DROP          the catalog's tracks and its index hash
    dropper reference remove TRACK --drop DROP  take a track out (every clearance must be redone)
    dropper reference rebuild --drop DROP       fingerprint every track again (new index format)
    """


@reference.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--drop", "drop_dir", default=".", show_default=True, type=click.Path(file_okay=False),
              help="The drop folder (its drop.toml names the index folder).")
@jobs_option
@ray_address_option
@json_option
def reference_add(paths: tuple[str, ...], drop_dir: str, jobs: int | None, ray_address: str | None,
                  as_json: bool) -> None:
    """Fingerprint audio files (or every audio file under folders) into the reference index.

    Tracks already in the index (same content hash) are skipped; a corrupt file is reported and
    the rest are added. The index hash changes, so every song must be cleared again.
    """
    from dropper import reference as reference_module
    from dropper.progress import Progress

    with open_drop(drop_dir) as drop:
        report = reference_module.add(drop, list(paths), jobs=jobs, ray_address=ray_address,
                                      progress=Progress.for_terminal(json_output=as_json))
    emit(as_json, report.to_dict(), "\n".join([report.summary(), *_failure_lines(report), *report.notes]))
    sys.exit(report.exit_code)


@reference.command("rebuild")
@click.option("--drop", "drop_dir", default=".", show_default=True, type=click.Path(file_okay=False),
              help="The drop folder.")
@jobs_option
@json_option
def reference_rebuild(drop_dir: str, jobs: int | None, as_json: bool) -> None:
    """Fingerprint every reference track again into a new index (after an index format change).

    The old index stays in place until the new one is complete.
    """
    from dropper import reference as reference_module
    from dropper.progress import Progress

    with open_drop(drop_dir) as drop:
        report = reference_module.rebuild(drop, jobs=jobs, progress=Progress.for_terminal(json_output=as_json))
    emit(as_json, report.to_dict(), "\n".join([report.summary(), *_failure_lines(report), *report.notes]))
    sys.exit(report.exit_code)


@reference.command("list")
@click.option("--drop", "drop_dir", default=".", show_default=True, type=click.Path(file_okay=False),
              help="The drop folder.")
@json_option
def reference_list(drop_dir: str, as_json: bool) -> None:
    """List the reference catalog's tracks and the index hash."""
    from dropper import reference as reference_module

    with open_drop(drop_dir) as drop:
        index_hash, tracks = reference_module.tracks(drop)
    hours = sum(track.duration_s for track in tracks) / 3600
    lines = [f"index_hash {index_hash}: {len(tracks)} tracks, {hours:.2f} h"]
    lines += [f"  {track.id[:12]}  {track.duration_s:8.1f} s  {track.name}" for track in tracks]
    emit(as_json, {"index_hash": index_hash, "tracks": [track.to_dict() for track in tracks]}, "\n".join(lines))


@reference.command("remove")
@click.argument("tracks", nargs=-1, required=True)
@click.option("--drop", "drop_dir", default=".", show_default=True, type=click.Path(file_okay=False),
              help="The drop folder.")
@json_option
def reference_remove(tracks: tuple[str, ...], drop_dir: str, as_json: bool) -> None:
    """Remove tracks (by name, id or id prefix) from the reference index."""
    from dropper import reference as reference_module

    with open_drop(drop_dir) as drop:
        removed = reference_module.remove(drop, list(tracks))
    emit(as_json, {"removed": removed},
         f"removed {', '.join(removed)}; clear the drop again: dropper clear {drop_dir}")


@cli.command()
@drop_argument
@stage_options
@click.option("--waive", "waive_song", metavar="SONG", help="Record a waiver for SONG (needs --reason).")
@click.option("--unwaive", "unwaive_song", metavar="SONG", help="Revoke SONG's waiver.")
@click.option("--reason", help="Why the waived song may be published despite its flag.")
@click.option("--author", default=None, help="Who waives (default: $DROPPER_AUTHOR, else your user name).")
def clear(drop_dir: str, force: bool, jobs: int | None, ray_address: str | None, as_json: bool,
          waive_song: str | None, unwaive_song: str | None, reason: str | None, author: str | None) -> None:
    """Scan every kept song for copies of the reference catalog and of the drop's other songs.

    Writes reports/originality.json and .html. Publishing is refused until every kept song
    passes against the current index, or has a waiver recorded with a reason and a name.
    """
    from dropper import gate
    from dropper.progress import Progress
    from dropper.stages import clear as stage

    if waive_song and unwaive_song:
        raise click.UsageError("--waive and --unwaive cannot be used together: record or revoke one waiver "
                               "per command")
    with open_drop(drop_dir) as drop:
        if waive_song or unwaive_song:
            song = drop.find_song(waive_song or unwaive_song)
            if waive_song:
                gate.check_reason(reason)
                if gate.current_result(drop, song)[1] is None:  # a waiver names the matches it waives
                    stage.run(drop, force=force, jobs=jobs, ray_address=ray_address,
                              progress=Progress.for_terminal(json_output=as_json))
                    force = False  # scanned just now: the run below only writes the report
                gate.waive(drop, song, reason=reason or "",
                           author=author or os.environ.get("DROPPER_AUTHOR") or getpass.getuser())
                click.echo(f"{song.name}: waiver recorded", err=True)
            else:
                click.echo(f"{song.name}: waiver revoked" if gate.revoke(drop, song)
                           else f"{song.name}: had no waiver", err=True)
        report = stage.run(drop, force=force, jobs=jobs, ray_address=ray_address,
                           progress=Progress.for_terminal(json_output=as_json))
    emit(as_json, report.to_dict(), "\n".join([report.summary(), *_failure_lines(report), *report.notes]))
    sys.exit(report.exit_code)


@cli.command()
@drop_argument
@stage_options
def visualize(drop_dir: str, force: bool, jobs: int | None, ray_address: str | None, as_json: bool) -> None:
    """Render each kept song's music video (MP4), timelapse GIF and poster (PNG).

    The look is set in drop.toml [visualize]; files go to build/videos, build/gifs and
    build/posters, named by the song's content hash.
    """
    run_stage_command("visualize", drop_dir, force, jobs, ray_address, as_json)


@cli.command()
@click.argument("report_path", metavar="REPORT", type=click.Path(dir_okay=False))
@click.option("--drop", "drop_dir", default=".", show_default=True, type=click.Path(file_okay=False),
              help="The drop whose songs and reference index the report was made from.")
@jobs_option
@json_option
def audit(report_path: str, drop_dir: str, jobs: int | None, as_json: bool) -> None:
    """Re-run the originality check of REPORT from its recorded parameters; say if it reproduces.

    Exit 0 when the re-run gives the report byte for byte, 1 when it does not.
    """
    from dropper.originality import audit as audit_report

    with open_drop(drop_dir) as drop:
        result = audit_report(drop, report_path, jobs=jobs)
    text = "audit: the report is reproduced exactly" if result.reproduced else "audit: NOT reproduced"
    emit(as_json, result.to_dict(), "\n".join([text, *(f"  {line}" for line in result.differences)]))
    sys.exit(0 if result.reproduced else 1)


@cli.command()
@drop_argument
@click.option("--date", default=None, metavar="YYYY-MM-DD",
              help="Estimate for this date instead of drop.toml carbon.date (e.g. 2021-03-11 for proof-of-work).")
@click.option("--network", type=click.Choice(["auto", "pow", "pos"]), default=None,
              help="Era of the emission factor (default: drop.toml carbon.network, auto by date).")
@json_option
def carbon(drop_dir: str, date: str | None, network: str | None, as_json: bool) -> None:
    """Estimate the drop's share of Ethereum's emissions and the offset to buy.

    Gas of every transaction of the drop (recorded by publish, or measured by running the
    contract on the in-process EVM; expected mints and transfers from drop.toml) x the emission
    factor of the network on the drop's date (metadata/carbon/, with sources) x the offset
    multiplier (8 by default). Writes reports/carbon.json and reports/carbon.html; with --date or
    --network it prints that estimate without writing the report.
    """
    from dropper.carbon import report as carbon_report
    from dropper.stages import carbon as stage

    with open_drop(drop_dir) as drop:
        if date is None and network is None:
            stage.run(drop)
            document = json.loads(carbon_report.write_paths(drop)["json"].read_text(encoding="utf-8"))
        else:
            document = carbon_report.build(drop, date=date, network=network)
            carbon_report.validate(document)
    lines = [f"carbon: {carbon_report.summary_line(document)}"]
    lines += [f"  {row['label']}: {carbon_report.format_kg(row['estimated_kg_co2e'])} CO2e"
              for row in document["comparison"]]
    emit(as_json, document, "\n".join(lines))


@cli.command()
@drop_argument
@json_option
def manifest(drop_dir: str, as_json: bool) -> None:
    """Write manifest.json for the marketplace and the drop's CAR file (build/drop.car).

    The manifest names the contract, the IPFS root and folder CIDs, every token (metadata and
    media CIDs, audio SHA-256, tempo, temperature, style, distinctions), the originality and
    carbon summaries and the tool versions. Validated on write; identical on a rerun.
    """
    from dropper.stages import manifest as stage

    with open_drop(drop_dir) as drop:
        report = stage.run(drop)
        document = json.loads((drop.root / "manifest.json").read_text(encoding="utf-8"))
    emit(as_json, document, "\n".join(report.notes))


# Commands that live beside their library code, each in a light module (heavy imports inside
# the command). Imported last because they reuse the option helpers above. One line each.
# --- registered commands ---
from dropper.chain.command import publish; cli.add_command(publish)  # noqa: E402,E702
from dropper.ipfs.command import car, pin; cli.add_command(car); cli.add_command(pin)  # noqa: E402,E702
from dropper.curate.command import curate; cli.add_command(curate)  # noqa: E402,E702
from generator.command import generate; cli.add_command(generate)  # noqa: E402,E702
# --- end of registered commands ---


def main() -> None:
    """Console entry point."""
    try:
        cli.main(prog_name="dropper", standalone_mode=True)
    except BrokenPipeError:  # `dropper status | head`
        sys.stderr.close()
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()
