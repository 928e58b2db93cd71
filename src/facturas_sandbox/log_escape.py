"""Log lines never print a client's control characters raw.

A stored description with `\\x1b[2J` or a newline reaches the log through an exception's
message (openpyxl puts the offending text in its IllegalCharacterError) or a logged value: raw,
it would clear an operator's terminal or forge log lines. Each record's message, its arguments
and the message of each exception in its traceback are written with control characters
escaped (`\\x1b`, `\\n`); the traceback's own line structure is kept.
"""

from __future__ import annotations

import logging
import re
import traceback

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape(text: str) -> str:
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _escaped_traceback(exc_info: tuple) -> str:
    formatted = traceback.TracebackException(*exc_info)
    seen: set[int] = set()
    part: traceback.TracebackException | None = formatted
    # Each exception of the chain (its causes and contexts) carries its message as `_str`, the
    # only place a client's text enters a traceback (the rest is file names and source lines).
    stack = [formatted]
    while stack:
        part = stack.pop()
        if id(part) in seen:
            continue
        seen.add(id(part))
        text = getattr(part, "_str", None)  # the message TracebackException prints
        if isinstance(text, str):
            setattr(part, "_str", escape(text))  # noqa: B010 (a private attribute of the stdlib)
        notes = getattr(part, "__notes__", None)
        if notes:
            part.__notes__ = [escape(str(note)) for note in notes]
        stack.extend(p for p in (part.__cause__, part.__context__) if p is not None)
        stack.extend(getattr(part, "exceptions", None) or [])
    return "".join(formatted.format()).rstrip("\n")


def _escape_arg(value: object) -> object:
    return escape(value) if isinstance(value, str) else value


def escape_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record with its message, arguments and traceback escaped. Arguments stay arguments
    (uvicorn's access formatter reads them one by one)."""
    if isinstance(record.msg, str):
        record.msg = escape(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_escape_arg(arg) for arg in record.args)
    elif isinstance(record.args, dict):
        record.args = {key: _escape_arg(value) for key, value in record.args.items()}
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        record.exc_text = _escaped_traceback(record.exc_info)
    return record


_installed = False


def install() -> None:
    """Escape every record this process creates, whichever logger (the sandbox's, uvicorn's,
    connexion's validators, which quote the offending value) and whichever handler prints it.
    Installed once, however many apps are built; a record is made only once its level passes."""
    global _installed
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        return escape_record(make(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True
