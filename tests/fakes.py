"""A tiny in-memory eSMS for `httpx.MockTransport`: the engine tests run without any server.

It records every request on the wire and models what the trust cases need: RequestId dedupe
(124), a bulk answer that leaves items out (processed or not), SMS sends, the sent-data window
and the per-message status lookups. Anything else answers 100 with an empty body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from esms import EsmsClient, RetryPolicy

FAST = RetryPolicy(attempts=2, base=0.001, cap=0.002)


@dataclass
class Sent:
    sms_id: str
    phone: str
    channel: str
    campaign: str
    request_id: str
    outcome: str = "0"  # ZNS ErrorInfo once final ("0" delivered, "-118" no Zalo ...)


@dataclass
class FakeGateway:
    omit: set[str] = field(default_factory=set)  # phones left out of the next bulk answer ...
    omit_processed: set[str] = field(default_factory=set)  # ... of which eSMS did process these
    omit_always: bool = False  # leave them out of every answer, not only the next one
    outcomes: dict[str, str] = field(default_factory=dict)  # phone -> ZNS ErrorInfo
    busy: dict[str, int] = field(default_factory=dict)  # phone -> SMS sends answered 160 first
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    by_request_id: dict[str, Sent] = field(default_factory=dict)

    def client(self, *, sandbox: bool = False) -> EsmsClient:
        return EsmsClient("K-FAKE-1234", "S-FAKE-5678", base_url="http://esms.test/MainService.svc/json/",
                          sandbox=sandbox, retry=FAST, transport=httpx.MockTransport(self.handle))

    def bodies(self, op: str) -> list[dict[str, Any]]:
        return [body for name, body in self.requests if name == op]

    def _store(self, phone: str, channel: str, campaign: str, request_id: str) -> tuple[str, str]:
        if request_id in self.by_request_id:
            return "124", ""
        sent = Sent(f"ID{len(self.by_request_id) + 1:06d}", phone, channel, campaign, request_id,
                    self.outcomes.get(phone, "0") if channel == "zns" else "0")
        self.by_request_id[request_id] = sent
        return "100", sent.sms_id

    def handle(self, request: httpx.Request) -> httpx.Response:
        op = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        body = json.loads(request.content) if request.content else dict(request.url.params)
        self.requests.append((op, body))
        handler = getattr(self, f"_{op.lower()}", None)
        data = handler(body) if handler else {"CodeResult": "100"}
        return httpx.Response(200, json=data)

    def _send_zns_bulk_v4_post_json(self, body: dict[str, Any]) -> dict[str, Any]:
        detail = []
        for item in body["Data"]:
            phone = item["Phone"]
            if phone in self.omit:
                if phone in self.omit_processed:
                    self._store(phone, "zns", body.get("campaignid", ""), item["RequestId"])
                continue
            code, sms_id = self._store(phone, "zns", body.get("campaignid", ""), item["RequestId"])
            detail.append({"CodeResult": code, "Phone": phone, **({"SMSID": sms_id} if sms_id else {})})
        if not self.omit_always:
            self.omit = set()
        return {"CodeResult": "100", "TotalSuccess": len(detail), "TotalFail": 0, "detail": detail}

    def _sendmultiplemessage_v4_post_json(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.busy.get(body["Phone"], 0) > 0:
            self.busy[body["Phone"]] -= 1
            return {"CodeResult": "160", "CountRegenerate": 0, "ErrorMessage": "TPS exceeded"}
        code, sms_id = self._store(body["Phone"], "sms", body.get("campaignid", ""), body["RequestId"])
        return {"CodeResult": code, "CountRegenerate": 0, **({"SMSID": sms_id} if sms_id else {})}

    def _getsmssentdata_v2(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = "sms" if body["SmsType"] == "2" else "zns"
        rows = [
            {"ReferenceId": s.sms_id, "Phone": s.phone, "Campaign": s.campaign, "SellPrice": "300",
             "SendResult": "1" if s.outcome == "0" else "0", "SendStatus": "5", "SmsType": body["SmsType"],
             "SentTime": "/Date(1764561600000+0700)/"}
            for s in self.by_request_id.values() if s.channel == channel
        ]
        return {"CodeResult": "100", "CountTotal": len(rows), "SentData": rows}

    def _queryznsstatus(self, body: dict[str, Any]) -> dict[str, Any]:
        sent = next(s for s in self.by_request_id.values() if s.sms_id == body["SmsId"])
        return {"CodeResult": "100", "Data": {"SMSID": sent.sms_id, "FinalStatus": "1", "ErrorInfo": sent.outcome,
                                               "SendStatus": 5, "TotalPrice": 0.0}}

    def _getsendstatus(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"CodeResponse": "100", "SMSID": body["RefId"], "SendStatus": 5, "SendSuccess": 1, "SendFailed": 0}
