"""The deployer's key: from an environment variable or an encrypted keystore, never from drop.toml.

The key is only ever held in a ``LocalAccount`` that signs transactions locally; no message of
dropper contains it. The embedded chain signs with eth-tester's first funded test account.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from dropper.errors import ConfigError, MissingInput

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

PASSWORD_ENV = "DROPPER_KEYSTORE_PASSWORD"
# eth-tester's genesis funds the accounts of the private keys 1, 2, 3, ...: well known, test only.
EMBEDDED_KEY = "0x" + "00" * 31 + "01"


def embedded_account() -> LocalAccount:
    """The funded deployer of the embedded (in-process) chain."""
    from eth_account import Account

    return Account.from_key(EMBEDDED_KEY)


def deployer_account(key_env: str, keystore: str, *, root: Path,
                     environ: Mapping[str, str] | None = None) -> LocalAccount:
    """The deployer for a JSON-RPC node: ``keystore`` when set, else the variable ``key_env``.

    Raises ConfigError with one line naming the variable (never its value) when the key is
    missing or malformed.
    """
    from eth_account import Account

    environ = os.environ if environ is None else environ
    if keystore:
        return _from_keystore(root / keystore, environ)
    value = environ.get(key_env, "").strip()
    if not value:
        raise ConfigError(f"no deployer key: set the environment variable {key_env} to the deployer's private "
                          "key (hex), or chain.keystore to an encrypted keystore file")
    try:
        return Account.from_key(value if value.startswith("0x") else "0x" + value)
    except (ValueError, TypeError):
        raise ConfigError(f"environment variable {key_env}: not a private key (expected 64 hex digits)") from None


def _from_keystore(path: Path, environ: Mapping[str, str]) -> LocalAccount:
    import json

    from eth_account import Account

    if not path.is_file():
        raise MissingInput(f"chain.keystore: {path}: no such keystore file")
    password = environ.get(PASSWORD_ENV)
    if password is None and sys.stdin.isatty():
        password = getpass.getpass(f"password of keystore {path.name}: ")
    if password is None:
        raise ConfigError(f"keystore {path.name}: set the environment variable {PASSWORD_ENV} to its password")
    try:
        return Account.from_key(Account.decrypt(json.loads(path.read_text(encoding="utf-8")), password))
    except (ValueError, KeyError, json.JSONDecodeError):
        raise ConfigError(f"keystore {path.name}: cannot decrypt it with {PASSWORD_ENV} "
                          "(wrong password or not a keystore file)") from None
