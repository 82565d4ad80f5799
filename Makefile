# The two commands: `make example` builds the example drop end to end; `make test` runs the tests.
# Both set up .venv first (scripts/setup.sh), so they work on a fresh machine.

.PHONY: setup example test benchmarks clean-example

setup:
	@bash scripts/setup.sh

example: setup
	.venv/bin/python release/example/make_songs.py
	.venv/bin/dropper build release/example
	.venv/bin/dropper status release/example --songs

test: setup
	.venv/bin/python -m pytest -q

benchmarks: setup
	.venv/bin/python benchmarks/tempo.py

clean-example:
	rm -rf release/example/songs release/example/catalog release/example/build release/example/reports release/example/site release/example/manifest.json release/example/dropper.db*
