"""Store SMS accounts: sealed keys bound to their store, and the directory that picks each store's route."""

from __future__ import annotations

from domain.messaging import accounts
from domain.messaging.accounts import AccountUnusable, ProviderDirectory
from domain.messaging.models import SmsAccount
from domain.messaging.providers import ConsoleProvider, SmsProvider
from tests.support.automation import make_tenant
from tests.support.factories import TEST_SECRET

KEY = accounts.encryption_key(TEST_SECRET)


class Closable(ConsoleProvider):
    """A console that remembers its key and whether it was closed."""

    def __init__(self, api_key: str) -> None:
        super().__init__()
        self.api_key = api_key
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True


def directory(made: list[Closable]) -> ProviderDirectory:
    def make(name: str, api_key: str) -> SmsProvider:
        made.append(Closable(api_key))
        return made[-1]

    return ProviderDirectory(
        platform=ConsoleProvider(), platform_sender="10004346", factory=make, encryption_key=KEY
    )


async def test_a_store_without_an_account_uses_the_platform_line_or_its_own_sender_line(db: None) -> None:
    """No account: the platform's provider, from the store's sender line when set, else the platform's."""
    # given
    tenant = await make_tenant()
    routes = directory([])
    # when
    plain = await routes.route(tenant.id)
    own_line = await routes.route(tenant.id, fallback_sender="10008663")
    # then
    assert (plain.provider, plain.sender, plain.account_id) == (routes.platform.provider, "10004346", None)
    assert own_line.sender == "10008663"


async def test_a_store_account_is_used_kept_and_replaced_when_it_changes(db: None) -> None:
    """The account's provider is made once with its opened key; after the key changes a new one is made and
    the old one is closed."""
    # given
    tenant = await make_tenant()
    made: list[Closable] = []
    routes = directory(made)
    await accounts.set_account(
        tenant_id=tenant.id,
        provider="kavenegar",
        api_key="first-key-1111",
        line="10008663",
        encryption_key=KEY,
    )
    # when
    first = await routes.route(tenant.id)
    again = await routes.route(tenant.id)
    await accounts.set_account(
        tenant_id=tenant.id, provider="kavenegar", api_key="second-key-2222", line=None, encryption_key=KEY
    )
    changed = await routes.route(tenant.id)
    # then
    assert first.provider is again.provider is made[0] and made[0].api_key == "first-key-1111"
    assert first.sender == "10008663" and first.account_id is not None
    assert changed.provider is made[1] and made[1].api_key == "second-key-2222" and changed.sender is None
    assert made[0].closed and not made[1].closed
    await routes.aclose()
    assert made[1].closed


async def test_a_key_sealed_for_one_store_does_not_open_for_another(db: None) -> None:
    """A sealed key moved to another store's row does not open: that store's route is refused, not guessed."""
    # given
    owner, thief = await make_tenant(), await make_tenant(name="Thief")
    mine = await accounts.set_account(
        tenant_id=owner.id, provider="smsir", api_key="owner-key-abcd", line="30007732", encryption_key=KEY
    )
    await accounts.set_account(
        tenant_id=thief.id, provider="smsir", api_key="thief-key-0000", line="30007732", encryption_key=KEY
    )
    await SmsAccount.filter(tenant_id=thief.id).update(api_key_sealed=mine.api_key_sealed)
    # when / then
    routes = directory([])
    try:
        await routes.route(thief.id)
    except AccountUnusable as exc:
        assert exc.code == "ACCOUNT_UNUSABLE"
    else:
        raise AssertionError("a key sealed for another store opened")
    assert (await routes.route(owner.id)).account_id == mine.id


def test_callback_keys_differ_per_scope_and_secret_and_compare_strictly() -> None:
    """Each scope and each secret has its own key; a prefix, a longer string or another case do not match."""
    key = accounts.callback_key(secret=TEST_SECRET, scope="platform")
    assert len(key) == 32
    assert key != accounts.callback_key(secret=TEST_SECRET, scope="other")
    assert key != accounts.callback_key(secret=TEST_SECRET + "x", scope="platform")
    assert accounts.callback_key_matches(secret=TEST_SECRET, scope="platform", key=key)
    for wrong in (key[:-1], key + "a", key.swapcase(), "", "\x00" * 32):
        assert not accounts.callback_key_matches(secret=TEST_SECRET, scope="platform", key=wrong)
