"""Pages of an analyst's day besides the queue: the audit trail, closed holds, bulk results and the
confirmation a deny asks for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from pipeline.console.pages import banner, esc, hold_url, layout
from pipeline.console.paging import Paging
from pipeline.console.queue_page import pager
from pipeline.holds.ages import format_age
from pipeline.holds.audit_log import AuditQuery
from pipeline.holds.closed import ClosedHold
from schemas.review import AuditRecord


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What a bulk action did to one order: `outcome` is sent, awaiting_second_approval or refused."""

    order_id: str
    outcome: str
    message: str


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def audit_page(
    records: list[AuditRecord],
    query: AuditQuery,
    paging: Paging,
    raw_query: Mapping[str, str],
    actions: Sequence[str],
    *,
    user: str,
    csrf: str,
    admin: bool,
    dropped: int,
    error: str = "",
) -> str:
    choices = "".join(
        f'<option value="{esc(a)}"{" selected" if a == query.action else ""}>{esc(a)}</option>'
        for a in ("", *actions)
    )
    form = (
        '<form method="get" action="/audit" class="filters" id="audit-filters">'
        f'<label>Order <input name="order" value="{esc(query.order)}" size="14"></label>'
        f'<label>Reviewer <input name="actor" value="{esc(query.actor)}" size="10"></label>'
        f'<label>Action <select name="action">{choices}</select></label>'
        f'<label>From <input type="date" name="since" value="{_day(query.since)}"></label>'
        f'<label>To <input type="date" name="until" value="{_day(query.until)}"></label>'
        '<button type="submit">Search</button> <a href="/audit">Clear</a></form>'
    )
    rows = "".join(
        f'<tr data-audit-id="{esc(r.audit_id)}">'
        f"<td><time>{esc(r.at.isoformat(timespec='seconds'))}</time></td>"
        f"<td>{esc(r.actor)}</td><td>{esc(r.action)}</td><td>{esc(r.outcome)}</td>"
        f"<td>{_order_link(r.order_id)}</td><td>{esc(r.why)}</td><td>{esc(r.detail)}</td></tr>"
        for r in records
    )
    older = (
        f'<p class="muted">The oldest {dropped} records are not kept in this console; '
        "the holds.audit topic has them all.</p>"
        if dropped
        else ""
    )
    body = (
        f"<h1>Audit trail</h1>{banner('', error)}{form}"
        '<table id="audit"><thead><tr><th>When (UTC)</th><th>Who</th><th>Action</th><th>Outcome</th>'
        f"<th>Order</th><th>Why</th><th>Detail</th></tr></thead><tbody>{rows}</tbody></table>"
        f"{pager('/audit', raw_query, paging)}{older}"
    )
    return layout("Audit trail", body, user=user, csrf=csrf, admin=admin)


def _order_link(order_id: str | None) -> str:
    if not order_id:
        return '<span class="muted">-</span>'
    return f'<a href="{esc(hold_url(order_id))}">{esc(order_id)}</a>'


def closed_page(
    closed: list[ClosedHold],
    order: str,
    paging: Paging,
    raw_query: Mapping[str, str],
    *,
    user: str,
    csrf: str,
    admin: bool,
) -> str:
    form = (
        '<form method="get" action="/closed" class="filters" id="closed-filters">'
        f'<label>Order <input name="order" value="{esc(order)}" size="14"></label>'
        '<button type="submit">Search</button> <a href="/closed">Clear</a></form>'
    )
    rows = "".join(
        f'<tr data-order-id="{esc(c.order_id)}" class="closed-{esc(c.closed_as.replace(" ", "-"))}">'
        f"<td>{_order_link(c.order_id)}</td>"
        f"<td><time>{esc(c.closed_at.isoformat(timespec='seconds'))}</time></td>"
        f'<td class="closed-as">{esc(c.closed_as)}</td><td>{esc(c.closed_by)}</td>'
        f"<td>{esc(c.justification)}</td><td>{esc(c.why_held)}</td>"
        f"<td>{_held_for(c)}</td></tr>"
        for c in closed
    )
    body = (
        f'<h1>Closed holds <span id="closed-count">{paging.total}</span></h1>{form}'
        '<table id="closed"><thead><tr><th>Order</th><th>Closed (UTC)</th><th>How</th><th>By</th>'
        "<th>Justification</th><th>Why it was held</th><th>Held for</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{pager('/closed', raw_query, paging)}"
    )
    return layout("Closed holds", body, user=user, csrf=csrf, admin=admin)


