"""SMPP 3.4 command ids and command_status values, and which statuses are worth a retry.

The status table is section 5.1.3 of SMPP 3.4 plus the SMPP 5.0 additions (0x100-0x112) that
3.4 SMSCs commonly return (ESME_RINVDCS among them). Values 0x400-0x4FF are vendor specific and
are not enum members; code that receives a status keeps it as a plain ``int``.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

RESPONSE_BIT = 0x80000000


class CommandId(IntEnum):
    """command_id values (SMPP 3.4 table 5-1); a response is its request with bit 31 set."""

    GENERIC_NACK = 0x80000000
    BIND_RECEIVER = 0x00000001
    BIND_RECEIVER_RESP = 0x80000001
    BIND_TRANSMITTER = 0x00000002
    BIND_TRANSMITTER_RESP = 0x80000002
    QUERY_SM = 0x00000003
    QUERY_SM_RESP = 0x80000003
    SUBMIT_SM = 0x00000004
    SUBMIT_SM_RESP = 0x80000004
    DELIVER_SM = 0x00000005
    DELIVER_SM_RESP = 0x80000005
    UNBIND = 0x00000006
    UNBIND_RESP = 0x80000006
    REPLACE_SM = 0x00000007
    REPLACE_SM_RESP = 0x80000007
    CANCEL_SM = 0x00000008
    CANCEL_SM_RESP = 0x80000008
    BIND_TRANSCEIVER = 0x00000009
    BIND_TRANSCEIVER_RESP = 0x80000009
    OUTBIND = 0x0000000B
    ENQUIRE_LINK = 0x00000015
    ENQUIRE_LINK_RESP = 0x80000015
    SUBMIT_MULTI = 0x00000021
    SUBMIT_MULTI_RESP = 0x80000021
    ALERT_NOTIFICATION = 0x00000102
    DATA_SM = 0x00000103
    DATA_SM_RESP = 0x80000103


class CommandStatus(IntEnum):
    """command_status values (SMPP 3.4 table 5-2, with the SMPP 5.0 additions)."""

    ESME_ROK = 0x00000000
    ESME_RINVMSGLEN = 0x00000001
    ESME_RINVCMDLEN = 0x00000002
    ESME_RINVCMDID = 0x00000003
    ESME_RINVBNDSTS = 0x00000004
    ESME_RALYBND = 0x00000005
    ESME_RINVPRTFLG = 0x00000006
    ESME_RINVREGDLVFLG = 0x00000007
    ESME_RSYSERR = 0x00000008
    ESME_RINVSRCADR = 0x0000000A
    ESME_RINVDSTADR = 0x0000000B
    ESME_RINVMSGID = 0x0000000C
    ESME_RBINDFAIL = 0x0000000D
    ESME_RINVPASWD = 0x0000000E
    ESME_RINVSYSID = 0x0000000F
    ESME_RCANCELFAIL = 0x00000011
    ESME_RREPLACEFAIL = 0x00000013
    ESME_RMSGQFUL = 0x00000014
    ESME_RINVSERTYP = 0x00000015
    ESME_RINVNUMDESTS = 0x00000033
    ESME_RINVDLNAME = 0x00000034
    ESME_RINVDESTFLAG = 0x00000040
    ESME_RINVSUBREP = 0x00000042
    ESME_RINVESMCLASS = 0x00000043
    ESME_RCNTSUBDL = 0x00000044
    ESME_RSUBMITFAIL = 0x00000045
    ESME_RINVSRCTON = 0x00000048
    ESME_RINVSRCNPI = 0x00000049
    ESME_RINVDSTTON = 0x00000050
    ESME_RINVDSTNPI = 0x00000051
    ESME_RINVSYSTYP = 0x00000053
    ESME_RINVREPFLAG = 0x00000054
    ESME_RINVNUMMSGS = 0x00000055
    ESME_RTHROTTLED = 0x00000058
    ESME_RINVSCHED = 0x00000061
    ESME_RINVEXPIRY = 0x00000062
    ESME_RINVDFTMSGID = 0x00000063
    ESME_RX_T_APPN = 0x00000064
    ESME_RX_P_APPN = 0x00000065
    ESME_RX_R_APPN = 0x00000066
    ESME_RQUERYFAIL = 0x00000067
    ESME_RINVOPTPARSTREAM = 0x000000C0
    ESME_ROPTPARNOTALLWD = 0x000000C1
    ESME_RINVPARLEN = 0x000000C2
    ESME_RMISSINGOPTPARAM = 0x000000C3
    ESME_RINVOPTPARAMVAL = 0x000000C4
    ESME_RDELIVERYFAILURE = 0x000000FE
    ESME_RUNKNOWNERR = 0x000000FF
    # SMPP 5.0 additions, seen in the wild on 3.4 links.
    ESME_RSERTYPUNAUTH = 0x00000100
    ESME_RPROHIBITED = 0x00000101
    ESME_RSERTYPUNAVAIL = 0x00000102
    ESME_RSERTYPDENIED = 0x00000103
    ESME_RINVDCS = 0x00000104
    ESME_RINVSRCADDRSUBUNIT = 0x00000105
    ESME_RINVDSTADDRSUBUNIT = 0x00000106
    ESME_RINVBCASTFREQINT = 0x00000107
    ESME_RINVBCASTALIAS_NAME = 0x00000108
    ESME_RINVBCASTAREAFMT = 0x00000109
    ESME_RINVNUMBCAST_AREAS = 0x0000010A
    ESME_RINVBCASTCNTTYPE = 0x0000010B
    ESME_RINVBCASTMSGCLASS = 0x0000010C
    ESME_RBCASTFAIL = 0x0000010D
    ESME_RBCASTQUERYFAIL = 0x0000010E
    ESME_RBCASTCANCELFAIL = 0x0000010F
    ESME_RINVBCAST_REP = 0x00000110
    ESME_RINVBCASTSRVGRP = 0x00000111
    ESME_RINVBCASTCHANIND = 0x00000112


class StatusClass(StrEnum):
    """What a command_status means for the message that received it."""

    OK = "ok"
    TEMPORARY = "temporary"  # the same message may succeed later: retry it
    PERMANENT = "permanent"  # retrying the same message will fail again


# Statuses about the SMSC's load or state rather than the message itself. Everything else that is
# not ESME_ROK (vendor specific codes included) is permanent: an unknown refusal is not retried.
TEMPORARY_STATUSES: frozenset[int] = frozenset(
    {
        CommandStatus.ESME_RINVBNDSTS,  # our link was not bound: another link may take it
        CommandStatus.ESME_RSYSERR,
        CommandStatus.ESME_RMSGQFUL,
        CommandStatus.ESME_RTHROTTLED,
        CommandStatus.ESME_RX_T_APPN,
        CommandStatus.ESME_RSERTYPUNAVAIL,
    }
)


def classify_status(command_status: int) -> StatusClass:
    """Say whether ``command_status`` is success, worth a retry, or final."""
    if command_status == 0:
        return StatusClass.OK
    if command_status in TEMPORARY_STATUSES:
        return StatusClass.TEMPORARY
    return StatusClass.PERMANENT


def is_temporary(command_status: int) -> bool:
    """True when the status reports a passing condition (throttling, full queue, ...)."""
    return command_status in TEMPORARY_STATUSES


def status_name(command_status: int) -> str:
    """The ESME_* name of a status for logs, or its hex value when it has none."""
    try:
        return CommandStatus(command_status).name
    except ValueError:
        return f"0x{command_status:08X}"


def command_name(command_id: int) -> str:
    """The lower-case SMPP name of a command id (``submit_sm``), or its hex value."""
    try:
        return CommandId(command_id).name.lower()
    except ValueError:
        return f"0x{command_id:08X}"
