"""The audit chain's Ed25519 key, kept outside the database so its administrator cannot re-sign history.

Where the key comes from, first found wins:

- ``HUIQI_AUDIT_KEY``: the private key as an environment secret (32 bytes, hex or base64);
- ``HUIQI_AUDIT_KEY_FILE`` (default ``var/audit-signing-key.pem``): a PKCS#8 PEM file. When nothing is
  configured and the file does not exist, the first entry written creates it (mode 0600) and says so;
- ``HUIQI_AUDIT_PUBLIC_KEY``: a public key PEM file alone, for an auditor who verifies but never signs.

A key is named by the first 16 hex digits of the SHA-256 of its raw public key (``key_id``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

DEFAULT_KEY_FILE = "var/audit-signing-key.pem"
log = logging.getLogger("huiqi.audit")


class AuditKeyError(ValueError):
    """The configured key cannot be read."""


@dataclass(frozen=True)
class AuditKey:
    public: Ed25519PublicKey
    private: Ed25519PrivateKey | None  # None: verify only
    key_id: str
    source: str  # where it came from, for messages

    def sign(self, message: bytes) -> str:
        if self.private is None:
            raise AuditKeyError(f"the audit key from {self.source} is public only: it cannot sign / 只有公钥，无法签名")
        return self.private.sign(message).hex()

    def check(self, message: bytes, signature: str) -> bool:
        try:
            self.public.verify(bytes.fromhex(signature), message)
            return True
        except (InvalidSignature, ValueError):
            return False


def key_file() -> Path:
    return Path(os.environ.get("HUIQI_AUDIT_KEY_FILE") or DEFAULT_KEY_FILE)


def _key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _from_private(private: Ed25519PrivateKey, source: str) -> AuditKey:
    return AuditKey(private.public_key(), private, _key_id(private.public_key()), source)


def _decode_secret(secret: str) -> bytes:
    secret = secret.strip()
    try:
        raw = bytes.fromhex(secret) if len(secret) == 64 else base64.b64decode(secret, validate=True)
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != 32:
        raise AuditKeyError("HUIQI_AUDIT_KEY: must be 32 bytes as 64 hex digits or base64 / 审计密钥格式错误")
    return raw


_cache: dict[tuple, AuditKey] = {}


def load(create: bool = False) -> AuditKey | None:
    """The configured key; with ``create`` a missing key file is generated (first use of ``make run``)."""
    secret, path, public = os.environ.get("HUIQI_AUDIT_KEY"), key_file(), os.environ.get("HUIQI_AUDIT_PUBLIC_KEY")
    where = (secret, str(path.resolve()), public)
    if where in _cache:
        return _cache[where]
    if secret:
        key = _from_private(Ed25519PrivateKey.from_private_bytes(_decode_secret(secret)), "HUIQI_AUDIT_KEY")
    elif path.exists():
        key = _read_private(path)
    elif public:
        try:
            loaded = serialization.load_pem_public_key(Path(public).read_bytes())
        except (OSError, ValueError) as e:
            raise AuditKeyError(f"HUIQI_AUDIT_PUBLIC_KEY: cannot read {public}: {e}") from None
        if not isinstance(loaded, Ed25519PublicKey):
            raise AuditKeyError(f"HUIQI_AUDIT_PUBLIC_KEY: {public} is not an Ed25519 public key")
        key = AuditKey(loaded, None, _key_id(loaded), public)
    elif create:
        key = _generate(path)
    else:
        return None
    _cache[where] = key
    return key


def _read_private(path: Path) -> AuditKey:
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as e:
        raise AuditKeyError(f"HUIQI_AUDIT_KEY_FILE: cannot read {path}: {e}") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise AuditKeyError(f"HUIQI_AUDIT_KEY_FILE: {path} is not an Ed25519 private key")
    return _from_private(loaded, str(path))


def _generate(path: Path) -> AuditKey:
    """Write a new key atomically (a temporary file hard-linked into place, so two processes starting at
    once agree on one key), then read back whichever key won."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption())
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
        won = True
    except FileExistsError:
        won = False
    finally:
        os.unlink(tmp)
    key = _read_private(path)
    if won:
        log.warning("生成了审计签名密钥 generated the audit signing key %s (key id %s). Keep it off the database "
                    "server and out of its backups; set HUIQI_AUDIT_KEY_FILE or HUIQI_AUDIT_KEY to use your own.",
                    path, key.key_id)
    return key


def public_pem(key: AuditKey) -> str:
    """The public half, for auditors (``huiqi audit public-key``)."""
    return key.public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
