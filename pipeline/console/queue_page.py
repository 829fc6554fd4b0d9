"""The queue page: filters, the rows of open holds, selection for bulk actions, claims, SLA ages, pages.

Rows are also sent by `/api/holds` for live updates, so `queue_row` alone renders one row completely.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from pipeline.console.pages import banner, esc, hold_url, layout
from pipeline.console.paging import Paging, page_url
from pipeline.holds.queue import HoldFilter, HoldSummary
from schemas.review import ReviewAction

# A hold this far into its SLA is flagged before it is late.
SLA_WARNING_SHARE = 0.75
BULK_ACTIONS = (
    ("claim", "Claim for me"),
    (str(ReviewAction.RELEASE), "Release"),
    (str(ReviewAction.ESCALATE), "Escalate"),
    (str(ReviewAction.LICENSE), "Send to licensing"),
    (str(ReviewAction.DENY), "Deny"),
)


@dataclass(frozen=True, slots=True)
class RowView:
    """What a row shows besides the hold itself."""

    sla_seconds: float
    selectable: bool


def sla_state(age_seconds: float, sla_seconds: float) -> str:
    """'over' past the SLA, 'near' in its last quarter, '' before."""
    if age_seconds >= sla_seconds:
        return "over"
    if age_seconds >= SLA_WARNING_SHARE * sla_seconds:
        return "near"
    return ""


def _status(row: HoldSummary) -> str:
    tags = []
    if row.escalated:
        tags.append('<span class="tag escalated">escalated</span>')
    if row.four_eyes:
        tags.append(f'<span class="tag four-eyes">{len(row.approvals)} of 2 approvals</span>')
    return " ".join(tags)


def queue_row(row: HoldSummary, assignee: str | None, view: RowView) -> str:
    sla = sla_state(row.age_seconds, view.sla_seconds)
    sla_class = f' class="sla-{sla}"' if sla else ""
    sla_note = {"over": " (past SLA)", "near": " (SLA due soon)"}.get(sla, "")
    select = (
        # The decision id travels with the selection: a bulk action refuses a hold that changed since.
        f'<td><input type="checkbox" name="order_id" value="{esc(row.decision_id)}|{esc(row.order_id)}" '
        'form="bulk" '
        f'class="select" aria-label="select {esc(row.order_id)}"></td>'
        if view.selectable
        else ""
    )
    claimed = f'<span class="claimed">{esc(assignee)}</span>' if assignee else '<span class="muted">-</span>'
    return (
        f'<tr data-order-id="{esc(row.order_id)}"{sla_class}>{select}'
        f'<td><a href="{esc(hold_url(row.order_id))}">{esc(row.order_id)}</a></td>'
        f'<td class="age" title="since {esc(row.held_since.isoformat())}{sla_note}">{esc(row.age)}</td>'
        f'<td class="why outcome-{esc(row.headline_outcome)}">{esc(row.headline)}'
        f'<div class="rules">{esc(", ".join(row.rules))}</div></td>'
        f"<td>{esc(', '.join(row.outcomes))}</td><td>{esc(row.destination)}</td>"
        f'<td>{esc(", ".join(row.parties[:4]))}</td><td class="claim">{claimed}</td>'
        f"<td>{_status(row)}</td></tr>"
    )


def _filter_form(wanted: HoldFilter, per_page: int) -> str:
    def field(name: str, label: str, value: object, size: int = 12) -> str:
        shown = "" if value is None else value
        return f'<label>{label} <input name="{name}" value="{esc(shown)}" size="{size}"></label>'

    sort_options = "".join(
        f'<option value="{v}"{" selected" if wanted.sort == v else ""}>{label}</option>'
        for v, label in (("oldest", "oldest first"), ("newest", "newest first"))
    )
    return (
        '<form method="get" action="/" class="filters" id="filters">'
        + field("order", "Order", wanted.order)
        + field("rule", "Rule", wanted.rule)
        + field("reason", "Reason", wanted.reason)
        + field("destination", "Destination", wanted.destination, 4)
        + field("party", "Party", wanted.party)
        + field("min_age_hours", "Min age (h)", wanted.min_age_hours, 4)
        + field("max_age_hours", "Max age (h)", wanted.max_age_hours, 4)
        + f'<label>Sort <select name="sort">{sort_options}</select></label>'
        + field("per_page", "Per page", per_page, 3)
        + '<button type="submit">Filter</button> <a href="/">Clear</a></form>'
    )


def _bulk_form(csrf: str) -> str:
    options = "".join(f'<option value="{value}">{label}</option>' for value, label in BULK_ACTIONS)
    return (
        '<form method="post" action="/holds/bulk" id="bulk" class="bulk">'
        f'<input type="hidden" name="csrf" value="{esc(csrf)}">'
        '<input type="hidden" name="confirmed" value="">'
        '<label>Selected <span id="selected-count">0</span>: '
        f'<select name="action">{options}</select></label>'
        '<input name="justification" placeholder="justification (release and deny need one)" size="40">'
        '<button type="submit">Apply to selected</button></form>'
    )


def pager(path: str, query: Mapping[str, str], paging: Paging) -> str:
    def link(number: int, label: str, rel: str) -> str:
        if number < 1 or number > paging.pages or number == paging.number:
            return f'<span class="muted">{label}</span>'
        return f'<a href="{esc(page_url(path, query, number))}" rel="{rel}">{label}</a>'

    return (
        f'<nav class="pager" id="pager" data-page="{paging.number}" data-pages="{paging.pages}">'
        f"{link(paging.number - 1, '&larr; Previous', 'prev')} "
        f'Page <b id="page-number">{paging.number}</b> of <span id="page-count">{paging.pages}</span> '
        f'(<span id="pager-total">{paging.total}</span> in all) '
        f"{link(paging.number + 1, 'Next &rarr;', 'next')}</nav>"
    )


def queue_page(
    rows: list[tuple[HoldSummary, str | None]],
    wanted: HoldFilter,
    paging: Paging,
    query: Mapping[str, str],
    view: RowView,
    *,
    user: str,
    csrf: str,
    notice: str = "",
    admin: bool = False,
) -> str:
    kept = {k: v for k, v in query.items() if k not in {"page", "per_page", "notice"}}
    export = f"/export.csv?{urlencode(kept)}" if kept else "/export.csv"
    select_all = (
        '<th><input type="checkbox" id="select-all" aria-label="select all on this page"></th>'
        if view.selectable
        else ""
    )
    body = (
        f'<h1>Open holds <span id="hold-count">{paging.total}</span></h1>{banner(notice, "")}'
        f"{_filter_form(wanted, paging.per_page)}"
        f'<p class="tools"><a id="export" href="{esc(export)}" download>Export CSV</a> (every page of this '
        f"filter) · SLA {view.sla_seconds / 3600:g} h</p>"
        f"{_bulk_form(csrf) if view.selectable else ''}"
        f'<table id="holds"><thead><tr>{select_all}<th>Order</th><th>Held for</th><th>Why</th>'
        "<th>Outcome</th><th>Dest.</th><th>Parties</th><th>Claimed by</th><th>Status</th></tr></thead>"
        f"<tbody>{''.join(queue_row(r, who, view) for r, who in rows)}</tbody></table>"
        f"{pager('/', query, paging)}"
        '<p class="muted">Updates every 2 s. <span id="updated"></span></p>'
    )
    return layout("Open holds", body, user=user, csrf=csrf, script=True, admin=admin)
