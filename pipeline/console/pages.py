"""Server-rendered HTML of the console. Every value from an event passes through `esc` before output."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from html import escape
from urllib.parse import quote

from pipeline.console.auth import User
from pipeline.holds.ages import format_age
from pipeline.holds.apply import has_prohibited_finding, is_denied, may_license
from pipeline.holds.findings import FindingGroup, concern, group_findings, headline
from pipeline.holds.queue import OrderFile
from schemas.decision import Citation, DecisionRecord, PartyMatch
from schemas.order import OrderEvent
from schemas.review import Review, ReviewAction

DEFAULT_CLEARANCE_DAYS = 90
# `?notice=` names one of these; any other value shows nothing, so a link cannot put words on a page.
NOTICES = {
    **{str(action): f"{action.replace('_', ' ').capitalize()} sent." for action in ReviewAction},
    "awaiting_second_approval": "Approval recorded: a second, different reviewer must also approve.",
    "sessions_revoked": "Sessions revoked.",
    "claimed": "Hold claimed.",
    "assigned": "Hold assigned.",
    "unassigned": "Hold unassigned.",
    "order_not_found": "No order with that id is known; showing open holds whose id contains it.",
}


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def hold_url(order_id: str) -> str:
    return f"/holds/{quote(order_id, safe='')}"


def layout(
    title: str, body: str, *, user: str = "", csrf: str = "", script: bool = False, admin: bool = False
) -> str:
    sessions = '<a href="/admin/sessions">Sessions</a> ' if admin else ""
    nav = (
        '<nav class="views"><a href="/">Open</a> <a href="/closed">Closed</a> <a href="/audit">Audit</a>'
        ' <a href="/clearances">Clearances</a>'
        '<form method="get" action="/search" class="search" role="search">'
        '<input name="order_id" placeholder="Order id" aria-label="Find an order by id" size="16" required>'
        "<button>Find</button></form></nav>"
        if user
        else ""
    )
    signed_in = (
        f'<form method="post" action="/logout" class="who">{sessions}{esc(user)} '
        f'<input type="hidden" name="csrf" value="{esc(csrf)}"><button>Sign out</button></form>'
        if user
        else ""
    )
    js = '<script src="/static/console.js" defer></script>' if script else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{esc(title)} · Hold queue</title><link rel="stylesheet" href="/static/console.css">{js}'
        f'</head><body><header><a href="/" class="brand">Hold queue</a>{nav}{signed_in}</header>'
        f"<main>{body}</main></body></html>"
    )


def banner(notice: str, error: str) -> str:
    """`notice` is a key of NOTICES; `error` a message of the console's own."""
    parts = []
    if notice in NOTICES:
        parts.append(f'<p class="notice" role="status">{esc(NOTICES[notice])}</p>')
    if error:
        parts.append(f'<p class="error" role="alert">{esc(error)}</p>')
    return "".join(parts)


def login_page(csrf: str, *, error: str = "", next_url: str = "/") -> str:
    body = (
        f"<h1>Sign in</h1>{banner('', error)}"
        '<form method="post" action="/login" class="login">'
        f'<input type="hidden" name="csrf" value="{esc(csrf)}">'
        f'<input type="hidden" name="next" value="{esc(next_url)}">'
        '<label>User <input name="username" autocomplete="username" required autofocus></label>'
        '<label>Password <input name="password" type="password" autocomplete="current-password" required>'
        '</label><button type="submit">Sign in</button></form>'
    )
    return layout("Sign in", body)


def _evidence(items: dict[str, str]) -> str:
    return "".join(f"<div><b>{esc(k)}</b> {esc(v)}</div>" for k, v in items.items())


def _citation(citation: Citation | None) -> str:
    if citation is None:
        return '<span class="muted">none</span>'
    return (
        f'{esc(citation.authority)}, <a href="{esc(citation.url)}" rel="noreferrer noopener" '
        f'target="_blank">{esc(citation.instrument)}</a>, {esc(citation.date.isoformat())}'
    )


def _group_details(group: FindingGroup) -> str:
    """Each line's or party's explanation and evidence; one line needs no list."""
    if len(group.reasons) == 1:
        only = group.reasons[0]
        return f"<td>{esc(only.explanation)}</td><td>{_evidence(only.evidence)}</td>"
    items = "".join(
        f"<li><b>{esc(concern(r))}</b> {esc(r.explanation)}"
        f'<div class="evidence">{_evidence(r.evidence)}</div></li>'
        for r in group.reasons
    )
    return f'<td colspan="2"><ul class="per-line">{items}</ul></td>'


