"""Conformance testing against the bundled contracts (Schemathesis)."""
