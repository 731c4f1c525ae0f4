"""The one outcome policy: what each provider answer or status means, and the message's next state.

Every other part of the product (batch stats, ledger writes, the report, reconcile, the
fallback) asks this module instead of reading codes itself. The rules, in short:

- a send answer's class comes from the code table (`esms.codes`); 124 means our RequestId
  reached eSMS before (our RequestIds are deterministic), so it is an *accepted duplicate*;
- a missing or lost answer is never final: the message is `ambiguous` until a lookup
  (GetSmsSentData_V2) or a resend under the same RequestId settles it;
- a delivery status is final only with evidence: QueryZnsStatus FinalStatus 1 with an
  ErrorInfo, GetSendStatus SendStatus 4/5, or a GetSmsSentData_V2 row with SendResult 1
  (0 for SMS; a ZNS failure is asked again for its exact Zalo code);
- a ZNS refused "for now" (wait class: -133 night hours, -144/-147 today's quota) is not
  final and gets no fallback: the campaign postpones and resends it at the next opening under a
  new RequestId (`zns/campaign/waiting.py`);
- a row's final state follows from its messages (`decide`): ZNS delivered first, then SMS.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from esms._exceptions import EsmsConfigError, EsmsError, EsmsTransientError
from esms.codes import HTTP_ERROR, INVALID_REQUEST, TIMEOUT, CodeInfo, ResultClass, esms_code, zalo_code
from zns.outcomes import Channel, FinalState, MessageState

if TYPE_CHECKING:
    from esms import SentRecord
    from esms.models import SendStatus, ZnsStatus

DUPLICATE_CODE = "124"  # "Request exist": this RequestId was accepted by eSMS within 24 h
NO_ANSWER = "NO_ANSWER"  # a bulk answer that left this recipient out of its `detail`
# The recipient refused or blocked the OA's ZNS (docs/esms-api.md §5.2, meanings unconfirmed):
# later campaigns of the OA send such a phone no ZNS, only the SMS fallback (zns/campaign/suppression.py).
REFUSAL_CODES = frozenset({"-139", "-140", "-141"})
SUPPRESSED = CodeInfo("ZNS_SUPPRESSED", ResultClass.FALLBACK, "not sent: the recipient refused this OA's ZNS",
                      "Không gửi ZNS: người nhận đã từ chối ZNS của OA; gửi SMS dự phòng nếu có")
DELIVERED_INFO = "0"  # ErrorInfo of a delivered message

TRANSPORT_CODES: dict[str, CodeInfo] = {c.code: c for c in (HTTP_ERROR, TIMEOUT, INVALID_REQUEST)}

_STATE_OF_CLASS: dict[ResultClass, MessageState] = {
    ResultClass.ACCEPTED: MessageState.ACCEPTED,
    ResultClass.PERMANENT: MessageState.REJECTED,
    ResultClass.FALLBACK: MessageState.REJECTED,
    ResultClass.TRANSIENT: MessageState.AMBIGUOUS,
    ResultClass.CONFIG: MessageState.RELEASED,
    ResultClass.WAIT: MessageState.REJECTED,  # not final: zns/campaign/waiting.py reopens it later
}

# Message states after which eSMS has the message (it was accepted, maybe settled since).
SENT_STATES = frozenset({MessageState.ACCEPTED, MessageState.DELIVERED, MessageState.FAILED, MessageState.UNKNOWN})
# Final message states: nothing more will happen to the message.
FINAL_STATES = frozenset({MessageState.REJECTED, MessageState.DELIVERED, MessageState.FAILED})
# Not final yet: a sweep, a lookup or a resend under the same RequestId may still move them.
NON_FINAL_STATES = frozenset(
    {MessageState.CLAIMED, MessageState.ACCEPTED, MessageState.AMBIGUOUS, MessageState.UNKNOWN}
)
# A send that may not have reached eSMS: a re-run claims it again and resends it under the
# same RequestId (eSMS answers 124 if the first attempt did arrive).
RESENDABLE_STATES = frozenset({MessageState.CLAIMED, MessageState.AMBIGUOUS, MessageState.RELEASED})
# Delivery waits only for these.
AWAITING_STATES = frozenset({MessageState.ACCEPTED})
# A ZNS in one of these states with a fallback-class reason gets the SMS fallback.
FALLBACK_ZNS_STATES = frozenset({MessageState.REJECTED, MessageState.FAILED})


# -- sends ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """One send answer, classified: its class, the message's next state, and whether it was a 124."""

    code: str
    result_class: ResultClass
    state: MessageState
    duplicate: bool = False

    @property
    def accepted(self) -> bool:
        return self.state is MessageState.ACCEPTED

    @property
    def unanswered(self) -> bool:
        """No evidence either way: look it up or resend under the same RequestId."""
        return self.state is MessageState.AMBIGUOUS

    @property
    def waiting(self) -> bool:
        """Refused for now (night hours, today's quota): resent at the next opening."""
        return self.result_class is ResultClass.WAIT

    @property
    def stops_campaign(self) -> bool:
        return self.result_class is ResultClass.CONFIG

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def info(self) -> CodeInfo:
        return code_info(self.code)


