"""`dropper curate`: the curation web app, and its CSV export/import for spreadsheets."""

from __future__ import annotations

import getpass
import os
import sys

import click

from dropper.cli import drop_argument, emit, json_option, open_drop


@click.command()
@drop_argument
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Keep the default unless others on a shared machine "
                   "must reach the app: anyone holding the printed URL can edit.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port to listen on (0 = any free port).")
@click.option("--no-browser", is_flag=True, help="Print the URL without opening a browser.")
@click.option("--author", default=None, help="Who decides (default: $DROPPER_AUTHOR, else your user name).")
@click.option("--export", "export_path", metavar="CSV", type=click.Path(dir_okay=False),
              help="Write one row per song (name, decision, reason, style, tempo, tags, notes) and exit.")
@click.option("--import", "import_path", metavar="CSV", type=click.Path(dir_okay=False),
              help="Record the differences between CSV and the database (as the app would) and exit.")
@json_option
def curate(drop_dir: str, host: str, port: int, no_browser: bool, author: str | None,
           export_path: str | None, import_path: str | None, as_json: bool) -> None:
    """Listen to, look at and decide on every song in a local web app, keyboard first.

    Prints a URL with a fresh access token (every request without it is refused) and opens it.
    On the page: space plays, arrows seek, K keeps, X rejects (Shift for a reason), J/L next and
    previous, T taps the tempo, 1-9 pick a style, G adds a distinction, U undoes; V shows the
    spectrogram grid. Every edit is saved at once, with your name and the time.

    \b
    dropper curate my-drop
    dropper curate my-drop --export decisions.csv   # edit in a spreadsheet, then:
    dropper curate my-drop --import decisions.csv
    """
    author = author or os.environ.get("DROPPER_AUTHOR") or getpass.getuser()
    if export_path and import_path:
        raise click.UsageError("give --export or --import, not both")
    if export_path or import_path:
        _spreadsheet(drop_dir, export_path, import_path, author, as_json)
        return
    from dropper.curate.app import VENDOR_FILE
    from dropper.curate.server import serve

    with open_drop(drop_dir) as drop:
        root, count = drop.root, len(drop.songs("all"))

    def ready(address) -> None:
        emit(as_json, {"url": address.url, "host": address.host, "port": address.port, "songs": count},
             f"dropper curate: {count} songs at {address.url}  (Ctrl-C stops)")
        sys.stdout.flush()
        if host not in ("127.0.0.1", "localhost", "::1"):
            click.echo(f"note: listening on {host}: anyone who has the URL can edit this drop", err=True)
        if not VENDOR_FILE.is_file():
            click.echo("note: no waveform (wavesurfer.js is not vendored: python scripts/vendor_js.py)", err=True)
        if not no_browser:
            import threading
            import webbrowser

            threading.Thread(target=webbrowser.open, args=(address.url,), daemon=True).start()

    serve(root, host=host, port=port, author=author, on_ready=ready)


def _spreadsheet(drop_dir: str, export_path: str | None, import_path: str | None, author: str,
                 as_json: bool) -> None:
    from dropper.curate import spreadsheet

    with open_drop(drop_dir) as drop:
        if export_path:
            rows = spreadsheet.export_csv(drop, export_path)
            emit(as_json, {"exported": rows, "path": export_path}, f"exported {rows} songs to {export_path}")
            return
        report = spreadsheet.import_csv(drop, import_path, author=author)
    emit(as_json, report.to_dict(), "\n".join([report.summary(), *(f"  changed: {name}" for name in report.changed)]))
