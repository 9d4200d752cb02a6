"""Part counting: GSM-7 160/153, UCS-2 70/67, extension characters and surrogate pairs."""

from __future__ import annotations

import pytest

from domain.errors import DomainError
from domain.messaging.parts import SmsParts, count_parts

PERSIAN_LETTER = "س"


def test_160_gsm_characters_fit_one_part() -> None:
    """Proves the single-part GSM-7 limit is 160 septets."""
    # given
    body = "a" * 160

    # when
    parts = count_parts(body)

    # then
    assert parts == SmsParts(encoding="GSM-7", characters=160, parts=1)


def test_161_gsm_characters_need_two_parts() -> None:
    """Proves one septet over the limit makes a two-part message."""
    # given
    body = "a" * 161

    # when
    parts = count_parts(body)

    # then
    assert parts == SmsParts(encoding="GSM-7", characters=161, parts=2)


def test_multipart_gsm_messages_carry_153_characters_per_part() -> None:
    """Proves the concatenation header leaves 153 septets per part."""
    # given / when / then
    assert count_parts("a" * 306).parts == 2
    assert count_parts("a" * 307).parts == 3


@pytest.mark.parametrize("character", list("^{}\\[~]|€"))
def test_extension_characters_count_two_septets(character: str) -> None:
    """Proves each GSM-7 extension character costs an escape plus itself."""
    # given
    body = "a" * 158 + character

    # when
    parts = count_parts(body)

    # then
    assert parts == SmsParts(encoding="GSM-7", characters=160, parts=1)


def test_an_extension_character_past_the_limit_makes_a_second_part() -> None:
    """Proves 159 letters and a euro sign (161 septets) no longer fit one SMS."""
    # given / when
    parts = count_parts("a" * 159 + "€")

    # then
    assert parts == SmsParts(encoding="GSM-7", characters=161, parts=2)


def test_an_extension_character_is_never_split_across_parts() -> None:
    """Proves parts are filled greedily: 306 septets with a straddling € need three parts, not two."""
    # given
    body = "a" * 152 + "€" + "a" * 152

    # when
    parts = count_parts(body)

    # then
    assert parts == SmsParts(encoding="GSM-7", characters=306, parts=3)


def test_gsm_accented_letters_stay_gsm7() -> None:
    """Proves letters of the GSM-7 basic table such as é and Ñ do not force UCS-2."""
    # given / when / then
    assert count_parts("Café Ñoño ¿ok? à ü").encoding == "GSM-7"


def test_70_persian_characters_fit_one_part() -> None:
    """Proves Persian travels as UCS-2 with a 70-character single part."""
    # given / when
    parts = count_parts(PERSIAN_LETTER * 70)

    # then
    assert parts == SmsParts(encoding="UCS-2", characters=70, parts=1)


def test_71_persian_characters_need_two_parts() -> None:
    """Proves one character over 70 makes a two-part UCS-2 message."""
    # given / when
    parts = count_parts(PERSIAN_LETTER * 71)

    # then
    assert parts == SmsParts(encoding="UCS-2", characters=71, parts=2)


def test_multipart_ucs2_messages_carry_67_characters_per_part() -> None:
    """Proves 134 characters are two parts and 135 are three."""
    # given / when / then
    assert count_parts(PERSIAN_LETTER * 134).parts == 2
    assert count_parts(PERSIAN_LETTER * 135).parts == 3


def test_one_non_gsm_character_switches_the_whole_message_to_ucs2() -> None:
    """Proves mixing one Persian letter into Latin text makes every character cost UCS-2."""
    # given
    body = "a" * 70 + PERSIAN_LETTER

    # when
    parts = count_parts(body)

    # then
    assert parts == SmsParts(encoding="UCS-2", characters=71, parts=2)


def test_emoji_count_two_utf16_code_units_and_are_not_split() -> None:
    """Proves a character outside the BMP costs two units and stays whole at a part boundary."""
    # given
    single = "😀" * 35
    straddling = "a" * 66 + "😀" + "a" * 66

    # when / then
    assert count_parts(single) == SmsParts(encoding="UCS-2", characters=70, parts=1)
    assert count_parts(straddling) == SmsParts(encoding="UCS-2", characters=134, parts=3)


def test_an_empty_body_is_refused() -> None:
    """Proves an empty message is a domain error, not a zero-part SMS."""
    # given / when
    with pytest.raises(DomainError) as raised:
        count_parts("")

    # then
    assert raised.value.code == "EMPTY_MESSAGE"
