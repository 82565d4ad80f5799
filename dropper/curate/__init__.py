"""The curation app (`dropper curate`): listen, look, keep or reject, annotate, tap the tempo.

:mod:`.queue` reads what the page shows, :mod:`.app` serves it (edits go through
:func:`dropper.annotations.apply_edits`), :mod:`.server` runs it on loopback, and
:mod:`.spreadsheet` does the same edits from a CSV file.
"""
