"""The compiled contracts committed in ``contracts/artifacts/`` (no compiler at run time)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dropper.resources import load_json

DROP_CONTRACT = "DropERC721"
BASELINE_CONTRACT = "BaselineERC721"


@dataclass(frozen=True)
class Artifact:
    """ABI and creation bytecode of one contract, with the compiler that produced them."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    compiler_version: str
    source_hashes: dict[str, str]


def load_artifact(name: str = DROP_CONTRACT) -> Artifact:
    """Read ``contracts/artifacts/<name>.json``.

    Parameters
    ----------
    name : str
        Contract name: ``"DropERC721"`` (the drop) or ``"BaselineERC721"`` (gas baseline).
    """
    raw = load_json("contracts", f"artifacts/{name}.json")
    return Artifact(name=raw["contractName"], abi=raw["abi"], bytecode=raw["bytecode"],
                    compiler_version=raw["compiler"]["version"], source_hashes=raw["sourceHashes"])
