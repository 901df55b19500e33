"""Client records and organizations: search, create, edit."""
from dataclasses import dataclass

from checkup.models import Client
from checkup.services import national_id


@dataclass
class ClientSummary:
    id: int
    name: str
    sex: str
    birth_date: object
    phone: str
    email: str
    national_id_masked: str


def client_summary(client_id):
    client = Client.get_or_none(Client.id == client_id)
    if client is None:
        return None
    return ClientSummary(client.id, client.name, client.sex, client.birth_date, client.phone, client.email,
                         national_id.masked_from_cipher(client.national_id_cipher))


def directory_stats():
    """Headline counts for the staff landing pages."""
    from checkup.models import Organization

    return {"clients": Client.select().count(), "organizations": Organization.select().count()}
