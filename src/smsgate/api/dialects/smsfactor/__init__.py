"""The SMSFactor-compatible API (SMSFactor's `POST /send` and the calls its SDKs make).

    app.py        the sub-application: routes, authentication, error handlers, the 413 renderer
    wire.py       JSON and XML in and out, content negotiation, the Python SDK's JSON queries
    orders.py     campaign and single-message requests read into a SendRequest
    marketing.py  the opt-out mention and the hours marketing SMS may be sent (Europe/Paris)
    reports.py    answers, and the table from message statuses to delivery report statuses
    codes.py      SMSFactor's status codes and the dialect's error table

This package imports no other dialect; see docs/dialects/smsfactor.md.
"""

from smsgate.api.dialects.smsfactor.app import MOUNT, create_smsfactor_app, too_large

__all__ = ["MOUNT", "create_smsfactor_app", "too_large"]
