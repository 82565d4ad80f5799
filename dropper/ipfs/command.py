"""``dropper car`` and ``dropper pin``: the drop's CAR archive, and pinning it where drop.toml says.

Light at import (click only); the work is in :mod:`dropper.ipfs.export` and
:mod:`dropper.ipfs.pin`.
"""

from __future__ import annotations

import sys

import click

from dropper.cli import drop_argument, emit, json_option, open_drop


@click.command()
@drop_argument
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
              help="Where to write the CAR (default: build/drop.car in the drop).")
@click.option("--verify", "verify_blocks", is_flag=True,
              help="Read the CAR back and check every block against its CID.")
@json_option
def car(drop_dir: str, out_path: str | None, verify_blocks: bool, as_json: bool) -> None:
    """Write the whole drop as one CAR v1 archive (build/drop.car), the file to upload to a
    pinning service or to import into a kubo node (ipfs dag import build/drop.car).

    \b
    Its root folder holds:
      media/<token id>/   audio, video.mp4, gif.gif, poster.png, spectrogram.png
      metadata/           the token metadata (its CID is the contract's base URI)
      reports/            originality and carbon reports, when written
      site/               the catalog site, when built
    Every file must still have the CID its token metadata records (else: run dropper package
    again). An up-to-date CAR is not written again.
    """
    from dropper import ipfs
    from dropper.ipfs.export import car_status
    from dropper.progress import Progress

    with open_drop(drop_dir) as drop:
        written, changed, export = car_status(drop, out_path,
                                              progress=Progress.for_terminal(json_output=as_json))
        shown = drop.relative(written.path)
    blocks = ipfs.read_car(written.path).blocks if verify_blocks else None
    document = {"path": str(written.path), "car_bytes": written.car_bytes, "root_cid": written.root_cid,
                "written": changed, "verified_blocks": blocks, "folders": export.folder_cids(),
                "files": export.files, "file_bytes": export.file_bytes}
    lines = [(f"car: {shown}: {written.car_bytes / 1e6:.1f} MB, root {written.root_cid} "
              f"({'written' if changed else 'up to date'})"),
             *(f"  {name + '/':<10} {cid}" for name, cid in export.folder_cids().items())]
    if blocks is not None:
        lines.append(f"  read back: {blocks} blocks, each matches its CID")
    emit(as_json, document, "\n".join(lines))


@click.command()
@drop_argument
@json_option
def pin(drop_dir: str, as_json: bool) -> None:
    """Pin the drop (its root and its metadata folder) to a kubo node and/or a pinning service.

    \b
    Where, from drop.toml:
      [ipfs] api = "http://127.0.0.1:5001"       a kubo node's RPC API: the CAR is imported
                                                 (dag import) and both CIDs pinned
      [pinning] url = "https://service/psa"      any IPFS Pinning Service API; its token is
                token_env = "DROPPER_PINNING_TOKEN"   read from that environment variable only
                upload_url = "..."               where the service takes CAR uploads, if it does
    kubo 0.5 or newer will do (ipfshttpclient 0.7.0's check for <= 0.7 is relaxed).

    Every file is hashed again first: if one changed since dropper package, nothing is pinned.
    Pins already in place are skipped; an interrupted run resumes. Exit 0 only when every
    target reports both CIDs pinned and equal to the ones computed here.
    """
    from dropper.ipfs import pin as pin_module
    from dropper.progress import Progress

    with open_drop(drop_dir) as drop:
        report = pin_module.run(drop, progress=Progress.for_terminal(json_output=as_json))
    emit(as_json, report.to_dict(), report.text())
    sys.exit(report.exit_code)
