"""Webhook secrets are sealed with AES-GCM under a key derived from the server's secret, and WooCommerce's
signatures are checked against them."""

from __future__ import annotations

from uuid import uuid4

from domain.tenancy.webhooks import encryption_key, seal, signature_matches, unseal
from tests.support.woocommerce import signature

SERVER_SECRET = "server-secret-" + "y" * 40
BODY = b'{"id":1042,"billing":{"first_name":"\\u0633\\u0627\\u0631\\u0627"}}'


def test_a_sealed_secret_opens_only_with_the_same_server_secret_and_store_key() -> None:
    """Round trip, then a changed server secret or a different key id: it does not open."""
    # given
    key_id = uuid4()
    sealed = seal("the-secret", key=encryption_key(SERVER_SECRET), store_key_id=key_id)
    # when / then
    assert unseal(sealed, key=encryption_key(SERVER_SECRET), store_key_id=key_id) == "the-secret"
    assert unseal(sealed, key=encryption_key("another server secret"), store_key_id=key_id) is None
    assert unseal(sealed, key=encryption_key(SERVER_SECRET), store_key_id=uuid4()) is None
    assert b"the-secret" not in sealed


def test_sealing_twice_gives_different_ciphertexts() -> None:
    """A fresh nonce every time: equal secrets do not look equal at rest."""
    # given
    key, key_id = encryption_key(SERVER_SECRET), uuid4()
    # when / then
    assert seal("s", key=key, store_key_id=key_id) != seal("s", key=key, store_key_id=key_id)


def test_a_tampered_ciphertext_does_not_open() -> None:
    """AES-GCM authenticates: one flipped bit and it is refused rather than misread."""
    # given
    key, key_id = encryption_key(SERVER_SECRET), uuid4()
    sealed = bytearray(seal("the-secret", key=key, store_key_id=key_id))
    sealed[-1] ^= 1
    # when / then
    assert unseal(bytes(sealed), key=key, store_key_id=key_id) is None
    assert unseal(b"short", key=key, store_key_id=key_id) is None


def test_woocommerces_signature_of_the_raw_body_is_accepted_and_anything_else_refused() -> None:
    """base64(HMAC-SHA256(body, secret)) matches; another secret, another body or junk does not."""
    # given
    good = signature(BODY, "the-secret")
    # when / then
    assert signature_matches(BODY, good, "the-secret")
    assert not signature_matches(BODY, good, "another-secret")
    assert not signature_matches(BODY + b" ", good, "the-secret")
    assert not signature_matches(BODY, "not base64!", "the-secret")
    assert not signature_matches(BODY, "", "the-secret")
    assert not signature_matches(BODY, "سلام", "the-secret")