def _findings(decision: DecisionRecord) -> str:
    """One row per rule and outcome, with every line it concerns: the same finding on five lines is
    one problem to review."""
    rows = "".join(
        f'<tr class="outcome-{esc(g.outcome)}" data-rule="{esc(g.rule_id)}"><td>{esc(g.rule_id)}</td>'
        f"<td>{esc(g.title)}</td><td>{esc(g.outcome)}</td>"
        f'<td class="concerns">{esc(", ".join(g.concerns))}</td>{_group_details(g)}'
        f"<td>{_citation(g.citation)}</td></tr>"
        for g in group_findings(decision.reasons)
    )
    return (
        '<h2>Findings</h2><table class="findings"><thead><tr><th>Rule</th><th>Title</th><th>Outcome</th>'
        "<th>Concerns</th><th>Explanation</th><th>Evidence</th><th>Citation</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _why(decision: DecisionRecord) -> str:
    top = headline(decision.reasons)
    if top is None:
        return ""
    return (
        f'<p id="why" class="why outcome-{esc(top.outcome)}"><b>Why:</b> {esc(top.title)} '
        f'<span class="tag">{esc(top.outcome)}</span></p>'
    )


def _claim_form(order_id: str, assignee: str | None, user: str, csrf: str, assignable: Iterable[str]) -> str:
    """Claim for oneself, hand to another reviewer, or give back; a hold someone else works is
    taken over explicitly."""
    options = "".join(
        f'<option value="{esc(name)}"{" selected" if name == user else ""}>{esc(name)}</option>'
        for name in assignable
    )
    take_over = (
        '<label><input type="checkbox" name="take_over" value="yes"> take over</label>'
        if assignee not in {None, user}
        else ""
    )
    release = (
        f'<form method="post" action="{esc(hold_url(order_id))}/claim" class="inline">'
        f'<input type="hidden" name="csrf" value="{esc(csrf)}"><input type="hidden" name="assignee" value="">'
        f"{take_over if assignee != user else ''}<button>Unassign</button></form>"
        if assignee
        else ""
    )
    return (
        f'<form method="post" action="{esc(hold_url(order_id))}/claim" class="inline" id="claim">'
        f'<input type="hidden" name="csrf" value="{esc(csrf)}">'
        f'<label>Assign to <select name="assignee">{options}</select></label>{take_over}'
        f"<button>Assign</button></form>{release}"
    )


def _claim(order_id: str, assignee: str | None, user: str, csrf: str, assignable: Iterable[str]) -> str:
    who = f'<b class="claimed">{esc(assignee)}</b>' if assignee else "nobody"
    form = _claim_form(order_id, assignee, user, csrf, assignable) if assignable else ""
    return f'<div class="claim-box" id="claim-state">Worked by {who}. {form}</div>'


def _clear_form(order_id: str, decision_id: str, match: PartyMatch, csrf: str) -> str:
    return (
        f'<form method="post" action="{esc(hold_url(order_id))}/clear_match" class="inline">'
        f'<input type="hidden" name="csrf" value="{esc(csrf)}">'
        f'<input type="hidden" name="decision_id" value="{esc(decision_id)}">'
        f'<input type="hidden" name="entry_id" value="{esc(match.entry_id)}">'
        f'<input type="hidden" name="name_sent" value="{esc(match.name_sent)}">'
        f'<input name="justification" placeholder="why it is not this entry" required size="22">'
        f'<label>for <input name="expires_days" type="number" min="1" max="365" '
        f'value="{DEFAULT_CLEARANCE_DAYS}" size="3"> days</label><button>Clear match</button></form>'
    )


def _matches(entry: OrderFile, decision: DecisionRecord, csrf: str, may_act: bool) -> str:
    if not decision.party_matches:
        return ""
    rows = "".join(
        f'<tr><td>{esc(m.role)}</td><td class="sent">{esc(m.name_sent)}</td>'
        f'<td class="listed">{esc(m.listed_name)}</td><td>{esc(m.list)}<div class="muted">{esc(m.program)} '
        f"{esc(m.entry_id)}</div></td><td>{esc(m.matched)}</td><td>{m.score:.2f} ({esc(m.strength)})</td>"
        f"<td>{esc(m.status)}{' via ' + esc(m.via_owner) if m.via_owner else ''}</td>"
        f"<td>{_clear_form(entry.order_id, decision.decision_id, m, csrf) if may_act else ''}</td></tr>"
        for m in decision.party_matches
    )
    return (
        '<h2>Party matches</h2><table class="matches"><thead><tr><th>Role</th><th>Name as sent</th>'
        "<th>Listed name</th><th>List</th><th>What matched</th><th>Score</th><th>Status</th><th></th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _order(order: OrderEvent | None) -> str:
    if order is None:
        return '<h2>Order</h2><p class="muted">The order event was not found on the orders topic.</p>'
    parties = "".join(
        f"<tr><td>{esc(role)}</td><td>{esc(p.name)}</td><td>{esc(p.country)}</td>"
        f"<td>{esc(p.address or '')}</td></tr>"
        for role, p in order.parties()
    )
    lines = "".join(
        f"<tr><td>{esc(ln.line_id)}</td><td>{esc(ln.description)}</td><td>{esc(ln.sku or '')}</td>"
        f"<td>{esc(ln.hs_code or '')}</td><td>{esc(ln.control_code or '')}</td>"
        f"<td>{esc(ln.tech_entry or '')}</td>"
        f"<td>{ln.quantity:g} {esc(ln.unit)}</td><td>{ln.value:,.2f} {esc(ln.currency)}</td></tr>"
        for ln in order.lines
    )
    end_use = " · ".join(x for x in (order.end_use.code, order.end_use.description) if x) or "not stated"
    return (
        f"<h2>Order</h2><p>Destination <b>{esc(order.destination_country)}</b> · end use {esc(end_use)} · "
        f"event {esc(order.event_time.isoformat())} · ship date {esc(order.ship_date or 'not given')} · "
        f"licences {esc(', '.join(order.licence_numbers) or 'none')}</p>"
        '<table class="parties"><thead><tr><th>Role</th><th>Name</th><th>Country</th><th>Address</th></tr>'
        f"</thead><tbody>{parties}</tbody></table>"
        '<table class="lines"><thead><tr><th>Line</th><th>Description</th><th>SKU</th><th>HS</th>'
        "<th>Control code</th><th>Tech entry</th><th>Quantity</th><th>Value</th></tr></thead>"
        f"<tbody>{lines}</tbody></table>"
    )


def _history(decisions: Iterable[DecisionRecord], reviews: Iterable[Review]) -> str:
    events: list[tuple[datetime, str]] = []
    for d in decisions:
        by = f" by {d.review['approved_by']} ({d.review['action']})" if d.review else ""
        events.append(
            (
                d.evaluated_at,
                f"Decision <b>{esc(d.route)}</b>{esc(by)} · rev {d.revision} · {esc(d.decision_id)}",
            )
        )
    for r in reviews:
        why = f": {r.justification}" if r.justification else ""
        events.append((r.created_at, f"Review <b>{esc(r.action)}</b> by {esc(r.reviewer)}{esc(why)}"))
    events.sort(key=lambda item: item[0])
    items = "".join(
        f"<li><time>{esc(at.isoformat(timespec='seconds'))}</time> {text}</li>" for at, text in events
    )
    return f'<h2>History</h2><ol class="history">{items}</ol>'


def _action_form(
    order_id: str,
    decision_id: str,
    action: ReviewAction,
    label: str,
    csrf: str,
    *,
    required: bool,
    confirm: str = "",
) -> str:
    placeholder = "justification" if required else "justification (optional)"
    needed = " required" if required else ""
    # The server asks again, on a page of its own, unless the browser's dialog already confirmed.
    asks = f' data-confirm="{esc(confirm)}"' if confirm else ""
    confirmed = '<input type="hidden" name="confirmed" value="">' if confirm else ""
    return (
        f'<form method="post" action="{esc(hold_url(order_id))}/{action}" class="action" '
        f'data-action="{action}"{asks}><input type="hidden" name="csrf" value="{esc(csrf)}">'
        f'<input type="hidden" name="decision_id" value="{esc(decision_id)}">{confirmed}'
        f'<textarea name="justification" rows="2" placeholder="{placeholder}"{needed}>'
        f'</textarea><button type="submit">{label}</button></form>'
    )


def _actions(entry: OrderFile, decision: DecisionRecord, csrf: str) -> str:
    four_eyes = has_prohibited_finding(decision.reasons)
    approvals = entry.approvals()
    note = (
        f'<p class="four-eyes">Prohibited finding: release needs two different reviewers. '
        f"Approvals so far: {esc(', '.join(approvals) or 'none')}.</p>"
        if four_eyes
        else ""
    )
    forms = [
        _action_form(
            entry.order_id, decision.decision_id, ReviewAction.RELEASE, "Release", csrf, required=True
        ),
        _action_form(
            entry.order_id,
            decision.decision_id,
            ReviewAction.DENY,
            "Deny (confirm block)",
            csrf,
            required=True,
            confirm=f"Deny order {entry.order_id}? The block is confirmed and the hold closes.",
        ),
        _action_form(
            entry.order_id, decision.decision_id, ReviewAction.ESCALATE, "Escalate", csrf, required=False
        ),
    ]
    if may_license(decision):
        forms.append(
            _action_form(
                entry.order_id,
                decision.decision_id,
                ReviewAction.LICENSE,
                "Send to licensing",
                csrf,
                required=False,
            )
        )
    return f'<h2>Actions</h2>{note}<div class="actions">{"".join(forms)}</div>'


def detail_page(
    entry: OrderFile,
    now: datetime,
    *,
    user: str,
    csrf: str,
    may_act: bool,
    notice: str = "",
    error: str = "",
    assignee: str | None = None,
    assignable: Sequence[str] = (),
) -> str:
    """`assignable`: who a hold may be assigned to (empty: the user may not assign)."""
    decision = entry.current
    assert decision is not None  # the app only renders orders it has a decision for
    since = entry.held_since()
    if entry.is_open_hold and since:
        state = f"on hold for {format_age((now - since).total_seconds())}"
    elif is_denied(decision):
        state = "denied: the block is confirmed"
    else:
        state = f"not on hold (route {decision.route})"
    actions = _actions(entry, decision, csrf) if may_act and entry.is_open_hold else ""
    claim = (
        _claim(entry.order_id, assignee, user, csrf, assignable if may_act else ())
        if entry.is_open_hold
        else ""
    )
    body = (
        f"<h1>Order {esc(entry.order_id)}</h1>{banner(notice, error)}"
        f'<p id="hold-state" data-order-id="{esc(entry.order_id)}" '
        f'data-decision-id="{esc(decision.decision_id)}">'
        f"Revision {decision.revision} · as of {esc(decision.as_of.isoformat())} · "
        f"<b>{esc(state)}</b> · decision {esc(decision.decision_id)}"
        f"{' · failed closed' if decision.fail_closed else ''}</p>"
        f"{_why(decision)}{claim}{actions}{_findings(decision)}"
        f"{_matches(entry, decision, csrf, may_act and entry.is_open_hold)}"
        f"{_order(entry.order)}{_history(entry.decisions, entry.reviews)}"
    )
    return layout(f"Order {entry.order_id}", body, user=user, csrf=csrf, script=True)


def sessions_page(
    users: Mapping[str, User], counts: Mapping[str, int], *, user: str, csrf: str, notice: str = ""
) -> str:
    rows = "".join(
        f'<tr id="{esc(name)}" data-user="{esc(name)}"><td>{esc(name)}</td><td>{esc(u.role)}</td>'
        f"<td>{counts.get(name, 0)}</td><td>"
        f'<form method="post" action="/admin/sessions/{esc(quote(name, safe=""))}/revoke" class="inline">'
        f'<input type="hidden" name="csrf" value="{esc(csrf)}"><button>Revoke sessions</button></form>'
        "</td></tr>"
        for name, u in sorted(users.items())
    )
    body = (
        f"<h1>Sessions</h1>{banner(notice, '')}"
        '<table id="sessions"><thead><tr><th>User</th><th>Role</th><th>Active sessions</th><th></th></tr>'
        f"</thead><tbody>{rows}</tbody></table>"
        '<p class="muted">Revoking ends every session of the user at once; they must sign in again.</p>'
    )
    return layout("Sessions", body, user=user, csrf=csrf, admin=True)
