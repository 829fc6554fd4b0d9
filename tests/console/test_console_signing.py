"""Reviews the console publishes are signed; without a signing key it sends none and says why."""

from __future__ import annotations

from pipeline.holds.outbox import MemoryOutbox
from schemas.review import AuditOutcome
from tests.console.harness import NOW, SIGNER, Client, Harness, run, sign_in
from tests.holds.samples import licence_hold


def test_the_console_signs_what_it_sends() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        h.add(licence_hold("o-1", evaluated_at=NOW))
        csrf = await sign_in(client, "alice")
        body = {"justification": "end use on file"}
        response = await client.post("/api/holds/o-1/escalate", json=body, headers={"X-CSRF-Token": csrf})
        assert response.status == 202

    h = run(scenario)
    [review] = h.outbox.reviews
    assert SIGNER.verify(review)


def test_without_a_signing_key_no_review_is_sent_and_the_refusal_is_audited() -> None:
    harness = Harness()
    harness.outbox = MemoryOutbox(require_signature=True)
    harness.app = harness.build_app()

    async def scenario(h: Harness, client: Client) -> None:
        h.add(licence_hold("o-2", evaluated_at=NOW))
        csrf = await sign_in(client, "alice")
        body = {"justification": "end use on file"}
        response = await client.post("/api/holds/o-2/escalate", json=body, headers={"X-CSRF-Token": csrf})
        assert response.status == 503
        assert "no review signing key" in (await response.json())["message"]

    h = run(scenario, harness)
    assert h.outbox.reviews == []
    refused = [a for a in h.outbox.audits if a.action == "escalate"]
    assert [(a.actor, a.outcome) for a in refused] == [("alice", AuditOutcome.REFUSED)]
    assert "no review signing key" in refused[0].detail
