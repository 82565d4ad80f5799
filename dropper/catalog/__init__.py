"""The annotated catalog: a static site of the drop's kept songs (``dropper catalog``)."""

from dropper.catalog.builder import DEFAULT_IPFS_GATEWAY, SiteReport, build_site

__all__ = ["DEFAULT_IPFS_GATEWAY", "SiteReport", "build_site"]
