"""Signatures of text gateways' webhooks: a request claiming to come from the SMS gateway is
answered only when it is signed with the secret the configuration shares with it.

- Twilio: X-Twilio-Signature, base64 of HMAC-SHA1 keyed by the account's auth token over
  the URL the gateway called followed by each form field's name and value, sorted by name.
- Others: X-Signature-256: "sha256=" and the hex HMAC-SHA256 of the raw body, keyed by a
  shared secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from trajet.billing.config import WebhookSecrets


def twilio_signature(auth_token: str, url: str, fields: list[tuple[str, str]]) -> str:
    signed = url + "".join(name + value for name, value in sorted(fields))
    return base64.b64encode(hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def body_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def unsigned_reason(secrets: WebhookSecrets, headers, url: str, body: bytes,
                    fields: list[tuple[str, str]]) -> str | None:
    """Why the webhook is not to be trusted, None when a configured signature matches."""
    given_twilio, given_body = headers.get("X-Twilio-Signature"), headers.get("X-Signature-256")
    if secrets.twilio_auth_token and given_twilio:
        expected = twilio_signature(secrets.twilio_auth_token, secrets.url or url, fields)
        return None if hmac.compare_digest(expected, given_twilio) else "X-Twilio-Signature does not match"
    if secrets.hmac_secret and given_body:
        expected = body_signature(secrets.hmac_secret, body)
        return None if hmac.compare_digest(expected, given_body) else "X-Signature-256 does not match"
    names = [n for n, s in (("X-Twilio-Signature", secrets.twilio_auth_token), ("X-Signature-256", secrets.hmac_secret))
             if s]
    return f"the webhook is not signed ({' or '.join(names)} expected)"
