"""The exam catalog: departments (stations), limited resources, items, reference ranges, packages."""

from peewee import BooleanField, CharField, Check, DecimalField, ForeignKeyField, IntegerField, TextField

from checkup.models.base import BaseModel

RESULT_TYPES = ("numeric", "text", "choice")
PACKAGE_SEXES = ("any", "male", "female")


class Department(BaseModel):
    code = CharField(max_length=20, unique=True)
    name_en = CharField(max_length=100)
    name_zh = CharField(max_length=100, default="")
    sort_order = IntegerField(default=0)


class Resource(BaseModel):
    """A limited resource (CT, gastroscopy, ...) with a default daily capacity."""

    code = CharField(max_length=20, unique=True)
    name_en = CharField(max_length=100)
    name_zh = CharField(max_length=100, default="")
    daily_capacity = IntegerField(constraints=[Check("daily_capacity >= 0")])
    active = BooleanField(default=True)


class ExamItem(BaseModel):
    code = CharField(max_length=20, unique=True)
    name_en = CharField(max_length=120)
    name_zh = CharField(max_length=120, default="")
    department = ForeignKeyField(Department, backref="items", on_delete="RESTRICT")
    unit = CharField(max_length=30, default="")
    result_type = CharField(max_length=10, default="numeric")
    choices = CharField(max_length=300, default="")
    price = DecimalField(max_digits=10, decimal_places=2, constraints=[Check("price >= 0")])
    prep_note_en = CharField(max_length=300, default="")
    prep_note_zh = CharField(max_length=300, default="")
    resource = ForeignKeyField(Resource, null=True, backref="items", on_delete="RESTRICT")
    active = BooleanField(default=True)

    @property
    def choice_list(self):
        return [c for c in (s.strip() for s in self.choices.split("|")) if c]


class ReferenceRange(BaseModel):
    item = ForeignKeyField(ExamItem, backref="ranges", on_delete="CASCADE")
    sex = CharField(max_length=6, default="any")
    age_min = IntegerField(default=0)
    age_max = IntegerField(default=120)
    low = DecimalField(max_digits=12, decimal_places=4, null=True)
    high = DecimalField(max_digits=12, decimal_places=4, null=True)
    critical_low = DecimalField(max_digits=12, decimal_places=4, null=True)
    critical_high = DecimalField(max_digits=12, decimal_places=4, null=True)

    class Meta:
        constraints = [
            Check("age_min <= age_max"),
            Check("low IS NULL OR high IS NULL OR low <= high"),
        ]


class Package(BaseModel):
    code = CharField(max_length=20, unique=True)
    name_en = CharField(max_length=120)
    name_zh = CharField(max_length=120, default="")
    description_en = TextField(default="")
    description_zh = TextField(default="")
    sex = CharField(max_length=6, default="any")
    age_min = IntegerField(default=0)
    age_max = IntegerField(default=120)
    price = DecimalField(max_digits=10, decimal_places=2, constraints=[Check("price >= 0")])
    active = BooleanField(default=True)


class PackageItem(BaseModel):
    package = ForeignKeyField(Package, backref="package_items", on_delete="CASCADE")
    item = ForeignKeyField(ExamItem, backref="package_items", on_delete="RESTRICT")

    class Meta:
        indexes = ((("package", "item"), True),)
