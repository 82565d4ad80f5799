"""Install NLTK's WordNet corpus where dropper finds it: <venv>/nltk_data/corpora/wordnet.

Uses NLTK's downloader when its host answers; otherwise (offline machines) builds the same
folder from Debian's ``wordnet-base`` and ``wordnet-sense-index`` packages, fetched with
``apt-get download`` and unpacked with ``dpkg-deb -x`` into a temporary folder (no root needed,
nothing installed system-wide). Safe to run again: an installed corpus is left alone.

    .venv/bin/python scripts/install_wordnet.py [--source auto|nltk|debian] [--target DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEBIAN_PACKAGES = ("wordnet-base", "wordnet-sense-index")
# The files NLTK's WordNet reader opens (lexnames is not in Debian's packages: written below).
CORPUS_FILES = (
    "lexnames", "index.sense", "cntlist.rev",
    "index.adj", "index.adv", "index.noun", "index.verb",
    "data.adj", "data.adv", "data.noun", "data.verb",
    "adj.exc", "adv.exc", "noun.exc", "verb.exc",
)
SYNTACTIC_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}  # lexnames(5WN)
DOWNLOAD_TIMEOUT_S = 20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", choices=("auto", "nltk", "debian"), default="auto",
                        help="auto: NLTK's downloader, then Debian's packages if that fails")
    parser.add_argument("--target", type=Path, default=Path(sys.prefix) / "nltk_data",
                        help="nltk_data folder to fill (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="rebuild even if the corpus is there")
    args = parser.parse_args(argv)

    corpus = args.target / "corpora" / "wordnet"
    if not args.force and (is_complete(corpus) or (args.target / "corpora" / "wordnet.zip").is_file()):
        print(f"install_wordnet: WordNet already in {args.target}")
        return 0
    started = time.monotonic()
    try:
        failure = download_with_nltk(args.target) if args.source in ("auto", "nltk") else "not tried"
        if failure is None:
            how = "NLTK's downloader"
        elif args.source == "nltk":
            print(f"install_wordnet: NLTK's downloader failed ({failure}); try --source debian", file=sys.stderr)
            return 2
        else:
            if args.source == "auto":
                print(f"install_wordnet: NLTK's downloader failed ({failure}); building from Debian's packages",
                      file=sys.stderr)
            build_from_debian(corpus)
            how = "Debian packages " + " + ".join(DEBIAN_PACKAGES)
        check_loads(args.target)
    except (OSError, subprocess.CalledProcessError, RuntimeError) as error:
        print(f"install_wordnet: {error}", file=sys.stderr)
        return 2
    print(f"install_wordnet: WordNet installed in {args.target} from {how} "
          f"({time.monotonic() - started:.1f} s)")
    return 0


def is_complete(corpus: Path) -> bool:
    return all((corpus / name).is_file() for name in CORPUS_FILES)


def download_with_nltk(target: Path) -> str | None:
    """NLTK's own download: None when done, else why not (its host unreachable, usually)."""
    try:
        import nltk
    except ImportError:
        return "nltk is not installed"
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    messages = io.StringIO()
    # The downloader prints its errors even when quiet, to the stderr it saw when it was imported
    # (print_error_to's default): they are caught here and said once, in the caller's one line.
    try:
        with contextlib.redirect_stdout(messages), contextlib.redirect_stderr(messages):
            done = nltk.download("wordnet", download_dir=str(target), quiet=True, raise_on_error=False,
                                 print_error_to=messages)
    except Exception:  # noqa: BLE001 - the downloader raises many kinds of network errors; all mean "fall back"
        done = False
    finally:
        socket.setdefaulttimeout(previous)
    if done:
        return None
    said = " ".join(line.replace("[nltk_data]", "").strip() for line in messages.getvalue().splitlines())
    return " ".join(said.split()) or "no answer"


def build_from_debian(corpus: Path) -> None:
    """Fetch and unpack the Debian packages, then copy their database into ``corpus``."""
    with tempfile.TemporaryDirectory(prefix="dropper-wordnet-") as scratch:
        scratch_dir = Path(scratch)
        debs = apt_download(scratch_dir)
        unpacked = scratch_dir / "root"
        for deb in debs:
            subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
        source = unpacked / "usr" / "share" / "wordnet"
        staging = corpus.with_name(".wordnet.part")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        # Copies, not links: NLTK's path checks refuse symlinked and hard-linked data files.
        for path in sorted(source.iterdir()):
            if path.is_file():
                shutil.copyfile(path, staging / path.name)
        manual = unpacked / "usr" / "share" / "man" / "man5" / "lexnames.5WN.gz"
        (staging / "lexnames").write_text(lexnames_from_manual(manual), encoding="ascii")
        missing = [name for name in CORPUS_FILES if not (staging / name).is_file()]
        if missing:
            raise RuntimeError(f"the Debian packages lack {', '.join(missing)}")
        if corpus.exists():
            shutil.rmtree(corpus)
        os.replace(staging, corpus)


def apt_download(folder: Path) -> list[Path]:
    command = ["apt-get", "download", *DEBIAN_PACKAGES]
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise RuntimeError("apt-get and dpkg-deb are needed to build WordNet offline (Debian/Ubuntu)")
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    if result.returncode != 0 and os.geteuid() == 0:
        # A fresh image has no package lists yet.
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, check=False)
        result = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"`{' '.join(command)}` failed (as root, run `apt-get update` first):\n"
                           f"{result.stderr.strip()}")
    debs = sorted(folder.glob("*.deb"))
    if len(debs) != len(DEBIAN_PACKAGES):
        raise RuntimeError(f"apt-get download gave {[d.name for d in debs]}")
    return debs


def lexnames_from_manual(manual: Path) -> str:
    """The ``lexnames`` file, from the table in lexnames(5WN): "NN<TAB>name<TAB>category" lines."""
    with gzip.open(manual, "rt", encoding="utf-8") as stream:
        text = stream.read()
    rows = re.findall(r"^(\d\d)\t((noun|verb|adj|adv)\.\w+)\s*\t", text, flags=re.MULTILINE)
    lines = [f"{number}\t{name}\t{SYNTACTIC_CATEGORY[category]}" for number, name, category in rows]
    if [int(number) for number, _, _ in rows] != list(range(45)):
        raise RuntimeError(f"could not read the 45 lexicographer files from {manual.name}")
    return "\n".join(lines) + "\n"


def check_loads(target: Path) -> None:
    """Load the new corpus the way dropper does and look one word up."""
    import nltk.data

    nltk.data.path.insert(0, str(target))
    from dropper.wordnet import load_wordnet

    if not load_wordnet().synsets("feeling"):
        raise RuntimeError(f"WordNet in {target} loads but has no synsets for 'feeling'")


if __name__ == "__main__":
    sys.exit(main())
