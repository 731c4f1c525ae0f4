"""Seed data of the eSMS simulator: one demo account, two OAs, ZNS templates, CSKH brandnames.

These ids are a contract: other tests and the demo use them, keep them stable.

Account   ApiKey ``DEMO_API_KEY`` / SecretKey ``DEMO_SECRET_KEY``, UserID 9999,
          balance 1,000,000,000 VND.
OA        ``4097311281936189049`` "ZNS Demo Shop" (active, daily quota 100,000)
OA        ``1234567890123456789`` "ZNS Shop Ngung Hoat Dong" (linked but inactive -> 799)
ZNS templates configured for the demo OA (positional Params in this order):
  205644  OTP:                  otp (text <=10)
  210001  order confirmation:   customer_name (text <=30), order_code (text <=30),
                                order_date (date dd/MM/yyyy), amount (number <=12)
  210002  birthday greeting:    customer_name (text <=30), voucher_code (text <=20),
                                expiry_date (date)
  210003  payment reminder:     customer_name (text <=30), contract_no (text <=30),
                                amount (number), due_date (date)
  299999  exists in the catalogue but is NOT configured for the OA -> 789
  300001  the same order confirmation under the id the product's demo data uses
A number param is digits only and at most 12 of them, whatever its Limit.
Brandnames (CSKH, Type 2) and their templates (GetTemplate rows: TempId = id * 10 + NetworkID):
  Baotrixemay  458   "{P1,8} la ma xac minh dang ky Baotrixemay cua ban"
  ZNSDEMO      9101  "Chao {P1,30}, don hang {P2,20} tri gia {P3,12} VND da duoc xac nhan.
                      Cam on quy khach."  (one line; wrapped here)
               9102  "Chuc mung sinh nhat {P1,30}! ZNSDEMO tang ban ma giam gia {P2,20}."
               9103  "Kinh gui {P1,30}, hop dong {P2,30} can thanh toan {P3,12} VND truoc
                      ngay {P4,10}."  (one line; wrapped here)
               9104  "Ma xac thuc ZNSDEMO cua ban la {P1,10}"
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from esms_sim.models import Brandname, ParamType, SmsTemplate, ZnsParam, ZnsTemplate

DEMO_API_KEY = "DEMO_API_KEY"
DEMO_SECRET_KEY = "DEMO_SECRET_KEY"
DEMO_USER_ID = 9999
DEMO_BALANCE = 1_000_000_000.0
DEMO_OA_ID = "4097311281936189049"
DEMO_OA_NAME = "ZNS Demo Shop"
INACTIVE_OA_ID = "1234567890123456789"
OTP_TEMPLATE_ID = "205644"
ORDER_TEMPLATE_ID = "210001"
DEMO_ORDER_TEMPLATE_ID = "300001"
BIRTHDAY_TEMPLATE_ID = "210002"
REMINDER_TEMPLATE_ID = "210003"
UNCONFIGURED_TEMPLATE_ID = "299999"
DEMO_BRANDNAME = "Baotrixemay"
SHOP_BRANDNAME = "ZNSDEMO"
DEFAULT_DAILY_QUOTA = 100_000
NETWORK_IDS = (1, 2, 3, 4, 5, 6, 7)


@dataclass(slots=True)
class OaSeed:
    """A Zalo OA linked to the account; `templates` are the ones configured for it."""

    oa_id: str
    name: str
    active: bool
    daily_quota: int
    templates: dict[str, ZnsTemplate] = field(default_factory=dict)


@dataclass(slots=True)
class AccountSeed:
    """An eSMS account: credentials, wallet, linked OAs and registered brandnames."""

    api_key: str
    secret_key: str
    user_id: int
    balance: float
    oas: dict[str, OaSeed] = field(default_factory=dict)
    brandnames: dict[str, Brandname] = field(default_factory=dict)
    sms_templates: dict[str, list[SmsTemplate]] = field(default_factory=dict)


def _p(name: str, order: int, kind: ParamType, max_length: int) -> ZnsParam:
    return ZnsParam(name=name, order=order, type=kind, max_length=max_length)


T, N, D = ParamType.TEXT, ParamType.NUMBER, ParamType.DATE


def _zns_templates(oa_id: str) -> list[ZnsTemplate]:
    return [
        ZnsTemplate(
            template_id=OTP_TEMPLATE_ID, oa_id=oa_id, name="OTP xac thuc", tag="OTP", price=300,
            content="<p>Ma xac thuc cua ban la <b>{{otp}}</b>. Khong chia se ma nay.</p>",
            params=(_p("otp", 1, T, 10),),
        ),
        ZnsTemplate(
            template_id=ORDER_TEMPLATE_ID, oa_id=oa_id, name="Xac nhan don hang",
            tag="TRANSACTION", price=300,
            content=("Chao {{customer_name}}, don hang {{order_code}} ngay {{order_date}} "
                     "tri gia {{amount}} VND da duoc xac nhan."),
            params=(_p("customer_name", 1, T, 30), _p("order_code", 2, T, 30),
                    _p("order_date", 3, D, 10), _p("amount", 4, N, 12)),
        ),
        ZnsTemplate(
            template_id=BIRTHDAY_TEMPLATE_ID, oa_id=oa_id, name="Chuc mung sinh nhat",
            tag="CUSTOMER_CARE", price=300,
            content=("Chuc mung sinh nhat {{customer_name}}! Ma qua tang {{voucher_code}} "
                     "co han den {{expiry_date}}."),
            params=(_p("customer_name", 1, T, 30), _p("voucher_code", 2, T, 20),
                    _p("expiry_date", 3, D, 10)),
        ),
        ZnsTemplate(
            template_id=REMINDER_TEMPLATE_ID, oa_id=oa_id, name="Nhac thanh toan",
            tag="CUSTOMER_CARE", price=300,
            content=("Kinh gui {{customer_name}}, hop dong {{contract_no}} can thanh toan "
                     "{{amount}} VND truoc ngay {{due_date}}."),
            params=(_p("customer_name", 1, T, 30), _p("contract_no", 2, T, 30),
                    _p("amount", 3, N, 12), _p("due_date", 4, D, 10)),
        ),
    ]


# Templates that exist in the catalogue (GetZnsTemplateInfo can name them) but no OA has.
UNCONFIGURED_TEMPLATES: dict[str, ZnsTemplate] = {
    UNCONFIGURED_TEMPLATE_ID: ZnsTemplate(
        template_id=UNCONFIGURED_TEMPLATE_ID, oa_id="", name="Khuyen mai (chua cau hinh)",
        tag="PROMOTION", price=300, status="PENDING_REVIEW",
        content="Uu dai {{discount}} danh cho {{customer_name}}",
        params=(_p("discount", 1, T, 10), _p("customer_name", 2, T, 30)),
    ),
}

CSKH_TEMPLATES: list[SmsTemplate] = [
    SmsTemplate("458", DEMO_BRANDNAME, "{P1,8} la ma xac minh dang ky Baotrixemay cua ban"),
    SmsTemplate(
        "9101", SHOP_BRANDNAME,
        "Chao {P1,30}, don hang {P2,20} tri gia {P3,12} VND da duoc xac nhan. Cam on quy khach.",
    ),
    SmsTemplate("9102", SHOP_BRANDNAME,
                "Chuc mung sinh nhat {P1,30}! ZNSDEMO tang ban ma giam gia {P2,20}."),
    SmsTemplate(
        "9103", SHOP_BRANDNAME,
        "Kinh gui {P1,30}, hop dong {P2,30} can thanh toan {P3,12} VND truoc ngay {P4,10}.",
    ),
    SmsTemplate("9104", SHOP_BRANDNAME, "Ma xac thuc ZNSDEMO cua ban la {P1,10}"),
]


def build_accounts() -> dict[str, AccountSeed]:
    """Fresh, mutable seed accounts keyed by ApiKey (a reset rebuilds them)."""
    demo_oa = OaSeed(DEMO_OA_ID, DEMO_OA_NAME, True, DEFAULT_DAILY_QUOTA,
                     {t.template_id: t for t in _zns_templates(DEMO_OA_ID)})
    order = demo_oa.templates[ORDER_TEMPLATE_ID]
    demo_oa.templates[DEMO_ORDER_TEMPLATE_ID] = replace(order, template_id=DEMO_ORDER_TEMPLATE_ID)
    inactive = OaSeed(INACTIVE_OA_ID, "ZNS Shop Ngung Hoat Dong", False, DEFAULT_DAILY_QUOTA,
                      {t.template_id: t for t in _zns_templates(INACTIVE_OA_ID)})
    account = AccountSeed(
        DEMO_API_KEY, DEMO_SECRET_KEY, DEMO_USER_ID, DEMO_BALANCE,
        oas={demo_oa.oa_id: demo_oa, inactive.oa_id: inactive},
        brandnames={b: Brandname(name=b, type=2) for b in (DEMO_BRANDNAME, SHOP_BRANDNAME)},
    )
    for template in CSKH_TEMPLATES:
        account.sms_templates.setdefault(template.brandname, []).append(template)
    return {account.api_key: account}
