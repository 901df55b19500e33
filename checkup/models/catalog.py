"""The exam catalog: departments (stations), limited resources, items, reference ranges, packages, and the
order rules between stations that the floor follows."""

from peewee import BooleanField, CharField, Check, DecimalField, ForeignKeyField, IntegerField, TextField

from checkup.models.base import BaseModel

RESULT_TYPES = ("numeric", "text", "choice")
PACKAGE_SEXES = ("any", "male", "female")
# Specimen containers, by the code printed on their labels (``<exam code>-<container code>``); physical and
# imaging items take none (""). Names and colours are translated in services/catalog/containers.py.
CONTAINER_CODES = ("EDTA", "SST", "RED", "CIT", "FLU", "HEP", "URINE", "STOOL")


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
    # the specimen container the item is drawn into (one of CONTAINER_CODES), "" for none
    container = CharField(max_length=10, default="")
    # where the client goes for it, when not its department's own room (lab panels: the blood-draw room)
    station = ForeignKeyField(Department, null=True, backref="station_items", on_delete="RESTRICT")
    # must be done fasting: its station comes before breakfast on the guide sheet
    fasting = BooleanField(default=False)
    sex = CharField(max_length=6, default="any")
    age_min = IntegerField(default=0)
    age_max = IntegerField(default=120)
    loinc = CharField(max_length=12, default="")  # the LOINC code an outside lab sends, "" for local-only items

    @property
    def station_id_or_department(self):
        """The station the client goes to for this item: its own station, else its department."""
        return self.station_id or self.department_id

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


class StationOrderRule(BaseModel):
    """On the floor, ``before`` comes before ``after`` when a client has both (abdominal ultrasound before
    gastroscopy: the scope fills the stomach with air)."""

    before = ForeignKeyField(Department, backref="order_rules_before", on_delete="CASCADE")
    after = ForeignKeyField(Department, backref="order_rules_after", on_delete="CASCADE")
    note_en = CharField(max_length=200, default="")
    note_zh = CharField(max_length=200, default="")

    class Meta:
        indexes = ((("before", "after"), True),)
        constraints = [Check("before_id <> after_id")]
