"""Named values of SMPP 3.4 mandatory fields: TON, NPI, esm_class, registered_delivery, ..."""

from __future__ import annotations

from enum import IntEnum, IntFlag

INTERFACE_VERSION = 0x34


class Ton(IntEnum):
    """Type of number (source_addr_ton, dest_addr_ton, addr_ton)."""

    UNKNOWN = 0
    INTERNATIONAL = 1
    NATIONAL = 2
    NETWORK_SPECIFIC = 3
    SUBSCRIBER_NUMBER = 4
    ALPHANUMERIC = 5
    ABBREVIATED = 6


class Npi(IntEnum):
    """Numbering plan indicator."""

    UNKNOWN = 0
    ISDN = 1  # E.163/E.164
    DATA = 3  # X.121
    TELEX = 4  # F.69
    LAND_MOBILE = 6  # E.212
    NATIONAL = 8
    PRIVATE = 9
    ERMES = 10
    INTERNET = 14  # IP
    WAP_CLIENT_ID = 18


class EsmClass(IntFlag):
    """Bits of esm_class. Bits 0-1 messaging mode, 2-5 message type, 6-7 GSM features."""

    DEFAULT = 0x00
    DATAGRAM_MODE = 0x01
    FORWARD_MODE = 0x02
    STORE_AND_FORWARD_MODE = 0x03
    SMSC_DELIVERY_RECEIPT = 0x04  # deliver_sm: the short message is a delivery receipt
    SME_DELIVERY_ACK = 0x08
    SME_MANUAL_ACK = 0x10
    CONVERSATION_ABORT = 0x18
    INTERMEDIATE_DELIVERY_NOTIFICATION = 0x20
    UDHI = 0x40  # the short message starts with a user data header
    REPLY_PATH = 0x80


ESM_CLASS_TYPE_MASK = 0x3C


class RegisteredDelivery(IntFlag):
    """Bits of registered_delivery."""

    NONE = 0x00
    RECEIPT_ALWAYS = 0x01  # receipt on success or failure
    RECEIPT_ON_FAILURE = 0x02
    SME_ACK_DELIVERY = 0x04
    SME_ACK_MANUAL = 0x08
    INTERMEDIATE_NOTIFICATION = 0x10


class DataCoding(IntEnum):
    """Common data_coding values."""

    SMSC_DEFAULT = 0x00  # usually GSM 03.38
    IA5 = 0x01
    BINARY_8BIT = 0x02
    LATIN_1 = 0x03
    BINARY = 0x04
    JIS = 0x05
    CYRILLIC = 0x06
    LATIN_HEBREW = 0x07
    UCS2 = 0x08
    PICTOGRAM = 0x09
    MUSIC_CODES = 0x0A
    EXTENDED_KANJI = 0x0D
    KS_C_5601 = 0x0E


class MessageState(IntEnum):
    """message_state values (query_sm_resp, the message_state TLV, receipts)."""

    ENROUTE = 1
    DELIVERED = 2
    EXPIRED = 3
    DELETED = 4
    UNDELIVERABLE = 5
    ACCEPTED = 6
    UNKNOWN = 7
    REJECTED = 8
