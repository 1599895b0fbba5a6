"""Validation of what Finnish users type, with messages in the user's language."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# python-stdnum is imported where it is used: its package imports pydoc, 1 MB of every web
# worker's memory (measured) for a check that only organisation forms and imports make.


def validate_business_id(value: str) -> None:
    """A Finnish business ID (Y-tunnus): seven digits, a hyphen and a check digit."""
    if not value:
        return
    from stdnum import exceptions as stdnum_exceptions
    from stdnum.fi import ytunnus

    try:
        ytunnus.validate(value)
    except stdnum_exceptions.ValidationError as error:
        raise ValidationError(
            _("Enter a valid Finnish business ID (Y-tunnus), e.g. 0201256-6."),
            code="invalid_business_id",
        ) from error


def normalise_business_id(value: str) -> str:
    """The canonical form 1234567-8 of a valid business ID; other input is returned stripped."""
    value = (value or "").strip()
    from stdnum import exceptions as stdnum_exceptions
    from stdnum.fi import ytunnus

    try:
        return ytunnus.format(ytunnus.validate(value))
    except stdnum_exceptions.ValidationError:
        return value
