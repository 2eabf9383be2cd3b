"""Validation report of a feed load: errors (the feed cannot be used) and warnings.

Every finding names the file, the line (as an editor counts it: the header is line 1),
the field and the reason. Repeated findings of the same kind are folded into one entry
that keeps the first line and a count, so a feed with 100,000 broken rows still yields a
short, readable report.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class FeedError(Exception):
    """A feed that cannot be used; its message names file, line, field and reason."""

    def __init__(self, message: str, report: "Report | None" = None):
        super().__init__(message)
        self.report = report


@dataclass
class Finding:
    severity: str  # "error" or "warning"
    feed: str
    file: str
    line: int | None  # first offending line (header = line 1), None when not row-specific
    field: str | None
    reason: str
    count: int = 1

    def describe(self) -> str:
        """feed/file:line [field]: reason, without the severity."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f" [{self.field}]"
        more = f" ({self.count} rows, first shown)" if self.count > 1 else ""
        return f"{self.feed}/{where}: {self.reason}{more}"

    def __str__(self) -> str:
        return f"{self.severity}: {self.describe()}"


@dataclass
class Report:
    feed: str
    findings: list[Finding] = field(default_factory=list)

    def _add(self, severity, file, line, field_name, reason, count):
        if count <= 0:
            return
        for f in self.findings:
            if (f.severity, f.file, f.field, f.reason) == (severity, file, field_name, reason):
                f.count += count
                if line is not None and (f.line is None or line < f.line):
                    f.line = line
                return
        self.findings.append(
            Finding(severity, self.feed, file, None if line is None else int(line), field_name, reason, int(count))
        )

    def warning(self, file: str, reason: str, *, line: int | None = None, field: str | None = None, count: int = 1):
        self._add("warning", file, line, field, reason, count)

    def error(self, file: str, reason: str, *, line: int | None = None, field: str | None = None):
        self._add("error", file, line, field, reason, 1)

    def fail(self, file: str, reason: str, *, line: int | None = None, field: str | None = None):
        """Record an error and raise FeedError: the feed cannot be used."""
        self.error(file, reason, line=line, field=field)
        raise FeedError(self.findings[-1].describe(), self)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def n_warning_rows(self) -> int:
        return sum(f.count for f in self.warnings)

    def summary(self) -> str:
        head = (f"{self.feed}: {len(self.errors)} error(s), "
                f"{len(self.warnings)} kind(s) of warning ({self.n_warning_rows} rows)")
        return "\n".join([head] + ["  " + str(f) for f in self.findings])

    def to_dict(self) -> dict:
        return {
            "feed": self.feed,
            "errors": [vars(f) for f in self.errors],
            "warnings": [vars(f) for f in self.warnings],
        }