def code_info(code: str | None) -> CodeInfo:
    """Table entry of a send/lookup code, transport codes and the missing answer included."""
    text = (code or "").strip()
    if not text or text == NO_ANSWER:
        return CodeInfo(NO_ANSWER, ResultClass.TRANSIENT, "no answer for this recipient",
                        "Chưa nhận được kết quả gửi từ eSMS")
    if text == SUPPRESSED.code:
        return SUPPRESSED
    return TRANSPORT_CODES.get(text) or esms_code(text)


def send_outcome(code: str | int | None, result_class: ResultClass | None = None) -> SendOutcome:
    """Classify one send answer; `result_class` overrides the table (product-side verdicts)."""
    text = "" if code is None else str(code).strip()
    if text == DUPLICATE_CODE:
        return SendOutcome(text, ResultClass.ACCEPTED, MessageState.ACCEPTED, duplicate=True)
    info = code_info(text)
    cls = result_class or info.result_class
    return SendOutcome(info.code if not text else text, cls, _STATE_OF_CLASS[cls])


def accepted_codes() -> frozenset[str]:
    """Send codes that mean "eSMS has the message" (for SQL counting)."""
    from esms.codes import ESMS_CODES

    return frozenset(c for c in ESMS_CODES if send_outcome(c).accepted)


def is_sent(code: str | int | None) -> bool:
    """Did this send answer put the message in eSMS's hands (100, or 124 = earlier attempt)?"""
    return code is not None and send_outcome(code).accepted


# -- delivery ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryUpdate:
    """A final (or deadline) delivery status for one accepted message."""

    phone: str
    state: MessageState  # DELIVERED, FAILED or UNKNOWN
    error_info: str | None = None  # Zalo error (e.g. -118) or eSMS 1001; "0" when delivered
    result_class: ResultClass | None = None
    price: float | None = None
    sms_id: str | None = None

    @classmethod
    def from_error_info(
        cls, phone: str, error_info: str | int, price: float | None = None, sms_id: str | None = None
    ) -> DeliveryUpdate:
        """A final ZNS ErrorInfo: "0" is delivered, anything else failed with its class."""
        text = str(error_info).strip()
        if text == DELIVERED_INFO:
            return cls(phone, MessageState.DELIVERED, text, ResultClass.ACCEPTED, price, sms_id)
        return cls(phone, MessageState.FAILED, text, zalo_code(text).result_class, price, sms_id)

    @property
    def fallback(self) -> bool:
        return self.state is MessageState.FAILED and self.result_class is ResultClass.FALLBACK


