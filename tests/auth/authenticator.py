"""A software authenticator for the tests: an EC P-256 key made here, and the registration and assertion answers a
browser would send, built byte by byte (authenticatorData, clientDataJSON, CBOR attestation object, signature) so
that the portal's WebAuthn checks run on real cryptography."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Authenticator:
    """One credential on one device, with its own signature counter."""

    def __init__(self, *, origin: str = "http://testserver", rp_id: str = "testserver") -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.origin = origin
        self.rp_id = rp_id
        self.count = 0
        self.user_handle = b""

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        ).encode()

    def create(self, options: str | dict[str, Any], *, origin: str | None = None, uv: bool = True) -> dict[str, Any]:
        """The answer to navigator.credentials.create() for these options."""
        opts = json.loads(options) if isinstance(options, str) else options
        self.user_handle = unb64(opts["user"]["id"])
        rp_id = opts["rp"]["id"]
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([UP | AT | (UV if uv else 0)])
            + struct.pack(">I", self.count)
            + bytes(16)
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self._cose_key()
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", opts["challenge"], origin)
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64(client_data),
                "attestationObject": b64(attestation),
                "transports": ["internal", "bogus"],
            },
        }

    def get(
        self,
        options: str | dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        count: int | None = None,
        uv: bool = True,
    ) -> dict[str, Any]:
        """The answer to navigator.credentials.get() for these options, signed; the counter goes up by one unless
        `count` is given."""
        opts = json.loads(options) if isinstance(options, str) else options
        self.count = self.count + 1 if count is None else count
        auth_data = (
            hashlib.sha256((rp_id or opts.get("rpId") or self.rp_id).encode()).digest()
            + bytes([UP | (UV if uv else 0)])
            + struct.pack(">I", self.count)
        )
        client_data = self._client_data("webauthn.get", opts["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64(client_data),
                "authenticatorData": b64(auth_data),
                "signature": b64(signature),
                "userHandle": b64(self.user_handle),
            },
        }
