"""Group checkups (contracts, categories, reservations, enrollments, roster imports, group documents)
and post-checkup care (contact log, staff departments, settings, consultations, referrals, surveys,
consents, campaigns, messages, renewal tasks); slot.reserved and the new follow-up columns."""

from peewee import *


def up(migrator, db):
    class Appointment(Model):
        class Meta:
            database = db
            table_name = "appointment"

    class Client(Model):
        class Meta:
            database = db
            table_name = "client"

    class Department(Model):
        class Meta:
            database = db
            table_name = "department"

    class FollowUp(Model):
        class Meta:
            database = db
            table_name = "follow_up"

    class Organization(Model):
        class Meta:
            database = db
            table_name = "organization"

    class Package(Model):
        class Meta:
            database = db
            table_name = "package"

    class Report(Model):
        class Meta:
            database = db
            table_name = "report"

    class Slot(Model):
        class Meta:
            database = db
            table_name = "slot"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Campaign(Model):
        name = CharField(max_length=200)
        kind = CharField(max_length=12, default="newsletter")
        subject = CharField(max_length=200)
        body = TextField()
        segment_json = TextField(default="{}")
        status = CharField(index=True, max_length=10, default="draft")
        target_count = IntegerField(default=0)
        sent_count = IntegerField(default=0)
        bounced_count = IntegerField(default=0)
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        queued_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "campaign"

    db.create_tables([Campaign])

    class Consent(Model):
        client = ForeignKeyField(Client, on_delete="CASCADE")
        purpose = CharField(max_length=20)
        granted = BooleanField()
        at = DateTimeField()
        source = CharField(max_length=20)
        recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

        class Meta:
            database = db
            table_name = "consent"
            indexes = ((("client", "purpose", "at"), False),)

    db.create_tables([Consent])

    class Consultation(Model):
        client = ForeignKeyField(Client, on_delete="CASCADE")
        report = ForeignKeyField(Report, null=True, on_delete="SET NULL")
        mode = CharField(max_length=10)
        preferred_times = CharField(max_length=300, default="")
        question = TextField(default="")
        status = CharField(index=True, max_length=10, default="requested")
        physician = ForeignKeyField(User, null=True, on_delete="SET NULL")
        scheduled_at = DateTimeField(null=True)
        notes = TextField(default="")
        handled_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "consultation"

    db.create_tables([Consultation])

    class ContactAttempt(Model):
        follow_up = ForeignKeyField(FollowUp, on_delete="CASCADE")
        channel = CharField(max_length=10)
        outcome = CharField(max_length=15)
        notes = TextField(default="")
        by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "contact_attempt"

    db.create_tables([ContactAttempt])

    class GroupContract(Model):
        organization = ForeignKeyField(Organization, on_delete="RESTRICT")
        name = CharField(max_length=200)
        year = IntegerField()
        window_start = DateField()
        window_end = DateField()
        discount_percent = DecimalField(max_digits=5, decimal_places=2, default=0)
        no_show_charge_percent = DecimalField(max_digits=5, decimal_places=2, default=0)
        reservation_release_days = IntegerField(default=3)
        status = CharField(index=True, max_length=10, default="draft")
        notes = TextField(default="")
        hr_confirmed_at = DateTimeField(null=True)
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        activated_at = DateTimeField(null=True)
        closed_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "group_contract"
            constraints = [
                Check("window_start <= window_end"),
                Check("discount_percent >= 0 AND discount_percent <= 100"),
                Check("no_show_charge_percent >= 0 AND no_show_charge_percent <= 100"),
                Check("reservation_release_days >= 0"),
            ]
            indexes = ((("organization", "name"), True),)

    db.create_tables([GroupContract])

    class ContractCategory(Model):
        contract = ForeignKeyField(GroupContract, on_delete="CASCADE")
        label = CharField(max_length=100)
        sex = CharField(max_length=6, default="")
        age_min = IntegerField(null=True)
        age_max = IntegerField(null=True)
        package = ForeignKeyField(Package, on_delete="RESTRICT")
        company_pays = BooleanField(default=True)
        addons_allowed = BooleanField(default=True)
        position = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "contract_category"
            indexes = ((("contract", "label"), True),)

    db.create_tables([ContractCategory])

    class ContractReservation(Model):
        contract = ForeignKeyField(GroupContract, on_delete="CASCADE")
        slot = ForeignKeyField(Slot, on_delete="RESTRICT")
        places = IntegerField()
        remaining = IntegerField()
        released_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "contract_reservation"
            constraints = [Check("places > 0"), Check("remaining >= 0"), Check("remaining <= places")]
            indexes = ((("contract", "slot"), True),)

    db.create_tables([ContractReservation])

    class Enrollment(Model):
        contract = ForeignKeyField(GroupContract, on_delete="CASCADE")
        client = ForeignKeyField(Client, on_delete="RESTRICT")
        category = ForeignKeyField(ContractCategory, on_delete="RESTRICT")
        employee_no = CharField(max_length=50)
        department = CharField(max_length=100, default="")
        appointment = ForeignKeyField(Appointment, null=True, on_delete="SET NULL")
        invited_at = DateTimeField(null=True)
        last_reminded_at = DateTimeField(null=True)
        invite_count = IntegerField(default=0)
        invite_token_hash = CharField(unique=True, null=True, max_length=64)
        invite_expires_at = DateTimeField(null=True)
        invite_used_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "enrollment"
            indexes = ((("contract", "client"), True), (("contract", "employee_no"), True))

    db.create_tables([Enrollment])

    class GroupDocument(Model):
        contract = ForeignKeyField(GroupContract, on_delete="CASCADE")
        kind = CharField(max_length=10)
        fmt = CharField(max_length=4)
        state = CharField(max_length=10, default="pending")
        path = CharField(max_length=300, default="")
        checksum = CharField(max_length=64, default="")
        error = CharField(max_length=500, default="")
        requested_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        updated_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "group_document"

    db.create_tables([GroupDocument])

    class Message(Model):
        client = ForeignKeyField(Client, on_delete="CASCADE")
        campaign = ForeignKeyField(Campaign, null=True, on_delete="CASCADE")
        kind = CharField(index=True, max_length=20)
        dedupe_key = CharField(unique=True, max_length=120)
        email = CharField(max_length=254, default="")
        subject = CharField(max_length=200, default="")
        status = CharField(max_length=10, default="sending")
        error = CharField(max_length=300, default="")
        created_at = DateTimeField(index=True)
        sent_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "message"

    db.create_tables([Message])

    class Referral(Model):
        follow_up = ForeignKeyField(FollowUp, null=True, on_delete="SET NULL")
        client = ForeignKeyField(Client, on_delete="CASCADE")
        target_kind = CharField(max_length=10)
        department = ForeignKeyField(Department, null=True, on_delete="SET NULL")
        hospital = CharField(max_length=200, default="")
        hospital_department = CharField(max_length=100, default="")
        reason = TextField()
        status = CharField(index=True, max_length=10, default="proposed")
        outcome = TextField(default="")
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        proposed_at = DateTimeField()
        accepted_at = DateTimeField(null=True)
        scheduled_for = DateTimeField(null=True)
        scheduled_at = DateTimeField(null=True)
        completed_at = DateTimeField(null=True)
        declined_at = DateTimeField(null=True)
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "referral"

    db.create_tables([Referral])

    class RenewalTask(Model):
        contract = ForeignKeyField(GroupContract, unique=True, on_delete="CASCADE")
        account_manager = CharField(max_length=100, default="")
        due_on = DateField()
        status = CharField(max_length=10, default="open")
        figures_json = TextField(default="{}")
        note = TextField(default="")
        created_at = DateTimeField()
        done_at = DateTimeField(null=True)
        done_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

        class Meta:
            database = db
            table_name = "renewal_task"

    db.create_tables([RenewalTask])

    class RosterImport(Model):
        contract = ForeignKeyField(GroupContract, on_delete="CASCADE")
        uploaded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        filename = CharField(max_length=200, default="")
        state = CharField(index=True, max_length=12, default="validating")
        total_rows = IntegerField(default=0)
        valid_rows = IntegerField(default=0)
        error_rows = IntegerField(default=0)
        processed_rows = IntegerField(default=0)
        errors_json = TextField(default="")
        rows_json = TextField(default="")
        created_clients = IntegerField(default=0)
        linked_clients = IntegerField(default=0)
        message = CharField(max_length=500, default="")
        created_at = DateTimeField()
        finished_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "roster_import"

    db.create_tables([RosterImport])

    class Setting(Model):
        key = CharField(unique=True, max_length=60)
        value = CharField(max_length=500, default="")

        class Meta:
            database = db
            table_name = "setting"

    db.create_tables([Setting])

    class StaffDepartment(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        department = ForeignKeyField(Department, on_delete="CASCADE")
        is_head = BooleanField(default=False)

        class Meta:
            database = db
            table_name = "staff_department"
            indexes = ((("user", "department"), True),)

    db.create_tables([StaffDepartment])

    class Survey(Model):
        report = ForeignKeyField(Report, unique=True, on_delete="CASCADE")
        client = ForeignKeyField(Client, on_delete="CASCADE")
        token_hash = CharField(unique=True, null=True, max_length=64)
        sent_at = DateTimeField(null=True)
        expires_at = DateTimeField(null=True)
        answered_at = DateTimeField(index=True, null=True)
        overall = IntegerField(null=True, constraints=[Check("overall IS NULL OR (overall >= 1 AND overall <= 5)")])
        booking = IntegerField(null=True, constraints=[Check("booking IS NULL OR (booking >= 1 AND booking <= 5)")])
        front_desk = IntegerField(
            null=True, constraints=[Check("front_desk IS NULL OR (front_desk >= 1 AND front_desk <= 5)")]
        )
        stations = IntegerField(null=True, constraints=[Check("stations IS NULL OR (stations >= 1 AND stations <= 5)")])
        report_clarity = IntegerField(
            null=True, constraints=[Check("report_clarity IS NULL OR (report_clarity >= 1 AND report_clarity <= 5)")]
        )
        staff_attitude = IntegerField(
            null=True, constraints=[Check("staff_attitude IS NULL OR (staff_attitude >= 1 AND staff_attitude <= 5)")]
        )
        comment = TextField(default="")
        follow_up = ForeignKeyField(FollowUp, null=True, on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "survey"

    db.create_tables([Survey])

    migrator.migrate(
        migrator.add_column(
            "slot",
            "reserved",
            IntegerField(
                default=0, constraints=[Check("reserved >= 0"), Check("booked + held + reserved <= capacity")]
            ),
        )
    )
    migrator.migrate(migrator.add_column("follow_up", "kind", CharField(index=True, max_length=10, default="finding")))
    migrator.migrate(
        migrator.add_column(
            "follow_up",
            "department_id",
            ForeignKeyField(Department, field=Department.id, null=True, on_delete="SET NULL"),
        )
    )
    migrator.migrate(migrator.add_column("follow_up", "outcome_code", CharField(max_length=20, default="")))
    migrator.migrate(
        migrator.add_column(
            "follow_up", "closed_by_id", ForeignKeyField(User, field=User.id, null=True, on_delete="SET NULL")
        )
    )
    migrator.migrate(migrator.add_column("follow_up", "attempt_count", IntegerField(default=0)))
    migrator.migrate(
        migrator.add_column(
            "follow_up",
            "recheck_appointment_id",
            ForeignKeyField(Appointment, field=Appointment.id, null=True, on_delete="SET NULL"),
        )
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_index("follow_up", "follow_up_recheck_appointment_id"))
    migrator.migrate(migrator.drop_index("follow_up", "follow_up_kind"))
    migrator.migrate(migrator.drop_index("follow_up", "follow_up_department_id"))
    migrator.migrate(migrator.drop_index("follow_up", "follow_up_closed_by_id"))
    migrator.migrate(migrator.drop_column("follow_up", "recheck_appointment_id"))
    migrator.migrate(migrator.drop_column("follow_up", "attempt_count"))
    migrator.migrate(migrator.drop_column("follow_up", "closed_by_id"))
    migrator.migrate(migrator.drop_column("follow_up", "outcome_code"))
    migrator.migrate(migrator.drop_column("follow_up", "department_id"))
    migrator.migrate(migrator.drop_column("follow_up", "kind"))
    migrator.migrate(migrator.drop_column("slot", "reserved"))
    migrator.migrate(migrator.drop_table("survey"))
    migrator.migrate(migrator.drop_table("staff_department"))
    migrator.migrate(migrator.drop_table("setting"))
    migrator.migrate(migrator.drop_table("roster_import"))
    migrator.migrate(migrator.drop_table("renewal_task"))
    migrator.migrate(migrator.drop_table("referral"))
    migrator.migrate(migrator.drop_table("message"))
    migrator.migrate(migrator.drop_table("group_document"))
    migrator.migrate(migrator.drop_table("enrollment"))
    migrator.migrate(migrator.drop_table("contract_reservation"))
    migrator.migrate(migrator.drop_table("contract_category"))
    migrator.migrate(migrator.drop_table("group_contract"))
    migrator.migrate(migrator.drop_table("contact_attempt"))
    migrator.migrate(migrator.drop_table("consultation"))
    migrator.migrate(migrator.drop_table("consent"))
    migrator.migrate(migrator.drop_table("campaign"))
