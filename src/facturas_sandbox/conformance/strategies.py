"""Hypothesis strategies for formats the contracts define beyond JSON Schema.

A contract can say `format: tax-id` but JSON Schema cannot check a NIF's control letter.
Registering these with Schemathesis makes its "valid" data valid for the server too, so
positive-data checks test the API rather than the generator's luck.
"""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st
from stdnum.co import nit as co_nit
from stdnum.es import cif, dni, nie

_registered = False


@st.composite
def spanish_tax_id(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["dni", "nie", "cif"]))
    digits = draw(st.text("0123456789", min_size=7, max_size=7))
    if kind == "dni":
        number = draw(st.sampled_from("0123456789")) + digits
        return number + dni.calc_check_digit(number)
    if kind == "nie":
        prefix = draw(st.sampled_from("XYZ"))
        return prefix + digits + nie.calc_check_digit(prefix + digits)
    letter = draw(st.sampled_from("ABEFGHJNPQRSUVW"))
    check = cif.calc_check_digits(letter + digits)
    # Entities A, B, E, H take a digit; N, P, Q, R, S, W a letter; the rest either.
    return letter + digits + (check[1] if letter in "NPQRSW" else check[0])


@st.composite
def colombian_nit(draw: st.DrawFn) -> str:
    base = draw(st.text("0123456789", min_size=8, max_size=9).filter(lambda s: s[0] != "0"))
    return base + co_nit.calc_check_digit(base)


def register_formats() -> None:
    global _registered
    if _registered:
        return
    schemathesis.openapi.format("tax-id", spanish_tax_id())
    schemathesis.openapi.format("nit", colombian_nit())
    _registered = True
