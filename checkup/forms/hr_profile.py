"""HR's form for its company profile: the directory's organization form without the center's fields."""

from checkup.forms.directory import OrganizationForm
from checkup.services.accounts.hr_profile import HR_FIELDS


class HrProfileForm(OrganizationForm):
    # the name, tiers, account manager and relationship notes are kept by the center
    name = None
    relationship_notes = None
    size_tier = None
    value_tier = None
    account_manager = None

    def values(self):
        return {name: self[name].data for name in HR_FIELDS}
