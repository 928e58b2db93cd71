"""What a request can observe besides tenants' data, shared by every process on one PostgreSQL store.

On the data directory's store one process owns everything, so the credential index, fault
rules, incident counters and the request journal live in its memory (credentials.py,
faults.py, bans.py, journal.py). On PostgreSQL any number of replicas serve the same tenants,
so each of those lives in a table instead, behind the same interface, and nothing is cached
in a process that another replica could change: a request on replica B sees what replica A
acknowledged before it answered. The one exception is the journal, written in the background
(`pg_journal`): an entry appears to other replicas a few milliseconds after its response.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..bans import Incidents
from ..credentials import CredentialIndex
from ..faults import Faults
from ..journal import Journals
from ..store import Backend


@dataclass
class SharedState:
    credentials: CredentialIndex
    faults: Faults
    incidents: Incidents
    journals: Journals


def shared_state(backend: Backend, **journal_options: Any) -> SharedState:
    """In-process state for a store one process owns; tables for the PostgreSQL store."""
    from ..store.postgres import PostgresBackend

    if not isinstance(backend, PostgresBackend):
        return SharedState(CredentialIndex(), Faults(), Incidents(), Journals())
    from .pg_bans import PgIncidents
    from .pg_credentials import PgCredentialIndex
    from .pg_faults import PgFaults
    from .pg_journal import PgJournals

    return SharedState(
        PgCredentialIndex(backend),
        PgFaults(backend),
        PgIncidents(backend),
        PgJournals(backend, **journal_options),
    )
