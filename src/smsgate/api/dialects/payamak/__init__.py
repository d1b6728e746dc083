"""The Media Payamak-compatible API: SendService.svc (SOAP 1.1, WCF basicHttpBinding) and its
REST twin, mounted at /payamak (docs/dialects/payamak.md).

    contract.py    the operations, namespaces and MessageInfo as data (the WSDL's source)
    wsdl.py        the WSDL, one file with inline schemas
    envelope.py    SOAP parsing (defusedxml) and writing, faults
    soap.py        SendService.svc: dispatch, one handler per operation
    rest.py        /api/v2/RestWebApi/<Operation>: JSON in and out
    operations.py  the operations themselves, transport-neutral, calling the services
    records.py     MessageInfo records and numbers as Payamak shows them
    codes.py       result codes per domain error, delivery statuses per message status
    app.py         the mounted sub-application and its error handlers
"""

from smsgate.api.dialects.payamak.app import create_payamak_app, render_too_large
from smsgate.api.dialects.payamak.contract import MOUNT_PATH

__all__ = ["MOUNT_PATH", "create_payamak_app", "render_too_large"]
