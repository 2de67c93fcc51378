"""The organiser's Ed25519 key pair, as PEM files: private (mode 0600) and public."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class MissingKey(Exception):
    """The key file is not there: the organiser has not run ``ketnoi org init`` yet."""


def create_key_pair(private_file: Path, public_file: Path) -> bool:
    """Write a new key pair unless the private key exists; True if one was written."""
    if private_file.exists():
        if not public_file.exists():
            _write_public(load_private_key(private_file).public_key(), public_file)
        return False
    private_file.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Created with 0600 from the start: never readable by others, not even for an instant.
    descriptor = os.open(private_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    _write_public(key.public_key(), public_file)
    return True


def _write_public(key: Ed25519PublicKey, public_file: Path) -> None:
    public_file.parent.mkdir(parents=True, exist_ok=True)
    public_file.write_bytes(
        key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise MissingKey(f"no organiser private key at {path}; run `ketnoi org init`") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except FileNotFoundError:
        raise MissingKey(
            f"no organiser public key at {path}; run `ketnoi org init` or set "
            "KETNOI_IDENTITY_PUBLIC_KEY_FILE"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} does not hold an Ed25519 public key")
    return key
