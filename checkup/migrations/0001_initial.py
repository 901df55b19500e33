"""Initial schema: accounts, directory, catalog, audit (frozen copy of the models of 2026-11-24)."""

from peewee import *


def up(migrator, db):
    class Organization(Model):
        name = CharField(unique=True, max_length=200)
        address = CharField(max_length=300, default="")
        phone = CharField(max_length=30, default="")
        fax = CharField(max_length=30, default="")
        website = CharField(max_length=200, default="")
        email = CharField(max_length=254, default="")
        manager = CharField(max_length=100, default="")
        business_scope = TextField(default="")
        employee_count = IntegerField(null=True)
        health_contact = CharField(max_length=100, default="")
        relationship_notes = TextField(default="")
        size_tier = CharField(max_length=10, default="medium")
        value_tier = CharField(max_length=10, default="general")
        account_manager = CharField(max_length=100, default="")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "organization"

    db.create_tables([Organization])

    class Client(Model):
        name = CharField(index=True, max_length=100)
        sex = CharField(max_length=6)
        birth_date = DateField()
        national_id_hash = CharField(unique=True, null=True, max_length=64)
        national_id_cipher = TextField(null=True)
        phone = CharField(index=True, max_length=30, default="")
        email = CharField(index=True, max_length=254, default="")
        address = CharField(max_length=300, default="")
        occupation = CharField(max_length=100, default="")
        notes = TextField(default="")
        organization = ForeignKeyField(Organization, null=True, on_delete="RESTRICT")
        employee_no = CharField(max_length=50, default="")
        department = CharField(max_length=100, default="")
        value_tier = CharField(max_length=10, default="general")
        tags = CharField(max_length=300, default="")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "client"

    db.create_tables([Client])

    class User(Model):
        email = CharField(unique=True, max_length=254)
        password_hash = CharField()
        name = CharField(max_length=100)
        phone = CharField(max_length=30, default="")
        locale = CharField(max_length=10, default="")
        is_active = BooleanField(default=True)
        organization = ForeignKeyField(Organization, null=True, on_delete="RESTRICT")
        client = ForeignKeyField(Client, unique=True, null=True, on_delete="RESTRICT")
        created_at = DateTimeField()
        last_login_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "user"

    db.create_tables([User])

    class AuditEvent(Model):
        at = DateTimeField(index=True)
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        action = CharField(index=True, max_length=60)
        object_type = CharField(max_length=40, default="")
        object_id = CharField(max_length=40, default="")
        ip = CharField(max_length=64, default="")
        detail = TextField(default="")

        class Meta:
            database = db
            table_name = "audit_event"

    db.create_tables([AuditEvent])

    class Department(Model):
        code = CharField(unique=True, max_length=20)
        name_en = CharField(max_length=100)
        name_zh = CharField(max_length=100, default="")
        sort_order = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "department"

    db.create_tables([Department])

    class Resource(Model):
        code = CharField(unique=True, max_length=20)
        name_en = CharField(max_length=100)
        name_zh = CharField(max_length=100, default="")
        daily_capacity = IntegerField(constraints=[Check("daily_capacity >= 0")])
        active = BooleanField(default=True)

        class Meta:
            database = db
            table_name = "resource"

    db.create_tables([Resource])

    class ExamItem(Model):
        code = CharField(unique=True, max_length=20)
        name_en = CharField(max_length=120)
        name_zh = CharField(max_length=120, default="")
        department = ForeignKeyField(Department, on_delete="RESTRICT")
        unit = CharField(max_length=30, default="")
        result_type = CharField(max_length=10, default="numeric")
        choices = CharField(max_length=300, default="")
        price = DecimalField(max_digits=10, decimal_places=2, constraints=[Check("price >= 0")])
        prep_note_en = CharField(max_length=300, default="")
        prep_note_zh = CharField(max_length=300, default="")
        resource = ForeignKeyField(Resource, null=True, on_delete="RESTRICT")
        active = BooleanField(default=True)

        class Meta:
            database = db
            table_name = "exam_item"

    db.create_tables([ExamItem])

    class LoginSession(Model):
        token_hash = CharField(unique=True, max_length=64)
        user = ForeignKeyField(User, on_delete="CASCADE")
        created_at = DateTimeField()
        last_seen_at = DateTimeField()
        expires_at = DateTimeField()
        ip = CharField(max_length=64, default="")
        user_agent = CharField(default="")

        class Meta:
            database = db
            table_name = "login_session"

    db.create_tables([LoginSession])

    class Package(Model):
        code = CharField(unique=True, max_length=20)
        name_en = CharField(max_length=120)
        name_zh = CharField(max_length=120, default="")
        description_en = TextField(default="")
        description_zh = TextField(default="")
        sex = CharField(max_length=6, default="any")
        age_min = IntegerField(default=0)
        age_max = IntegerField(default=120)
        price = DecimalField(max_digits=10, decimal_places=2, constraints=[Check("price >= 0")])
        active = BooleanField(default=True)

        class Meta:
            database = db
            table_name = "package"

    db.create_tables([Package])

    class PackageItem(Model):
        package = ForeignKeyField(Package, on_delete="CASCADE")
        item = ForeignKeyField(ExamItem, on_delete="RESTRICT")

        class Meta:
            database = db
            table_name = "package_item"
            indexes = ((("package", "item"), True),)

    db.create_tables([PackageItem])

    class PasswordResetToken(Model):
        nonce_hash = CharField(unique=True, max_length=64)
        user = ForeignKeyField(User, on_delete="CASCADE")
        created_at = DateTimeField()
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "password_reset_token"

    db.create_tables([PasswordResetToken])

    class ReferenceRange(Model):
        item = ForeignKeyField(ExamItem, on_delete="CASCADE")
        sex = CharField(max_length=6, default="any")
        age_min = IntegerField(default=0)
        age_max = IntegerField(default=120)
        low = DecimalField(null=True, max_digits=12, decimal_places=4)
        high = DecimalField(null=True, max_digits=12, decimal_places=4)
        critical_low = DecimalField(null=True, max_digits=12, decimal_places=4)
        critical_high = DecimalField(null=True, max_digits=12, decimal_places=4)

        class Meta:
            database = db
            table_name = "reference_range"
            constraints = [Check("age_min <= age_max"), Check("low IS NULL OR high IS NULL OR low <= high")]

    db.create_tables([ReferenceRange])

    class UserRole(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        role = CharField(max_length=20)

        class Meta:
            database = db
            table_name = "user_role"
            indexes = ((("user", "role"), True),)

    db.create_tables([UserRole])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("user_role"))
    migrator.migrate(migrator.drop_table("reference_range"))
    migrator.migrate(migrator.drop_table("password_reset_token"))
    migrator.migrate(migrator.drop_table("package_item"))
    migrator.migrate(migrator.drop_table("package"))
    migrator.migrate(migrator.drop_table("login_session"))
    migrator.migrate(migrator.drop_table("exam_item"))
    migrator.migrate(migrator.drop_table("resource"))
    migrator.migrate(migrator.drop_table("department"))
    migrator.migrate(migrator.drop_table("audit_event"))
    migrator.migrate(migrator.drop_table("user"))
    migrator.migrate(migrator.drop_table("client"))
    migrator.migrate(migrator.drop_table("organization"))
