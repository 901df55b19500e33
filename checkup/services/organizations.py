"""Organizations: the companies that book group checkups."""
from flask_babel import lazy_gettext as _l

from checkup.models import Client, Organization
from checkup.services.errors import NotFound


def get_organization(organization_id):
    organization = Organization.get_or_none(Organization.id == organization_id)
    if organization is None:
        raise NotFound(_l("No such organization."))
    return organization


def roster_size(organization_id):
    return Client.select().where(Client.organization == organization_id).count()
