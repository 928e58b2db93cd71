"""Correlative numbering: one gapless sequence per series and year, as Facturovia numbers.

The other APIs number as their servers do and keep their own: Facturala one counter per
company, not per year; FACTURAgem from the account's number format, skipping numbers a client
gave by hand (`records.draw_number`); FacturaScripts from its `secuenciadocumentos` rows
(`sequences.py`).

The number is drawn inside the same store transaction that saves the numbered document, so a
failed save gives the number back and two concurrent issues never share one.
"""

from __future__ import annotations

from ..store import TenantStore


def sequence_key(kind: str, series: str, year: int) -> str:
    return f"{kind}:{series}:{year}"


def next_correlative(store: TenantStore, kind: str, series: str, year: int) -> int:
    return store.next_number(sequence_key(kind, series, year))