def _held_for(closed: ClosedHold) -> str:
    if closed.held_since is None:
        return '<span class="muted">-</span>'
    return esc(format_age((closed.closed_at - closed.held_since).total_seconds()))


def closed_hold_page(closed: ClosedHold, *, user: str, csrf: str, admin: bool) -> str:
    """The page of an order whose hold closed before this console could see its decisions."""
    why = f"<dt>Why it was held</dt><dd>{esc(closed.why_held)}</dd>" if closed.why_held else ""
    body = (
        f"<h1>Order {esc(closed.order_id)}</h1>"
        f'<p id="closed-how" class="closed-{esc(closed.closed_as.replace(" ", "-"))}">The hold is closed: '
        f"{esc(closed.closed_as)} by {esc(closed.closed_by)} at "
        f"<time>{esc(closed.closed_at.isoformat(timespec='seconds'))}</time> UTC.</p>"
        f'<dl id="closed-detail"><dt>Justification</dt><dd>{esc(closed.justification) or "-"}</dd>'
        f"<dt>Decision reviewed</dt><dd>{esc(closed.decision_id) or '-'}</dd>{why}</dl>"
        '<p class="muted">From the audit trail; the full decision history is on screening.decisions.</p>'
    )
    return layout(f"Order {closed.order_id}", body, user=user, csrf=csrf, admin=admin)


def bulk_result_page(action: str, results: list[ItemResult], *, user: str, csrf: str, admin: bool) -> str:
    done = sum(1 for r in results if r.outcome != "refused")
    rows = "".join(
        f'<tr data-order-id="{esc(r.order_id)}" class="result-{esc(r.outcome)}">'
        f'<td>{_order_link(r.order_id)}</td><td class="outcome">{esc(r.outcome.replace("_", " "))}</td>'
        f"<td>{esc(r.message)}</td></tr>"
        for r in results
    )
    body = (
        f"<h1>Bulk {esc(action.replace('_', ' '))}</h1>"
        f'<p id="bulk-summary">{done} of {len(results)} accepted, {len(results) - done} refused.</p>'
        '<table id="bulk-results"><thead><tr><th>Order</th><th>Result</th><th>Message</th></tr></thead>'
        f'<tbody>{rows}</tbody></table><p><a href="/">Back to the queue</a></p>'
    )
    return layout(f"Bulk {action}", body, user=user, csrf=csrf, admin=admin)


def confirm_deny_page(
    action_url: str,
    order_ids: Sequence[str],
    fields: Mapping[str, str],
    *,
    user: str,
    csrf: str,
    back: str,
    selection: Sequence[str] = (),
) -> str:
    """The second step of a deny: the same post again, confirmed, or back without a change.

    `selection` is what a bulk deny posts back (the checkboxes' values); `order_ids` are shown."""
    hidden = "".join(
        f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">'
        for k, v in fields.items()
        if k not in {"csrf", "confirmed"}
    )
    hidden += "".join(f'<input type="hidden" name="order_id" value="{esc(o)}">' for o in selection)
    orders = "".join(f"<li>{esc(o)}</li>" for o in order_ids)
    body = (
        f"<h1>Confirm deny</h1><p>Denying confirms the block; the hold closes and cannot be released "
        f'afterwards.</p><ul id="deny-orders">{orders}</ul>'
        f'<p>Justification: <b id="deny-justification">{esc(fields.get("justification", ""))}</b></p>'
        f'<form method="post" action="{esc(action_url)}" id="confirm-deny" class="inline">'
        f'<input type="hidden" name="csrf" value="{esc(csrf)}"><input type="hidden" name="confirmed" '
        f'value="yes">{hidden}<button type="submit">Deny {len(order_ids)} order(s)</button> '
        f'<a href="{esc(back)}">Cancel</a></form>'
    )
    return layout("Confirm deny", body, user=user, csrf=csrf)
