"""Countries for `country_id` (ISO 3166-1 alpha-2), names in Spanish as the product shows them."""

from __future__ import annotations

COUNTRIES: tuple[tuple[str, str], ...] = (
    ("AD", "Andorra"), ("AR", "Argentina"), ("AT", "Austria"), ("BE", "Bélgica"), ("BO", "Bolivia"),
    ("BR", "Brasil"), ("CH", "Suiza"), ("CL", "Chile"), ("CO", "Colombia"), ("CR", "Costa Rica"),
    ("CU", "Cuba"), ("CZ", "República Checa"), ("DE", "Alemania"), ("DK", "Dinamarca"),
    ("DO", "República Dominicana"), ("EC", "Ecuador"), ("ES", "España"), ("FI", "Finlandia"),
    ("FR", "Francia"), ("GB", "Reino Unido"), ("GR", "Grecia"), ("GT", "Guatemala"), ("HN", "Honduras"),
    ("IE", "Irlanda"), ("IT", "Italia"), ("LU", "Luxemburgo"), ("MA", "Marruecos"), ("MX", "México"),
    ("NI", "Nicaragua"), ("NL", "Países Bajos"), ("NO", "Noruega"), ("PA", "Panamá"), ("PE", "Perú"),
    ("PL", "Polonia"), ("PR", "Puerto Rico"), ("PT", "Portugal"), ("PY", "Paraguay"), ("SE", "Suecia"),
    ("SV", "El Salvador"), ("US", "Estados Unidos"), ("UY", "Uruguay"), ("VE", "Venezuela"),
)  # fmt: skip
COUNTRY_IDS = frozenset(code for code, _ in COUNTRIES)
