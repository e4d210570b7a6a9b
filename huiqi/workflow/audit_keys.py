"""The audit chain's Ed25519 key, kept outside the database so its administrator cannot re-sign history.

Where the key comes from, first found wins:

- ``HUIQI_AUDIT_KEY``: the private key as an environment secret (32 bytes, hex or base64);
- ``HUIQI_AUDIT_KEY_FILE`` (default ``var/audit-signing-key.pem``): a PKCS#8 PEM file. When nothing is
  configured and the file does not exist, the first entry written creates it (mode 0600) and says so;
- ``HUIQI_AUDIT_PUBLIC_KEY``: a public key PEM file alone, for an auditor who verifies but never signs.

A key is named by the first 16 hex digits of the SHA-256 of its raw public key (``key_id``).

**Rotation** (``huiqi audit rotate-key``, :func:`rotate`): a new key replaces the key file, and a statement
naming both public keys, signed by the old key (it hands over) and by the new one (it takes over), is appended
to the keyring, ``HUIQI_AUDIT_KEYRING`` (default ``audit-keyring.jsonl`` beside the key file; public data, to be
given to auditors with the public key). :func:`keyring` walks back from the configured key through those
statements, so entries and checkpoints signed by a key it succeeded still verify, while a key someone merely
adds to the file — without the current key's signature — is unknown and refused.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import logging
import os
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

DEFAULT_KEY_FILE = "var/audit-signing-key.pem"
KEYRING_NAME = "audit-keyring.jsonl"
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
    try:
        st = path.stat()
        version = (st.st_ino, st.st_mtime_ns)  # a rotated key file is a new file: read again
    except OSError:
        version = None
    where = (secret, str(path.resolve()), public, version)
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


def _written_beside(path: Path, private: Ed25519PrivateKey) -> Path:
    """``private`` as PEM in a new owner-only file beside ``path``, synced to disk; the caller moves it into place."""
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    return tmp


def _generate(path: Path) -> AuditKey:
    """Write a new key atomically (a temporary file hard-linked into place, so two processes starting at
    once agree on one key), then read back whichever key won."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _written_beside(path, Ed25519PrivateKey.generate())
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


# -- rotation ------------------------------------------------------------------------------------------


def keyring_file() -> Path:
    return Path(os.environ.get("HUIQI_AUDIT_KEYRING") or key_file().with_name(KEYRING_NAME))


def _raw(public: Ed25519PublicKey) -> str:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def rotation_message(st: dict) -> bytes:
    """What both keys sign in a rotation statement: the old and the new public key and the time."""
    return "\n".join(["huiqi-audit-key-rotation-v1", st["old_key_id"], st["old_public"], st["new_key_id"],
                      st["new_public"], st["at"]]).encode()


@dataclass(frozen=True)
class Keyring:
    """The configured key and the keys it succeeded, oldest first (the configured key last)."""

    keys: tuple[AuditKey, ...]
    problems: tuple[str, ...] = ()  # statements naming a key of the ring that do not check out

    def index(self, key_id: str | None) -> int | None:
        """A key's place in the ring (later keys succeed earlier ones); None: not a key of the ring."""
        return next((i for i, k in enumerate(self.keys) if k.key_id == key_id), None)

    def get(self, key_id: str | None) -> AuditKey | None:
        i = self.index(key_id)
        return None if i is None else self.keys[i]

    @property
    def current(self) -> AuditKey:
        return self.keys[-1]


def _statements() -> list[dict]:
    try:
        text = keyring_file().read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        try:
            st = json.loads(line)
            if isinstance(st, dict):
                out.append(st)
        except ValueError:
            continue
    return out


def _predecessor(st: dict, successor: AuditKey) -> AuditKey | str:
    """The key a statement says ``successor`` took over from, or why the statement does not check out."""
    try:
        if st["new_public"] != _raw(successor.public):
            return f"the statement's new key is not {successor.key_id}"
        old = Ed25519PublicKey.from_public_bytes(bytes.fromhex(st["old_public"]))
        if _key_id(old) != st["old_key_id"]:
            return "the statement's old key id does not match its public key"
        message = rotation_message(st)
        if not successor.check(message, st["sig_new"]):
            return f"not signed by the new key {successor.key_id}"
        retired = AuditKey(old, None, st["old_key_id"], str(keyring_file()))
        if not retired.check(message, st["sig_old"]):
            return f"not signed by the old key {st['old_key_id']}"
        return retired
    except (KeyError, TypeError, ValueError) as e:
        return f"unreadable ({e})"


def keyring(key: AuditKey) -> Keyring:
    """``key`` and, walking back through the rotation statements each signed by both keys, every key it succeeded."""
    chain, problems = [key], []
    statements = _statements()
    while True:
        current = chain[-1]
        named = [st for st in statements if st.get("new_key_id") == current.key_id]
        found = None
        for st in named:
            got = _predecessor(st, current)
            if isinstance(got, AuditKey):
                found = got
                break
            problems.append(f"{keyring_file()}: the rotation to {current.key_id} does not check out: {got}")
        if found is None or any(k.key_id == found.key_id for k in chain):
            break
        chain.append(found)
    return Keyring(tuple(reversed(chain)), tuple(problems))


def rotate() -> tuple[AuditKey, AuditKey]:
    """Replace the key file with a new key; the statement both keys sign goes to the keyring first (so a new key
    is never in use without it). Returns (old, new). Refused when the key is not a file (``HUIQI_AUDIT_KEY``, a
    public key alone) or there is none."""
    old = load()
    path = key_file()
    if old is None:
        raise AuditKeyError(f"no audit key to rotate at {path} / 尚无审计密钥，无需轮换")
    if old.private is None or old.source == "HUIQI_AUDIT_KEY":
        raise AuditKeyError(f"the audit key comes from {old.source}: rotate it where it is kept, or use "
                            f"HUIQI_AUDIT_KEY_FILE / 审计密钥来自{old.source}，不能在此轮换")
    private = Ed25519PrivateKey.generate()
    new = _from_private(private, str(path))
    st = {"v": 1, "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
          "old_key_id": old.key_id, "old_public": _raw(old.public), "new_key_id": new.key_id, "new_public": _raw(new.public)}
    message = rotation_message(st)
    st["sig_old"], st["sig_new"] = old.sign(message), new.sign(message)
    ring = keyring_file()
    ring.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(ring, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(st, sort_keys=True) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp = _written_beside(path, private)
    os.replace(tmp, path)  # atomic: a reader sees the old key or the new one, never half a file
    _cache.clear()
    log.warning("审计签名密钥已轮换 audit signing key rotated: %s → %s (%s); the old public key is kept in %s",
                old.key_id, new.key_id, path, ring)
    return old, new
