"""facturas-sandbox: a contract-first sandbox for invoicing APIs."""

__version__ = "0.1.0"
