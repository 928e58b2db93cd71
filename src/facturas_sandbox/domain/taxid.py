"""Tax identifiers, validated with python-stdnum."""

from __future__ import annotations

from stdnum.co import nit as co_nit
from stdnum.es import nif as es_nif
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.util import clean


class InvalidTaxId(ValueError):
    pass


def validate_spanish(value: str) -> str:
    """A DNI, NIE or CIF (any Spanish NIF), compacted: 'b-12345674' → 'B12345674'."""
    try:
        return es_nif.validate(value)
    except ValidationError as exc:
        raise InvalidTaxId(f"{value!r} is not a valid Spanish NIF/CIF: {exc}") from exc


def validate_spanish_or_eu_vat(value: str) -> str:
    """What a Spanish invoice accepts as the customer's tax id: a Spanish NIF (DNI, NIE, CIF),
    or an intra-community VAT number with its country prefix (`FR40303265045`)."""
    compact = clean(value, " -./").upper().strip()
    if len(compact) > 2 and compact[:2].isalpha() and compact[:2] != "ES":
        try:
            return eu_vat.validate(compact)
        except ValidationError as exc:
            raise InvalidTaxId(f"{value!r} is not a valid EU VAT number: {exc}") from exc
    return validate_spanish(compact[2:] if compact.startswith("ES") and len(compact) == 11 else compact)


def validate_nit(value: str) -> str:
    """A Colombian NIT with its check digit (the last digit)."""
    try:
        return co_nit.validate(value)
    except ValidationError as exc:
        raise InvalidTaxId(f"{value!r} is not a valid NIT: {exc}") from exc
