"""The embedded chain: web3.py's in-process EVM (eth-tester + py-evm), kept between processes.

py-evm keeps its state in memory only, so the chain persists as a journal: every signed raw
transaction sent to it is appended to ``build/chain/embedded.jsonl`` once it is mined. Opening
the chain starts a fresh in-process EVM (whose genesis is always the same) and replays the
journal in order; the same signed transactions give the same blocks, addresses, hashes and gas.
A transaction lost by a killed process never reached the journal, so it never happened.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from dropper.errors import DropperError
from dropper.files import write_text

if TYPE_CHECKING:
    from web3 import Web3

JOURNAL = Path("chain") / "embedded.jsonl"


class EmbeddedChain:
    """An in-process EVM replayed from, and recording into, a journal file."""

    def __init__(self, journal: Path):
        from web3 import EthereumTesterProvider, Web3

        self.journal = journal
        self.w3: Web3 = Web3(EthereumTesterProvider())
        self._replay()

    def _replay(self) -> None:
        if not self.journal.is_file():
            return
        lines = self.journal.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                if number == len(lines):  # a write cut short by a killed process: never recorded
                    write_text(self.journal, "".join(kept + "\n" for kept in lines[:-1]))
                    break
                raise DropperError(f"{self.journal}: line {number} is not JSON; the embedded chain's "
                                   "journal is damaged") from None
            tx_hash = self.w3.eth.send_raw_transaction(entry["raw"])
            if tx_hash.to_0x_hex() != entry["hash"]:
                raise DropperError(f"{self.journal}: line {number} replays as a different transaction; "
                                   "the embedded chain's journal is damaged")

    def record(self, raw_transaction: bytes, tx_hash: str) -> None:
        """Append a mined transaction to the journal (flushed to disk before returning)."""
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        with open(self.journal, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"hash": tx_hash, "raw": "0x" + raw_transaction.hex()}) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
