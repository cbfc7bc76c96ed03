"""A store's password never shows: not in its display URL, not in its errors."""

from __future__ import annotations

import pytest

from forex_diffusion.core.errors import StorageError
from forex_diffusion.storage import Store


def test_the_password_is_hidden_in_urls_and_errors() -> None:
    store = Store("postgresql+psycopg://fxd:s3cret-pw@127.0.0.1:1/fxd")
    assert "s3cret-pw" not in store.display_url and "***" in store.display_url
    with pytest.raises(StorageError) as caught:
        store.revision()  # nothing listens on port 1
    assert "s3cret-pw" not in str(caught.value) and "127.0.0.1" in str(caught.value)
    store.dispose()
