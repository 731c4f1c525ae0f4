"""The order-confirmation example used by tests, samples, benchmarks and the demo.

Mirrors the simulator's seed: ZNS template 300001 (a copy of 210001) on OA 4097311281936189049
and the CSKH fallback 9101 of brandname ZNSDEMO, plus the column mapping of
data/samples/customers.xlsx (the same as data/samples/campaign.yaml).
"""

from __future__ import annotations

from esms.models import ParamType, ZnsParam, ZnsTemplate
from esms.sms_templates import SmsTemplate

ORDER_TEMPLATE_ID = "300001"
DEMO_OA_ID = "4097311281936189049"
DEMO_BRANDNAME = "ZNSDEMO"
ORDER_SMS_TEMPLATE_ID = "9101"  # the simulator seeds the same text under this id
ORDER_SMS_CONTENT = (
    "Chao {P1,30}, don hang {P2,20} tri gia {P3,12} VND da duoc xac nhan. Cam on quy khach."
)

# Column names of the sample sheet (what a Vietnamese marketing team would type).
PHONE_COLUMN = "Số điện thoại"
ORDER_COLUMNS: dict[str, str] = {
    "customer_name": "Tên khách hàng",
    "order_code": "Mã đơn hàng",
    "order_date": "Ngày đặt",
    "amount": "Tổng tiền",
}
ORDER_SMS_COLUMNS: dict[str, str] = {
    "P1": "Tên khách hàng",
    "P2": "Mã đơn hàng",
    "P3": "Tổng tiền",
}


def order_confirmation_template() -> ZnsTemplate:
    """ZNS 300001: customer_name, order_code (text ≤30), order_date (date), amount (number ≤12)."""
    return ZnsTemplate(
        template_id=ORDER_TEMPLATE_ID,
        oa_id=DEMO_OA_ID,
        name="Xác nhận đơn hàng",
        content=(
            "Xin chào <customer_name>, đơn hàng <order_code> đặt ngày <order_date> "
            "trị giá <amount> VND đã được xác nhận."
        ),
        tag="TRANSACTION",
        params=(
            ZnsParam(name="customer_name", order=1, type=ParamType.TEXT, max_length=30),
            ZnsParam(name="order_code", order=2, type=ParamType.TEXT, max_length=30),
            ZnsParam(name="order_date", order=3, type=ParamType.DATE, max_length=10),
            ZnsParam(name="amount", order=4, type=ParamType.NUMBER, max_length=12),
        ),
    )


def order_confirmation_sms() -> SmsTemplate:
    """CSKH fallback of brandname ZNSDEMO for the same order confirmation."""
    return SmsTemplate(template_id=ORDER_SMS_TEMPLATE_ID, brandname=DEMO_BRANDNAME, content=ORDER_SMS_CONTENT)
