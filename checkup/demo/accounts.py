"""The demo's sign-in accounts (one per role) and its demo client, as the README lists them."""

import datetime

from checkup.models.accounts import ADMIN, CHIEF, COUNSELOR, HR, PHYSICIAN, SCHEDULER

DEMO_PASSWORD = "checkup-demo"
ACCOUNTS = [
    ("admin@demo.test", "陈静", [ADMIN]),
    ("scheduler@demo.test", "钱佳怡", [SCHEDULER]),
    ("physician@demo.test", "孙立华", [PHYSICIAN]),
    # the chief physician (主检医师) is a physician too: she may open stations and the reports' PDFs
    ("chief@demo.test", "郑慧敏", [CHIEF, PHYSICIAN]),
    ("counselor@demo.test", "周晓梅", [COUNSELOR]),
    ("hr@acme.demo.test", "刘芳", [HR]),
]
DEMO_CLIENT = dict(
    email="client@demo.test",
    name="林晓",
    sex="female",
    birth_date=datetime.date(1988, 5, 20),
    phone="13900139000",
    national_id="110105198805200026",
)
