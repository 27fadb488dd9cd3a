"""A software authenticator for the service tests: it makes and uses a P-256 credential the way
a security key or a phone does (attestation "none"), so that the portal's checks, which are
py_webauthn's, meet real signatures. The browser tests use Chromium's virtual authenticator."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    def __init__(self, origin: str = "http://localhost:8501") -> None:
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.count = 0
        self.user_handle = b""
        self.rp_id = ""

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin}
        return json.dumps({**data, "crossOrigin": False}).encode()

    def _public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: x, -3: y})

    def create(self, options_json: str, *, origin: str | None = None, verified: bool = True) -> str:
        """The browser's answer to navigator.credentials.create with these options."""
        options = json.loads(options_json)
        self.rp_id = options["rp"]["id"]
        self.user_handle = unb64url(options["user"]["id"])
        client = self._client_data("webauthn.create", options["challenge"], origin)
        flags = UP | AT | (UV if verified else 0)
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([flags])
            + struct.pack(">I", self.count)
            + attested
            + self._public_key()
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return self._answer(
            {"clientDataJSON": b64url(client), "attestationObject": b64url(attestation)}
            | {"transports": ["usb"]}
        )

    def get(
        self,
        options_json: str,
        *,
        origin: str | None = None,
        verified: bool = True,
        count: int | None = None,
        rp_id: str | None = None,
    ) -> str:
        """The browser's answer to navigator.credentials.get with these options."""
        options = json.loads(options_json)
        self.count = self.count + 1 if count is None else count
        client = self._client_data("webauthn.get", options["challenge"], origin)
        auth_data = (
            hashlib.sha256((rp_id or self.rp_id).encode()).digest()
            + bytes([UP | (UV if verified else 0)])
            + struct.pack(">I", self.count)
        )
        signed = auth_data + hashlib.sha256(client).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return self._answer(
            {
                "clientDataJSON": b64url(client),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(self.user_handle),
            }
        )

    def _answer(self, response: dict[str, Any]) -> str:
        cid = b64url(self.credential_id)
        shape = {"id": cid, "rawId": cid, "type": "public-key", "response": response}
        return json.dumps(shape | {"clientExtensionResults": {}})
