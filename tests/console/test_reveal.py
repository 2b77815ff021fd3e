"""A new key sealed for the one page that shows it: neither the session nor the cookie has it."""

from ingate_admin.console.reveal import seal, unseal


def test_the_pad_and_the_sealed_key_make_the_key_and_neither_is_it() -> None:
    key = "sk-ingate-abcdefghijklmnopqrstuvwxyz0123456789"
    sealed, pad = seal(key)
    assert key not in sealed
    assert key not in pad
    assert unseal(sealed, pad) == key
    assert seal(key) != (sealed, pad)  # a fresh pad every time


def test_a_missing_or_unfitting_pad_shows_nothing() -> None:
    sealed, _ = seal("sk-ingate-key")
    assert unseal(sealed, "") is None
    assert unseal(sealed, seal("sk-ingate-longer-key")[1]) is None
    assert unseal(sealed, "%%%") is None
