"""The `trajet` command: its group, its shared options and the one-line errors.

Every bad input ends in one line naming the problem and exit code 2; a plan with no
journey says why and exits 3; a bug prints one line and exits 1 (TRAJET_DEBUG=1 shows the
traceback).
"""

from __future__ import annotations

import os
import sys

import click

from trajet.billing.config import ConfigError
from trajet.billing.errors import ReportError
from trajet.feeds.report import FeedError
from trajet.service.errors import QueryError

from .analyses import matrix_cmd, traveltimes
from .chat import chat
from .commands import cli
from .reload import reload_cmd

cli.add_command(traveltimes)
cli.add_command(matrix_cmd)
cli.add_command(chat)
cli.add_command(reload_cmd)

EXIT_BAD_INPUT = 2


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except (QueryError, FeedError, ConfigError, ReportError, OSError, ValueError) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except Exception as e:  # a bug: still one line for the user; TRAJET_DEBUG=1 shows the traceback
        if os.environ.get("TRAJET_DEBUG"):
            raise
        click.echo(f"internal error ({type(e).__name__}): {e}; rerun with TRAJET_DEBUG=1 for details", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
