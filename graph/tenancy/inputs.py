"""The limits of what people type into the account and key mutations, checked before anything is stored.

Each check raises pydantic's ``ValidationError``, which the mutations' errors-as-data extension turns
into ``INVALID`` errors naming the field (``email``, ``fullName``, ``storeName``, ``name``). E-mail
addresses, people's and stores' names and key names are identifiers: no control characters at all.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel

from domain.text import IDENTIFIER

MAX_EMAIL: Final = 254
MAX_NAME: Final = 200
MAX_KEY_NAME: Final = 100

Email = Annotated[str, StringConstraints(max_length=MAX_EMAIL), IDENTIFIER]
PersonName = Annotated[str, StringConstraints(max_length=MAX_NAME), IDENTIFIER]
StoreName = Annotated[str, StringConstraints(max_length=MAX_NAME), IDENTIFIER]
KeyName = Annotated[str, StringConstraints(max_length=MAX_KEY_NAME), IDENTIFIER]


class _Fields(BaseModel):
    """Validated under their GraphQL names, so an error's field is the one the client sent."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, validate_by_alias=True)


class Registration(_Fields):
    email: Email
    full_name: PersonName = ""
    store_name: StoreName


class Login(_Fields):
    email: Email


class StoreKeyName(_Fields):
    name: KeyName


def check_registration(*, email: str, full_name: str, store_name: str) -> None:
    """Refuse an over-long or control-character e-mail, full name or store name (``ValidationError``)."""
    Registration.model_validate({"email": email, "fullName": full_name, "storeName": store_name})


def check_login(*, email: str) -> None:
    """Refuse an e-mail no account can have (too long, control characters) before looking it up."""
    Login.model_validate({"email": email})


def check_key_name(name: str) -> None:
    """Refuse a key name over 100 characters or with control characters."""
    StoreKeyName.model_validate({"name": name})


EMAIL_HELP: Final = f"At most {MAX_EMAIL} characters."
NAME_HELP: Final = f"At most {MAX_NAME} characters, no control characters."
KEY_NAME_HELP: Final = f"What the key is for, to recognise it; at most {MAX_KEY_NAME} characters."
