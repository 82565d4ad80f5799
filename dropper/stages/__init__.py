"""The pipeline's stages, one module each, in build order; each has ``run(drop, ...)``."""

# Build order of `dropper build`; later stages append themselves here.
BUILD_ORDER = ("ingest", "screen", "tempo", "title", "clear", "visualize", "package", "publish", "carbon",
               "catalog", "manifest")