def zns_status_update(phone: str, sms_id: str | None, status: ZnsStatus | None) -> DeliveryUpdate | None:
    """QueryZnsStatus: final only with FinalStatus 1 and an ErrorInfo (None = not yet sent)."""
    if status is None or not status.final or status.error_info is None:
        return None
    return DeliveryUpdate.from_error_info(phone, status.error_info, price=status.total_price, sms_id=sms_id)


def sms_status_update(phone: str, sms_id: str | None, status: SendStatus | None) -> DeliveryUpdate | None:
    """GetSendStatus: SendStatus 5 with a success/failure count, or 4 (rejected)."""
    if status is None:
        return None
    if status.send_status == 5 and status.send_success:
        return DeliveryUpdate(phone, MessageState.DELIVERED, DELIVERED_INFO, ResultClass.ACCEPTED,
                              status.total_price, sms_id)
    if status.send_status == 4 or (status.send_status == 5 and status.send_failed):
        return DeliveryUpdate(phone, MessageState.FAILED, f"SendStatus{status.send_status}",
                              ResultClass.PERMANENT, 0.0, sms_id)
    return None


def window_update(channel: Channel, phone: str, sms_id: str | None, row: SentRecord | None) -> DeliveryUpdate | None:
    """A GetSmsSentData_V2 row: SendResult 1 is delivered; 0 is final for SMS only (a failed ZNS
    is asked again through QueryZnsStatus for its exact Zalo code, which decides the fallback)."""
    if row is None:
        return None
    if row.send_result == 1:
        return DeliveryUpdate(phone, MessageState.DELIVERED, DELIVERED_INFO, ResultClass.ACCEPTED, row.price, sms_id)
    if row.send_result == 0 and channel is Channel.SMS:
        return DeliveryUpdate(phone, MessageState.FAILED, "SendResult0", ResultClass.PERMANENT, 0.0, sms_id)
    return None


def needs_lookup(channel: Channel, row: SentRecord | None) -> bool:
    """Ask the per-message status API: the window did not list it, or a ZNS failed (for its code)."""
    return row is None or (channel is Channel.ZNS and row.send_result == 0)


# -- the row's final state -----------------------------------------------------------------


class MessageView(Protocol):
    """What `decide` reads of a stored message (zns.ledger.MessageRow)."""

    @property
    def channel(self) -> Channel: ...
    @property
    def state(self) -> MessageState: ...
    @property
    def code(self) -> str | None: ...
    @property
    def error_info(self) -> str | None: ...
    @property
    def result_class(self) -> ResultClass | None: ...


@dataclass(frozen=True, slots=True)
class Verdict:
    state: FinalState
    reason_code: str | None = None
    reason_vi: str | None = None
    channel: Channel | None = None


def is_fallback_reason(msg: MessageView) -> bool:
    """A ZNS that ended for a reason the SMS fallback is for (no Zalo, inactive, refused, 1001)."""
    return msg.state in FALLBACK_ZNS_STATES and msg.result_class is ResultClass.FALLBACK


def is_waiting(msg: MessageView) -> bool:
    """A ZNS Zalo refused for now (-133 at night, -144/-147 over today's quota): not final."""
    return msg.state in FALLBACK_ZNS_STATES and msg.result_class is ResultClass.WAIT


def failure_reason(msg: MessageView) -> tuple[str, str]:
    """Stable code and Vietnamese label of why a message did not arrive."""
    if msg.error_info not in (None, "", DELIVERED_INFO):
        info = zalo_code(msg.error_info or "")
        return info.code, info.vi
    info = code_info(msg.code)
    return info.code, info.vi


