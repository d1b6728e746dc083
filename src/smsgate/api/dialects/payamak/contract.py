"""The SendService contract as data: namespaces, operations and their parameters, MessageInfo.

The WSDL (wsdl.py) is rendered from these tables, and the SOAP and REST adapters must handle
exactly these operations (a test checks it), so the three cannot drift apart. Names, order
and types are those of the real WCF service (`ISendService`, basicHttpBinding).
"""

from __future__ import annotations

from dataclasses import dataclass

TEMPURI = "http://tempuri.org/"
ARRAYS_NS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
MODELS_NS = "http://schemas.datacontract.org/2004/07/SMSPanel.Domain.Models"
DOMAIN_ENUMS_NS = "http://schemas.datacontract.org/2004/07/SMSPanel.Domain.Enums"
COMMON_ENUMS_NS = "http://schemas.datacontract.org/2004/07/SMSPanel.Common.Enums"
SERVICE_NAME = "SendService"
PORT_TYPE = "ISendService"
PORT_NAME = "BasicHttpBinding_ISendService"
MOUNT_PATH = "/payamak"  # where api/app.py mounts this API
ENDPOINT_PATH = "/SendService.svc"
REST_PATH = "/api/v2/RestWebApi"


def soap_action(operation: str) -> str:
    return f"{TEMPURI}{PORT_TYPE}/{operation}"


@dataclass(frozen=True, slots=True)
class Param:
    """One element of an operation's request or response wrapper.

    `type` is an XSD built-in ("string", "int", ...) or one of the array types
    ("ArrayOfstring", "ArrayOflong", "ArrayOfint", "ArrayOfMessageInfo").
    """

    name: str
    type: str

    @property
    def nillable(self) -> bool:
        # WCF marks reference types nillable: strings, byte arrays and arrays.
        return self.type in {"string", "base64Binary"} or self.type.startswith("ArrayOf")


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    inputs: tuple[Param, ...]
    outputs: tuple[Param, ...]


_CREDENTIALS = (Param("userName", "string"), Param("password", "string"))
_SEND_INPUTS = (
    *_CREDENTIALS,
    Param("fromNumber", "string"),
    Param("toNumbers", "ArrayOfstring"),
    Param("messageContent", "string"),
    Param("isFlash", "boolean"),
)

OPERATIONS: tuple[Operation, ...] = (
    Operation("GetCredit", _CREDENTIALS, (Param("GetCreditResult", "decimal"),)),
    Operation(
        "GetInboxCount",
        (*_CREDENTIALS, Param("isRead", "boolean")),
        (Param("GetInboxCountResult", "int"),),
    ),
    Operation(
        "SendSMS",
        # recId and status are `ref` parameters: sent both ways, their inbound values ignored.
        (*_SEND_INPUTS, Param("recId", "ArrayOflong"), Param("status", "base64Binary")),
        (
            Param("SendSMSResult", "int"),
            Param("recId", "ArrayOflong"),
            Param("status", "base64Binary"),
        ),
    ),
    Operation(
        "SendBatchSms",
        _SEND_INPUTS,
        (Param("SendBatchSmsResult", "int"), Param("batchSmsId", "int")),
    ),
    Operation(
        "GetBatchDelivery",
        (
            *_CREDENTIALS,
            Param("batchSmsId", "int"),
            Param("index", "int"),
            Param("count", "int"),
        ),
        (
            Param("GetBatchDeliveryResult", "int"),
            Param("numbers", "ArrayOfstring"),
            Param("deliveryStatus", "ArrayOfint"),
        ),
    ),
    Operation(
        "GetMessages",
        (
            *_CREDENTIALS,
            Param("messageType", "int"),
            Param("fromNumbers", "ArrayOfstring"),
            Param("index", "int"),
            Param("count", "int"),
        ),
        (Param("GetMessagesResult", "ArrayOfMessageInfo"),),
    ),
    Operation(
        "GetDelivery",
        (*_CREDENTIALS, Param("recId", "long")),
        (Param("GetDeliveryResult", "long"),),
    ),
    Operation(
        "GetSenderNumbers",
        _CREDENTIALS,
        (Param("GetSenderNumbersResult", "ArrayOfstring"),),
    ),
)

OPERATION_NAMES = frozenset(op.name for op in OPERATIONS)

# MessageInfo, a WCF DataContract: members in ordinal (alphabetical) order, each with its
# type; enum types are named "<namespace key>:<type>" and serialised by member name.
MESSAGE_INFO_FIELDS: tuple[tuple[str, str], ...] = (
    ("ActionDateTime", "dateTime"),
    ("Content", "string"),
    ("Cost", "decimal"),
    ("Count", "int"),
    ("Desc", "string"),
    ("Flash", "boolean"),
    ("IsRead", "boolean"),
    ("Lang", "common:SMSLang"),
    ("MessageId", "int"),
    ("MessageType", "domain:SMSDirectionType"),
    ("MoneyIsRefunded", "boolean"),
    ("NotSent", "int"),
    ("Pages", "int"),
    ("Receiver", "string"),
    ("SendMethod", "domain:SMSSendMethod"),
    ("SendStatus", "domain:SMSSendStatus"),
    ("Sender", "string"),
    ("Sent", "int"),
    ("Status", "domain:SMSStatus"),
    ("Tariff", "decimal"),
    ("Title", "string"),
    ("UserId", "int"),
)

# The enums' members and the numbers the REST twin sends for them (its JSON carries numbers).
SMS_LANG = {"None": -10, "Fa": 1, "En": 2}
SMS_DIRECTION = {"None": -10, "In": 1, "Out": 2, "Schedule": 3, "Usance": 4}
SMS_SEND_STATUS = {"None": -10, "Sent": 1, "Error": 2, "BlockList": 3}
SMS_STATUS = {
    "None": -10,
    "Pending": 1,
    "Illegal": 2,
    "Sending": 3,
    "NotApproved": 4,
    "Sent": 5,
    "Canceled": 6,
    "Error": 7,
    "NoCredit": 8,
    "NotSent": 9,
    "WaitForSend": 10,
    "PendingDecCost": 11,
    "InQueue": 12,
}
SMS_SEND_METHOD = {
    "None": -10,
    "Quick": 1,
    "Test": 2,
    "Regional": 3,
    "Group": 4,
    "WebService": 5,
    "Announcement": 6,
    "Secretary": 7,
    "IntelligentSend": 8,
    "CorrespondingSend": 9,
    "CodeReader": 10,
    "Poll": 11,
    "Transfer": 12,
    "Reply": 13,
    "PhoneBook": 14,
    "PostalCode": 15,
    "SmsEvent": 16,
    "IntelligentSecretary": 17,
    "AddToPhoneBook": 18,
    "InstantSms": 19,
    "ScheduleSms": 20,
    "UsanceSms": 21,
}
ENUMS: dict[str, dict[str, int]] = {
    "common:SMSLang": SMS_LANG,
    "domain:SMSDirectionType": SMS_DIRECTION,
    "domain:SMSSendMethod": SMS_SEND_METHOD,
    "domain:SMSSendStatus": SMS_SEND_STATUS,
    "domain:SMSStatus": SMS_STATUS,
}
