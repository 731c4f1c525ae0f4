"""The simulator's own result-code table (docs/esms-api.md §5), for the codes it emits.

Kept apart from the product's `esms.codes` on purpose: the simulator models the gateway, so a
wrong entry in the product's table shows up as a failing test instead of being shared.
"""

from __future__ import annotations

# eSMS CodeResult / CodeResponse values the simulator answers with (§9.1).
OK = "100"
AUTH_FAILED = "101"
NO_BALANCE = "103"
NO_BRANDNAME = "104"
NOT_FOUND = "105"
BAD_PHONE = "108"
BAD_DATA = "110"
UNSUPPORTED_TYPE = "118"
DUPLICATE = "124"
WRONG_CSKH_TEMPLATE = "146"
TPS_EXCEEDED = "160"
MISSING_TYPE = "300"
TOO_MANY_ITEMS = "687"
TEMPLATE_NOT_CONFIGURED = "789"
WRONG_ZNS_DATA = "790"
MISSING_OA_OR_TEMPLATE = "791"
OA_INACTIVE = "799"
MISSING_ID = "851"
NO_DATA = "854"
# eSMS-side delivery result in ErrorInfo / error_info (§9.2).
NOT_ONLINE = "1001"

# ErrorMessage texts: verbatim where the vendor docs show one, else the meaning given in §9.1.
ESMS_MESSAGES: dict[str, str] = {
    AUTH_FAILED: "Authorize Failed",
    NO_BALANCE: "Insufficient balance",
    NO_BRANDNAME: "Brand name code is not exist",
    NOT_FOUND: "Message not found",
    BAD_PHONE: "Invalid phone number",
    BAD_DATA: "Request data is invalid",
    UNSUPPORTED_TYPE: "Message type is not supported",
    DUPLICATE: "Request exist 1",
    WRONG_CSKH_TEMPLATE: "Sai template Brandname CSKH",
    TPS_EXCEEDED: "TPS limit exceeded",
    MISSING_TYPE: "Missing message type",
    TOO_MANY_ITEMS: "Each request has at most 500 items",
    TEMPLATE_NOT_CONFIGURED: "TemplateId is not config",
    WRONG_ZNS_DATA: "Data does not fit the ZNS template",
    MISSING_OA_OR_TEMPLATE: "Missing OAID or TempID",
    OA_INACTIVE: "OAID is inactive, wrong or not linked to the account",
    MISSING_ID: "Missing MessageId or SMSID",
    NO_DATA: "No data found",
}

# Zalo `error` values the simulated deliveries end with, and their messages (§8, §10.6).
ZALO_MESSAGES: dict[int, str] = {
    0: "Success",
    -100: "Unknown error",
    -112: "Template data invalid",
    -114: ("User is inactive, or reject the message, or using an outdated Zalo version, "
           "or other internal errors"),
    -118: "Zalo account not existed",
    -139: "User refused to receive this ZNS type",
    -144: "OA exceeded its daily quota",
}
NOT_ONLINE_MESSAGE = "User did not come online within the allowed time"


def message(code: str) -> str:
    """ErrorMessage of an eSMS code the simulator emits (a code it never emits has a stub)."""
    return ESMS_MESSAGES.get(code, f"Error {code}")


def zalo_error_message(error_info: str) -> str:
    """Message of a ZNS ErrorInfo ("0", "-118", "1001", ...) for the callback's error_info."""
    if error_info == NOT_ONLINE:
        return NOT_ONLINE_MESSAGE
    try:
        return ZALO_MESSAGES.get(int(error_info), "Unknown error")
    except ValueError:
        return "Unknown error"