def _unknown(msg: MessageView) -> Verdict:
    """What was tried, for rows without a final answer."""
    label = "ZNS" if msg.channel is Channel.ZNS else "SMS"
    if msg.state in (MessageState.ACCEPTED, MessageState.UNKNOWN):
        vi = f"{label} đã được eSMS tiếp nhận ({msg.code}), chưa có trạng thái cuối"
        return Verdict(FinalState.UNKNOWN, "NO_FINAL_STATUS", vi, msg.channel)
    if msg.state is MessageState.AMBIGUOUS:
        code = msg.code or "AMBIGUOUS"
        vi = (f"Đã gửi {label} nhưng chưa rõ eSMS đã nhận hay chưa ({code}); "
              "chạy lại chiến dịch để gửi lại cùng RequestId")
        return Verdict(FinalState.UNKNOWN, code, vi, msg.channel)
    vi = f"{label} đã được giữ chỗ để gửi nhưng chưa ghi nhận kết quả; chạy lại chiến dịch để gửi tiếp"
    return Verdict(FinalState.UNKNOWN, "CLAIMED", vi, msg.channel)


def _from_last(msg: MessageView) -> Verdict:
    if msg.state in (MessageState.REJECTED, MessageState.FAILED, MessageState.RELEASED):
        code, vi = failure_reason(msg)
        return Verdict(FinalState.FAILED, code, vi, msg.channel)
    return _unknown(msg)


def decide(
    valid: bool,
    invalid_code: str | None,
    invalid_reason_vi: str | None,
    zns: MessageView | None,
    sms: MessageView | None,
    dry_run: bool = False,
    postponed: bool = False,
) -> Verdict:
    """Invalid, delivered (ZNS first), failed with the last reason, or unknown with what was tried.

    A valid row of a dry run was never meant to be sent: unknown "DRY_RUN", not failed; one a
    postponed campaign has not sent yet waits for its next run: unknown "POSTPONED"."""
    if not valid:
        return Verdict(FinalState.INVALID, invalid_code, invalid_reason_vi)
    if zns is not None and zns.state is MessageState.DELIVERED:
        return Verdict(FinalState.ZNS_DELIVERED, channel=Channel.ZNS)
    if sms is not None:
        if sms.state is MessageState.DELIVERED:
            code, vi = failure_reason(zns) if zns is not None else (None, None)
            return Verdict(FinalState.SMS_DELIVERED, code, vi, Channel.SMS)
        return _from_last(sms)
    if zns is None and dry_run:
        return Verdict(FinalState.UNKNOWN, "DRY_RUN", "Chạy thử: hợp lệ, không gửi tin (dry run)")
    if zns is None and postponed:
        return Verdict(FinalState.UNKNOWN, "POSTPONED", "Hoãn: gửi ở lần chạy tiếp theo của chiến dịch")
    if zns is None:
        return Verdict(FinalState.FAILED, "NOT_SENT", "Chưa gửi tin")
    if is_waiting(zns):
        code, vi = failure_reason(zns)
        return Verdict(FinalState.UNKNOWN, code, f"{vi}; gửi lại ZNS ở lần chạy tiếp theo của chiến dịch "
                       "(không gửi SMS dự phòng)", Channel.ZNS)
    verdict = _from_last(zns)
    if verdict.state is FinalState.FAILED and zns.result_class is ResultClass.FALLBACK:
        vi = f"{verdict.reason_vi}; không gửi SMS dự phòng"
        return Verdict(verdict.state, verdict.reason_code, vi, verdict.channel)
    return verdict


def states(values: Iterable[MessageState]) -> list[str]:
    """Stored spellings, sorted, for SQL IN lists."""
    return sorted(s.value for s in values)


def error_outcome(exc: EsmsError) -> SendOutcome:
    """A send that raised: no answer after retries is ambiguous; a config error stops the
    campaign (nothing was sent); a refused request is final with its code."""
    if isinstance(exc, EsmsConfigError):
        return send_outcome(exc.code, ResultClass.CONFIG)
    if isinstance(exc, EsmsTransientError):
        return send_outcome(exc.code or TIMEOUT.code, ResultClass.TRANSIENT)
    return send_outcome(exc.code or INVALID_REQUEST.code, ResultClass.PERMANENT)
