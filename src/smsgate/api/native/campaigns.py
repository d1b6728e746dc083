"""Native REST API v1: campaigns (drafts, estimates, launches, pause/resume/cancel, reports).

Routes parse, make one service call and render; errors go through api/errors.NATIVE_ERRORS
(another account's campaign is 404, a state change the campaign cannot make is 409).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from smsgate.api.auth import bearer_account, gateway_of
from smsgate.api.errors import JsonResponse
from smsgate.api.native.campaign_schemas import (
    CampaignIn,
    render_campaign,
    render_cancel,
    render_estimate,
    render_launch,
    render_recipient,
)
from smsgate.domain.accounts import Account
from smsgate.domain.batches import Message, MessageFilter
from smsgate.domain.messages import MessageStatus

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])
CurrentAccount = Annotated[Account, Depends(bearer_account)]
MAX_CAMPAIGN_PAGE = 100
MAX_REPORT_PAGE = 1000


@router.post("", status_code=201, response_class=JsonResponse)
async def create_campaign(
    body: CampaignIn, request: Request, account: CurrentAccount
) -> JsonResponse:
    """Write a draft to contact lists and/or numbers; launch it to send."""
    view = await gateway_of(request).campaigns.create(account, body.draft())
    return JsonResponse(render_campaign(view), status_code=201)


@router.get("", response_class=JsonResponse)
async def list_campaigns(
    request: Request,
    account: CurrentAccount,
    limit: Annotated[int, Query(ge=1, le=MAX_CAMPAIGN_PAGE)] = 50,
    before: Annotated[int | None, Query(description="cursor: next_before of the last page")] = None,
) -> JsonResponse:
    """Newest first; follow `next_before` for the next page."""
    found = await gateway_of(request).campaigns.list(account, limit, before)
    return JsonResponse(
        {
            "data": [render_campaign(view, progress=False) for view in found],
            "next_before": found[-1].campaign.id if len(found) == limit else None,
        }
    )


@router.get("/{campaign_id}", response_class=JsonResponse)
async def get_campaign(campaign_id: int, request: Request, account: CurrentAccount) -> JsonResponse:
    """The campaign, its status as of now and its messages counted by status."""
    view = await gateway_of(request).campaigns.get(account, campaign_id)
    return JsonResponse(render_campaign(view))


@router.post("/{campaign_id}/estimate", response_class=JsonResponse)
async def estimate_campaign(
    campaign_id: int, request: Request, account: CurrentAccount
) -> JsonResponse:
    """Recipients after screening, segments and cost, as a launch now would find them."""
    estimate = await gateway_of(request).campaigns.estimate(account, campaign_id)
    return JsonResponse(render_estimate(estimate))


@router.post("/{campaign_id}/launch", status_code=202, response_class=JsonResponse)
async def launch_campaign(
    campaign_id: int, request: Request, account: CurrentAccount
) -> JsonResponse:
    """Write and charge every message at once; they go out now or at the schedule."""
    outcome = await gateway_of(request).campaigns.launch(account, campaign_id)
    return JsonResponse(render_launch(outcome), status_code=202)


@router.post("/{campaign_id}/pause", response_class=JsonResponse)
async def pause_campaign(
    campaign_id: int, request: Request, account: CurrentAccount
) -> JsonResponse:
    """Hold the messages no dispatcher has taken yet."""
    view = await gateway_of(request).campaigns.pause(account, campaign_id)
    return JsonResponse(render_campaign(view))


@router.post("/{campaign_id}/resume", response_class=JsonResponse)
async def resume_campaign(
    campaign_id: int, request: Request, account: CurrentAccount
) -> JsonResponse:
    view = await gateway_of(request).campaigns.resume(account, campaign_id)
    return JsonResponse(render_campaign(view))


@router.post("/{campaign_id}/cancel", response_class=JsonResponse)
async def cancel_campaign(
    campaign_id: int, request: Request, account: CurrentAccount
) -> JsonResponse:
    """Cancel a draft, or a launched campaign's unsent messages, refunded."""
    outcome = await gateway_of(request).campaigns.cancel(account, campaign_id)
    return JsonResponse(render_cancel(outcome))


@router.get("/{campaign_id}/messages", response_class=JsonResponse)
async def campaign_messages(
    campaign_id: int,
    request: Request,
    account: CurrentAccount,
    status: MessageStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_REPORT_PAGE)] = 100,
    before: Annotated[int | None, Query(description="cursor: next_before of the last page")] = None,
) -> JsonResponse:
    """The per-recipient report: one row per message, newest first."""
    gateway = gateway_of(request)
    # Two reads: the campaign (404 if not the account's) for its batch, then its messages.
    # A batch id, once set, never changes, so the two need not share a transaction.
    view = await gateway.campaigns.get(account, campaign_id)
    batch_id = view.campaign.batch_id
    found: list[Message] = []
    if batch_id is not None:
        found = await gateway.queries.messages(
            account, MessageFilter(batch_id=batch_id, status=status, before_id=before, limit=limit)
        )
    return JsonResponse(
        {
            "campaign_id": campaign_id,
            "status": str(view.status),
            "data": [render_recipient(m) for m in found],
            "next_before": found[-1].id if len(found) == limit else None,
        }
    )
