"""Hostnames the service refuses whatever the caller (form, CLI, palette)."""

from __future__ import annotations

import pytest

from proximity_tui.errors import ValidationError
from proximity_tui.services.validation import check_hostname


@pytest.mark.parametrize("name", ["localhost", "LocalHost", " ip6-localhost ", "ip6-loopback"])
def test_names_of_the_machine_itself_are_refused(name):
    with pytest.raises(ValidationError, match="reserved") as err:
        check_hostname(name)
    assert err.value.field == "hostname"


@pytest.mark.parametrize("name", ["localhost2", "my-localhost", "whoami"])
def test_names_merely_containing_them_are_fine(name):
    assert check_hostname(name) == name
