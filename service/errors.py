"""The error of a query that cannot be answered as asked."""

from __future__ import annotations


class QueryError(ValueError):
    """A query that cannot be answered as asked; `field` names the offending parameter."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field
