"""The billing report of one client over a period, from the call records.

Rounding rules (what the report and its CSV promise):

- A call is billed when a person answered it (its record has an answer
  time). Calls that ended in the IVR, were abandoned or went unanswered are
  listed in the counts but cost nothing.
- Per-minute pricing: each call's talk time (``billsec``, from answer to
  hang-up) is rounded *up* to the client's increment, call by call: with 60 s
  a 61 s call bills 120 s; with 1 s, 61.2 s bills 62 s. A call answered with
  0 s of talk bills 0. The amount is billed seconds / 60 x price per minute.
- Per-call pricing: each billed call costs the price (billed seconds are 0:
  time is not what is sold).
- Each call's amount is rounded half up to the cent; the total is the sum of
  the calls' rounded amounts, so the lines of the CSV add up to the total.
- A call belongs to the period its start falls in, [since, until), and to the
  client :meth:`~firmware.store.clients.ClientDirectory.for_record` finds
  with today's assignments.

Money is :class:`decimal.Decimal` throughout: binary floats lose cents.
"""

from __future__ import annotations

import csv
import decimal
import io
import math
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from firmware.store import rows
from firmware.store.clients import Client, ClientDirectory, Pricing, client_directory
from firmware.store.dispositions import dispositions_of
from firmware.store.models import Cdr, ConfigError

CENT = decimal.Decimal("0.01")
_PHONE_NUMBER = re.compile(r"\+?[0-9*#]+")
_SIXTY = decimal.Decimal(60)
_CDR_RANGE_SELECT = (
    "SELECT id, call_id, start, answer, end, port, direction, caller_number, caller_name, "
    "destination, queue, agent, disposition, duration, billsec FROM cdr "
    "WHERE start >= ? AND start < ? ORDER BY start, id"
)


@dataclass(frozen=True)
class BillingLine:
    """One call of the client in the period, and what it costs."""

    cdr_id: int
    cdr: Cdr
    billed: bool
    billed_seconds: int
    amount: decimal.Decimal
    disposition: str | None


@dataclass(frozen=True)
class BillingReport:
    """A client's calls over [since, until) and their price (see the module's rounding rules)."""

    client: Client
    since: float
    until: float
    lines: tuple[BillingLine, ...]

    @property
    def calls(self) -> int:
        return len(self.lines)

    @property
    def billed_calls(self) -> int:
        return sum(1 for line in self.lines if line.billed)

    @property
    def billed_seconds(self) -> int:
        return sum(line.billed_seconds for line in self.lines)

    @property
    def talk_seconds(self) -> float:
        return round(sum(line.cdr.billsec for line in self.lines if line.billed), 3)

    @property
    def total(self) -> decimal.Decimal:
        return sum((line.amount for line in self.lines), decimal.Decimal("0.00"))


def billed_seconds(billsec: float, increment: int) -> int:
    """Talk time rounded up to the increment, call by call (60: every started minute)."""
    if billsec <= 0:
        return 0
    # billsec is kept to the millisecond; reading it as text avoids a float
    # such as 60.00000000001 rounding a full minute up to two.
    exact = decimal.Decimal(repr(billsec))
    return int(math.ceil(exact / increment)) * increment


def price_call(cdr: Cdr, client: Client) -> tuple[bool, int, decimal.Decimal]:
    """(billed, billed seconds, amount to the cent) of one call under the client's price."""
    billing = client.billing
    if cdr.answer is None:
        return False, 0, decimal.Decimal("0.00")
    if billing.pricing is Pricing.PER_CALL:
        return True, 0, billing.price.quantize(CENT, rounding=decimal.ROUND_HALF_UP)
    seconds = billed_seconds(cdr.billsec, billing.increment)
    # Multiply before dividing: 62 s at 0.45/min is 0.465 exactly, which then rounds up.
    amount = decimal.Decimal(seconds) * billing.price / _SIXTY
    return True, seconds, amount.quantize(CENT, rounding=decimal.ROUND_HALF_UP)


def billing_report(
    conn: sqlite3.Connection,
    client: Client,
    since: float,
    until: float,
    directory: ClientDirectory | None = None,
) -> BillingReport:
    """Every call of ``client`` that started in [since, until), priced."""
    for value, name in ((since, "since"), (until, "until")):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value
        ):
            raise ConfigError(name, "must be a time in seconds")
    if until <= since:
        raise ConfigError("until", "the period must end after it starts")
    if directory is None:
        directory = client_directory(conn)
    found = []
    for row in conn.execute(_CDR_RANGE_SELECT, (since, until)):
        cdr = rows.cdr_from_row(row)
        if directory.for_record(cdr) == client.name:
            found.append((int(row["id"]), cdr))
    codes = dispositions_of(conn, [cdr_id for cdr_id, _ in found])
    lines = []
    for cdr_id, cdr in found:
        billed, seconds, amount = price_call(cdr, client)
        lines.append(BillingLine(cdr_id, cdr, billed, seconds, amount, codes.get(cdr_id)))
    return BillingReport(client, since, until, tuple(lines))


CSV_COLUMNS = (
    "call_id", "start", "caller_number", "line", "destination", "queue", "agent",
    "disposition", "outcome", "talk_seconds", "billed_seconds", "amount", "currency",
)


def report_csv(report: BillingReport, show_time: Callable[[float], str]) -> str:
    """The report's calls as CSV, one row per call; ``show_time`` formats a start time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    currency = report.client.billing.currency
    for line in report.lines:
        cdr = line.cdr
        writer.writerow((
            cdr.call_id, show_time(cdr.start), _safe(cdr.caller_number), cdr.port,
            _safe(cdr.destination), _safe(cdr.queue), _safe(cdr.agent),
            line.disposition or "", cdr.disposition.value,
            f"{cdr.billsec:.3f}" if line.billed else "0", line.billed_seconds,
            f"{line.amount:.2f}", currency,
        ))
    return out.getvalue()


def _safe(value: str | None) -> str:
    """A field a spreadsheet will not run as a formula (a caller name comes from the line).

    A phone number such as +48600100200 is left as it is.
    """
    text = value or ""
    if text[:1] in ("=", "+", "-", "@") and not _PHONE_NUMBER.fullmatch(text):
        return "'" + text
    return text
