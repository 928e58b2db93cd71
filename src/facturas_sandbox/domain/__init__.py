"""Invoicing rules with no knowledge of HTTP, vendors or storage layout."""
