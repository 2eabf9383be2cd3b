"""The error of a report asked for with bad parameters."""

from __future__ import annotations


class ReportError(ValueError):
    """A costs or funding report that cannot be made as asked; `field` names the parameter."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field
