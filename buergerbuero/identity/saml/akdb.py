"""BundID's dialect of SAML: the ``akdb:AuthenticationRequest`` extension, the attribute
OIDs, and the trust level BundID puts on each attribute.

BundID (run by the AKDB for the federal government) wants every AuthnRequest to carry,
inside ``<samlp:Extensions>``, which attributes the online service needs and what BundID
shows the citizen::

    <akdb:AuthenticationRequest xmlns:akdb="https://www.akdb.de/request/2018/09" Version="2">
      <akdb:RequestedAttributes>
        <akdb:RequestedAttribute Name="urn:oid:1.3.6.1.4.1.25484.494450.3"
                                 RequiredAttribute="true"/>
        …
      </akdb:RequestedAttributes>
      <akdb:DisplayInformation>
        <classic-ui:Version xmlns:classic-ui="https://www.akdb.de/request/2018/09/classic-ui/v1">
          <classic-ui:OrganizationDisplayName>Stadt Köln</classic-ui:OrganizationDisplayName>
          <classic-ui:OnlineServiceId>…</classic-ui:OnlineServiceId>
        </classic-ui:Version>
      </akdb:DisplayInformation>
    </akdb:AuthenticationRequest>

Each released ``<saml:Attribute>`` may carry ``akdb:TrustLevel`` (UNTERGEORDNET, NORMAL,
SUBSTANTIELL, HOCH): how well that value is verified. Names and shape follow BundID's
interface description (Schnittstellenbeschreibung) as the open-source connectors use it;
see docs/identity-bundid.md for the sources and what is not certain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from saml2 import extension_element_from_string
from saml2.samlp import Extensions

from ..services import PersonData
from ..trust import TrustLevel, level_from_stork

AKDB = "https://www.akdb.de/request/2018/09"
CLASSIC_UI = "https://www.akdb.de/request/2018/09/classic-ui/v1"
TRUST_LEVEL_ATTRIBUTE = f"{{{AKDB}}}TrustLevel"

BPK2 = "urn:oid:1.3.6.1.4.1.25484.494450.3"
GIVEN_NAME = "urn:oid:2.5.4.42"
SURNAME = "urn:oid:2.5.4.4"
BIRTH_DATE = "urn:oid:1.2.40.0.10.2.1.1.55"
POSTAL_ADDRESS = "urn:oid:2.5.4.16"  # street and house number
POSTAL_CODE = "urn:oid:2.5.4.17"
LOCALITY = "urn:oid:2.5.4.7"
EMAIL = "urn:oid:0.9.2342.19200300.100.1.3"
POSTKORB_HANDLE = "urn:oid:2.5.4.18"  # "legacyPostkorbHandle": only accounts with a postbox
CITIZEN_QAA_LEVEL = "urn:oid:1.2.40.0.10.2.1.1.261.94"  # EID-CITIZEN-QAA-LEVEL

# What we ask BundID for, and whether the login is useless without it. Nothing beyond
# what the portal stores (data minimisation): no place of birth, nationality, phone.
REQUESTED = (
    (BPK2, True),
    (GIVEN_NAME, True),
    (SURNAME, True),
    (BIRTH_DATE, False),
    (POSTAL_ADDRESS, False),
    (POSTAL_CODE, False),
    (LOCALITY, False),
    (EMAIL, False),
    (POSTKORB_HANDLE, False),
    (CITIZEN_QAA_LEVEL, False),
)
# The person data the account keeps, by attribute; the key names the session's
# attribute_levels use.
PERSON_FIELDS = {
    GIVEN_NAME: "given_name",
    SURNAME: "family_name",
    BIRTH_DATE: "birth_date",
    POSTAL_ADDRESS: "street",
    POSTAL_CODE: "postcode",
    LOCALITY: "city",
    EMAIL: "email",
}
# Values that identify the person: each must be verified at least at the requested level
# when BundID says how well it is verified. Address and email are the citizen's own
# statement in their BundID account and are only recorded with their level.
IDENTIFYING = (GIVEN_NAME, SURNAME, BIRTH_DATE)

_AKDB_LEVELS = {
    "UNTERGEORDNET": TrustLevel.LOW,  # STORK-QAA-Level-1
    "NORMAL": TrustLevel.LOW,  # STORK-QAA-Level-2; eIDAS knows no level between
    "SUBSTANTIELL": TrustLevel.SUBSTANTIAL,
    "HOCH": TrustLevel.HIGH,
}
AKDB_LEVEL_NAMES = {
    TrustLevel.LOW: "NORMAL",
    TrustLevel.SUBSTANTIAL: "SUBSTANTIELL",
    TrustLevel.HIGH: "HOCH",
}


def level_from_akdb(value: str | None) -> TrustLevel | None:
    """The trust level of an ``akdb:TrustLevel`` (or a STORK-QAA value); None if unknown."""
    value = (value or "").strip()
    return _AKDB_LEVELS.get(value.upper()) or level_from_stork(value)


def authentication_request(*, display_name: str, online_service_id: str) -> Extensions:
    """The ``<samlp:Extensions>`` of a BundID AuthnRequest."""
    requested = "".join(
        f'<akdb:RequestedAttribute Name="{name}" RequiredAttribute="{str(required).lower()}"/>'
        for name, required in REQUESTED
    )
    ui = "classic-ui"
    display = f"<{ui}:OrganizationDisplayName>{escape(display_name)}</{ui}:OrganizationDisplayName>"
    if online_service_id:
        display += f"<{ui}:OnlineServiceId>{escape(online_service_id)}</{ui}:OnlineServiceId>"
    xml = (
        f'<akdb:AuthenticationRequest xmlns:akdb={quoteattr(AKDB)} Version="2">'
        f"<akdb:RequestedAttributes>{requested}</akdb:RequestedAttributes>"
        "<akdb:DisplayInformation>"
        f"<{ui}:Version xmlns:{ui}={quoteattr(CLASSIC_UI)}>{display}</{ui}:Version>"
        "</akdb:DisplayInformation>"
        "</akdb:AuthenticationRequest>"
    )
    return Extensions(extension_elements=[extension_element_from_string(xml)])


@dataclass
class ReleasedAttributes:
    """The attributes of a verified assertion: values and BundID's level for each."""

    values: dict[str, list[str]] = field(default_factory=dict)
    levels: dict[str, TrustLevel] = field(default_factory=dict)

    def first(self, name: str) -> str:
        values = self.values.get(name) or [""]
        return (values[0] or "").strip()

    @classmethod
    def from_assertion(cls, assertion) -> ReleasedAttributes:
        released = cls()
        for statement in assertion.attribute_statement or []:
            for attribute in statement.attribute or []:
                name = (attribute.name or "").replace(" ", "")  # a simulator writes "urn:oid: 1.2…"
                values = [value.text or "" for value in attribute.attribute_value or []]
                released.values.setdefault(name, []).extend(values)
                level = level_from_akdb(_extension_attribute(attribute, "TrustLevel"))
                if level is not None:
                    released.levels[name] = level
        return released

    def person(self) -> PersonData:
        return PersonData(
            given_name=self.first(GIVEN_NAME),
            family_name=self.first(SURNAME),
            birth_date=parse_birth_date(self.first(BIRTH_DATE)),
            street=self.first(POSTAL_ADDRESS),
            postcode=self.first(POSTAL_CODE),
            city=self.first(LOCALITY),
            email=self.first(EMAIL),
        )

    def attribute_levels(self) -> dict[str, str]:
        """Per person field, the level BundID verified it at (only those it says)."""
        return {
            PERSON_FIELDS[name]: level.value
            for name, level in self.levels.items()
            if name in PERSON_FIELDS and self.first(name)
        }

    def too_weak(self, required: TrustLevel) -> list[str]:
        """The identifying attributes BundID verified below ``required``."""
        return [
            PERSON_FIELDS[name]
            for name in IDENTIFYING
            if name in self.levels
            and self.first(name)
            and not self.levels[name].satisfies(required)
        ]


def _extension_attribute(attribute, local_name: str) -> str:
    # pysaml2 keeps unknown XML attributes in ``extension_attributes``, keyed in Clark
    # notation ({namespace}name) when namespaced.
    for key, value in (attribute.extension_attributes or {}).items():
        if key == f"{{{AKDB}}}{local_name}" or key.rpartition(":")[2] == local_name:
            return value
    return ""


def parse_birth_date(value: str) -> dt.date | None:
    """BundID sends YYYY-MM-DD; an ID document may lack day or month ("1969-00-00",
    "1969"): then nothing is stored rather than a made-up day."""
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
