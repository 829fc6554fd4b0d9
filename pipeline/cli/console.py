"""`screening console` (the web console), `screening holds list|show|release|deny|escalate|license|
clear-match` (the same review events from a terminal) and `screening holds apply-reviews` (the applier).

The hold commands read the hold topics up to their current end, then act as a configured console user:
they ask for that user's password (from stdin when it is not a terminal) and publish the review and
its audit record exactly as the console does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import signal
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pipeline.holds.terminal import echo, quiet_on_closed_pipe
from pipeline.settings import Settings, load_settings

if TYPE_CHECKING:
    from pipeline.console.actions import ActionRequest
    from pipeline.holds.audit_log import AuditLog
    from pipeline.holds.queue import HoldQueue

_ACTIONS = {
    "release": "release the hold (justification required; two reviewers for a prohibited finding)",
    "deny": "deny: confirm the block",
    "escalate": "escalate to the next level, the hold stays open",
    "license": "send to licensing",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    console = subparsers.add_parser("console", help="serve the hold-queue web console")
    console.add_argument("--apply-reviews", action="store_true", help="also run the review applier")
    console.add_argument(
        "--hash-password",
        action="store_true",
        help="read a password and print its hash for SCREENING_CONSOLE_USERS",
    )
    console.set_defaults(handler=_console)

    holds = subparsers.add_parser("holds", help="list, show and act on held shipments")
    actions = holds.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="open holds, oldest first")
    for name in ("rule", "reason", "destination", "party"):
        listing.add_argument(f"--{name}", default="", help=f"only holds whose {name} matches")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(handler=_list)

    show = actions.add_parser("show", help="an order's current decision, findings and history")
    show.add_argument("order_id")
    show.set_defaults(handler=_show)

    for action, text in _ACTIONS.items():
        parser = actions.add_parser(action, help=text)
        _acting_arguments(parser)
        parser.set_defaults(handler=_act, review_action=action)
    clear = actions.add_parser(
        "clear-match", help="clear a party-list match as a false positive, with expiry"
    )
    _acting_arguments(clear)
    clear.add_argument("--entry-id", required=True, help="list entry id of the match")
    clear.add_argument("--name", required=True, help="the party name as sent")
    clear.add_argument("--days", default="90", help="days until the clearance expires (1-365)")
    clear.set_defaults(handler=_act, review_action="clear_match")

    applier = actions.add_parser(
        "apply-reviews", help="run the review applier: holds.reviews -> follow-up decisions (until Ctrl-C)"
    )
    applier.set_defaults(handler=_apply_reviews)


def _acting_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("order_id")
    parser.add_argument("--as", dest="reviewer", required=True, help="console user acting")
    parser.add_argument("--justification", "-j", default="", help="why (required to release, deny or clear)")
    parser.add_argument("--decision-id", default="", help="decision acted on (default: the current one)")


def _console(args: argparse.Namespace) -> int:
    from pipeline.console.auth import ConsoleConfigError, hash_password
    from pipeline.console.service import serve_console

    if args.hash_password:
        print(hash_password(_read_password("Password to hash: ")))
        return 0
    settings = load_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(_until_signalled(serve_console(settings, apply_reviews=args.apply_reviews)))
    except ConsoleConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


async def _until_signalled(service: Coroutine[Any, Any, None]) -> None:
    """Run `service` until it ends or SIGINT/SIGTERM cancels it, so Kafka clients close cleanly."""
    task = asyncio.ensure_future(service)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _apply_reviews(_: argparse.Namespace) -> int:
    from pipeline.holds.signing import SigningKeyError
    from pipeline.kafka import review_applier

    try:
        asyncio.run(_until_signalled(review_applier.run(load_settings())))
    except SigningKeyError as exc:
        echo(f"error: {exc}", err=True)
        return 2
    return 0


def _read_password(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\n")


def _snapshot(settings: Settings, audit_log: AuditLog | None = None) -> HoldQueue:
    from pipeline.kafka.holds import read_snapshot

    return asyncio.run(read_snapshot(settings, audit_log=audit_log))


@quiet_on_closed_pipe
def _list(args: argparse.Namespace) -> int:
    from pipeline.holds.queue import HoldFilter

    queue = _snapshot(load_settings())
    wanted = HoldFilter(rule=args.rule, reason=args.reason, destination=args.destination, party=args.party)
    rows = queue.open_holds(datetime.now(UTC), wanted)
    for row in rows:
        if args.json:
            print(
                json.dumps(
                    {
                        "order_id": row.order_id,
                        "age": row.age,
                        "rules": row.rules,
                        "headline": row.headline,
                        "destination": row.destination,
                        "approvals": row.approvals,
                    }
                )
            )
        else:
            flags = (" [escalated]" if row.escalated else "") + (
                f" [{len(row.approvals)}/2 approvals]" if row.four_eyes else ""
            )
            echo(f"{row.order_id:<24} {row.age:>12}  {row.destination:<3} {row.headline}{flags}")
    if not args.json:
        print(f"{len(rows)} open hold(s)", file=sys.stderr)
    return 0


@quiet_on_closed_pipe
def _show(args: argparse.Namespace) -> int:
    from pipeline.holds.audit_log import AuditLog
    from pipeline.holds.closed import closed_order

    audit_log = AuditLog()
    queue = _snapshot(load_settings(), audit_log)
    entry = queue.get(args.order_id)
    if entry is None or entry.current is None:
        closed = closed_order(None, audit_log.closing(args.order_id))
        if closed is None:
            echo(f"error: no decision known for order {args.order_id}", err=True)
            return 1
        echo(
            f"order {closed.order_id}: hold closed, {closed.closed_as} by {closed.closed_by} at "
            f"{closed.closed_at.isoformat(timespec='seconds')}; decision reviewed {closed.decision_id}"
        )
        echo(f"  justification: {closed.justification or '-'}")
        return 0
    current = entry.current
    echo(
        f"order {entry.order_id} rev {current.revision}: {current.route}"
        f"{' (open hold)' if entry.is_open_hold else ''}; decision {current.decision_id}"
    )
    for reason in current.reasons:
        cited = f" [{reason.citation.instrument}]" if reason.citation else ""
        echo(f"  {reason.outcome:<16} {reason.rule_id}: {reason.explanation}{cited}")
    for match in current.party_matches:
        echo(
            f"  match {match.role}: {match.name_sent!r} ~ {match.listed_name!r} "
            f"({match.list} {match.entry_id}, score {match.score:.2f}, {match.matched})"
        )
    for decision in entry.decisions:
        by = f" by {decision.review['approved_by']}" if decision.review else ""
        echo(f"  {decision.evaluated_at.isoformat(timespec='seconds')} decision {decision.route}{by}")
    for review in entry.reviews:
        echo(
            f"  {review.created_at.isoformat(timespec='seconds')} review {review.action} "
            f"by {review.reviewer}: {review.justification}"
        )
    return 0


def _act(args: argparse.Namespace) -> int:
    from pipeline.console.actions import ActionRequest
    from pipeline.console.auth import parse_users, verify_password
    from pipeline.holds.signing import SigningKeyError

    settings = load_settings()
    user = parse_users(settings.console_users).get(args.reviewer)
    password = _read_password(f"Password for {args.reviewer}: ")
    if user is None or not verify_password(password, user.password_hash):
        echo("error: wrong user or password", err=True)
        return 3
    if not user.role.may_act:
        echo(f"error: role {user.role} may not act on holds", err=True)
        return 3
    request = ActionRequest(
        order_id=args.order_id,
        action=args.review_action,
        decision_id=args.decision_id,
        justification=args.justification,
        entry_id=getattr(args, "entry_id", ""),
        name_sent=getattr(args, "name", ""),
        expires_days=getattr(args, "days", ""),
    )
    try:
        status, message = asyncio.run(_perform(settings, user.name, request))
    except SigningKeyError as exc:
        echo(f"error: {exc}", err=True)
        return 2
    echo(message, err=status >= 400)
    return 0 if status < 400 else 1


async def _perform(settings: Settings, reviewer: str, request: ActionRequest) -> tuple[int, str]:
    from pipeline.console.actions import perform
    from pipeline.kafka.holds import KafkaOutbox, read_snapshot

    queue = await read_snapshot(settings)
    outbox = KafkaOutbox(settings)
    await outbox.start()
    try:
        result = await perform(queue, outbox, reviewer, request, datetime.now(UTC))
    finally:
        await outbox.stop()
    return result.status, result.message
