"""The vendor APIs the sandbox serves, in mount order."""

from __future__ import annotations

from .base import Secret, Vendor


def all_vendors() -> list[Vendor]:
    # Imported here so a broken vendor package fails loudly at start-up, not at import.
    from .facturagem import VENDOR as facturagem
    from .facturala import VENDOR as facturala
    from .facturascripts import VENDOR as facturascripts
    from .facturovia import VENDOR as facturovia

    return [facturovia, facturascripts, facturala, facturagem]


# The names, in mount order, without importing a vendor: the command line lists them, and the
# QA tool (conformance/) must not load the code it judges. A test keeps them all_vendors()'.
NAMES = ("facturovia", "facturascripts", "facturala", "facturagem")


def vendor_names() -> list[str]:
    return list(NAMES)


__all__ = ["Secret", "Vendor", "all_vendors", "vendor_names"]
