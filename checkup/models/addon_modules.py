"""Add-on modules: what a client may buy on top of a package (a thyroid panel, tumour markers for women, a
gastroscopy), each a priced set of exam items with its own eligible sex and age; and the modules an
appointment bought, with the price paid."""

from peewee import BooleanField, CharField, Check, DecimalField, ForeignKeyField, IntegerField, TextField

from checkup.models.appointments import Appointment
from checkup.models.base import BaseModel
from checkup.models.catalog import ExamItem


class AddonModule(BaseModel):
    code = CharField(max_length=20, unique=True)
    name_en = CharField(max_length=120)
    name_zh = CharField(max_length=120, default="")
    description_en = TextField(default="")
    description_zh = TextField(default="")
    sex = CharField(max_length=6, default="any")
    age_min = IntegerField(default=0)
    age_max = IntegerField(default=120)
    price = DecimalField(max_digits=10, decimal_places=2, constraints=[Check("price >= 0")])
    sort_order = IntegerField(default=0)
    active = BooleanField(default=True)

    class Meta:
        constraints = [Check("age_min <= age_max")]


class AddonModuleItem(BaseModel):
    module = ForeignKeyField(AddonModule, backref="module_items", on_delete="CASCADE")
    item = ForeignKeyField(ExamItem, backref="module_items", on_delete="RESTRICT")

    class Meta:
        indexes = ((("module", "item"), True),)


class AppointmentAddon(BaseModel):
    """A module an appointment bought, at the price charged (its items are AppointmentItem rows with
    ``is_addon``; their prices add up to this one)."""

    appointment = ForeignKeyField(Appointment, backref="addons", on_delete="CASCADE")
    module = ForeignKeyField(AddonModule, backref="appointment_addons", on_delete="RESTRICT")
    price = DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        indexes = ((("appointment", "module"), True),)
