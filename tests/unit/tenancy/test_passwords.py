"""Password strength rules: blank, short, common and personal passwords are refused with advice."""

from __future__ import annotations

import pytest

from domain.errors import DomainError
from domain.tenancy import passwords
from revisit import demo
from tests.support.factories import PASSWORD


@pytest.mark.parametrize("password", ["", "          ", "\t\n  \t\n  \t"])
def test_a_blank_password_is_refused_whatever_its_length(password: str) -> None:
    """Only whitespace is never a password, even ten spaces."""
    # when
    with pytest.raises(DomainError) as refused:
        passwords.ensure_strong(password)
    # then
    assert (refused.value.code, refused.value.field) == ("WEAK_PASSWORD", "password")
    assert "blank" in refused.value.message


def test_a_common_password_is_refused_with_zxcvbns_warning() -> None:
    """A top-100 password is long enough but scores 0; the message carries zxcvbn's warning."""
    # when
    with pytest.raises(DomainError) as refused:
        passwords.ensure_strong("1234567890")
    # then
    assert refused.value.code == "WEAK_PASSWORD"
    assert "common password" in refused.value.message


def test_a_password_made_of_the_persons_own_email_is_refused() -> None:
    """zxcvbn is told the e-mail, so the e-mail with a digit added is easy to guess."""
    # when
    with pytest.raises(DomainError) as refused:
        passwords.ensure_strong("nasrin.k@shop.ir1", user_inputs=["nasrin.k@shop.ir"])
    # then
    assert refused.value.code == "WEAK_PASSWORD"


def test_the_minimum_score_is_a_parameter() -> None:
    """A moderately strong password passes at score 3 and is refused when 4 is required."""
    # given
    password = "a long password"
    # when
    passwords.ensure_strong(password, min_score=3)
    with pytest.raises(DomainError) as refused:
        passwords.ensure_strong(password, min_score=4)
    # then
    assert refused.value.code == "WEAK_PASSWORD"


def test_the_demo_and_test_passwords_are_strong_enough() -> None:
    """The demo owner's and the factories' passwords pass the default rules."""
    # when / then: no exception
    passwords.ensure_strong(demo.DEMO_PASSWORD, user_inputs=["owner@demo.revisit.local"])
    passwords.ensure_strong(PASSWORD, user_inputs=["owner1@example.ir", "Owner 1"])


def test_a_very_long_password_is_judged_quickly() -> None:
    """Ten thousand characters are accepted without zxcvbn taking seconds over them."""
    # when / then: no exception
    passwords.ensure_strong("long and unusual words " * 450)
