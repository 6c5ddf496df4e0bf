"""Stockholm demo registry: areas, organisations, users and synthetic individuals.

Synthetic only: every personnummer is built with a test serial (980-999) and names
are invented. Idempotent: loading twice changes nothing.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Area, Individual, Membership, Organisation, RelatedPerson
from .personnummer import make_test_number

DEMO_PASSWORD = "kardborre-demo"  # noqa: S105  (demo only, printed by the command)

K, R, P = "KOMMUN", "REGION", "PRIVATE"
OK = Organisation.Kind

# Stockholm stad's eleven stadsdelsområden since 1 July 2023 (DOMAIN §5.1).
STOCKHOLM_DISTRICTS = [
    "Bromma",
    "Enskede-Årsta-Vantör",
    "Farsta",
    "Hägersten-Älvsjö",
    "Hässelby-Vällingby",
    "Järva",
    "Kungsholmen",
    "Norra innerstaden",
    "Skarpnäck",
    "Skärholmen",
    "Södermalm",
]
OTHER_KOMMUNER = ["Huddinge", "Nacka", "Solna", "Södertälje", "Haninge", "Järfälla", "Täby"]

# (district, vårdcentraler; the first is the area's GSA)
VARDCENTRALER = {
    "Bromma": ["Brommaplans vårdcentral", "Västerleds vårdcentral"],
    "Enskede-Årsta-Vantör": ["Årsta vårdcentral", "Hökarängens vårdcentral"],
    "Farsta": ["Farsta vårdcentral"],
    "Hägersten-Älvsjö": ["Liljeholmens vårdcentral", "Älvsjö vårdcentral"],
    "Hässelby-Vällingby": ["Vällingby vårdcentral"],
    "Järva": ["Rinkeby vårdcentral", "Tensta vårdcentral"],
    "Kungsholmen": ["Kungsholmens vårdcentral"],
    "Norra innerstaden": ["Odenplans vårdcentral", "Gärdets vårdcentral"],
    "Skarpnäck": ["Skarpnäcks vårdcentral"],
    "Skärholmen": ["Skärholmens vårdcentral"],
    "Södermalm": ["Rosenlunds vårdcentral", "Skanstulls vårdcentral", "Hornstulls vårdcentral"],
    "Huddinge": ["Flemingsbergs vårdcentral", "Huddinge vårdcentral"],
    "Nacka": ["Nacka vårdcentral", "Saltsjöbadens vårdcentral"],
    "Solna": ["Solna vårdcentral"],
    "Södertälje": ["Södertälje vårdcentral"],
    "Haninge": ["Handens vårdcentral"],
    "Järfälla": ["Jakobsbergs vårdcentral"],
    "Täby": ["Täby centrum vårdcentral"],
}

# hospital -> (area, wards as (name, kind))
HOSPITALS = {
    "Södersjukhuset": (
        "Södermalm",
        [
            ("Södersjukhuset avd 53 medicin", OK.SJUKHUSAVDELNING),
            ("Södersjukhuset avd 64 ortopedi", OK.SJUKHUSAVDELNING),
            ("Södersjukhuset avd 32 kardiologi", OK.SJUKHUSAVDELNING),
        ],
    ),
    "Karolinska Universitetssjukhuset Solna": (
        "Solna",
        [
            ("Karolinska Solna avd N62 neurologi", OK.SJUKHUSAVDELNING),
            ("Karolinska Solna avd K54 internmedicin", OK.SJUKHUSAVDELNING),
        ],
    ),
    "Karolinska Universitetssjukhuset Huddinge": (
        "Huddinge",
        [
            ("Karolinska Huddinge avd M44 medicin", OK.SJUKHUSAVDELNING),
            ("Karolinska Huddinge avd K78 njurmedicin", OK.SJUKHUSAVDELNING),
        ],
    ),
    "Danderyds sjukhus": (
        "Täby",
        [
            ("Danderyds sjukhus avd 21 medicin", OK.SJUKHUSAVDELNING),
            ("Danderyds sjukhus avd 58 strokeenhet", OK.SJUKHUSAVDELNING),
        ],
    ),
    "S:t Görans sjukhus": (
        "Kungsholmen",
        [
            ("S:t Görans sjukhus avd 12 akutgeriatrik", OK.SJUKHUSAVDELNING),
            ("S:t Görans sjukhus avd 35 medicin", OK.SJUKHUSAVDELNING),
        ],
    ),
    "Södertälje sjukhus": (
        "Södertälje",
        [
            ("Södertälje sjukhus avd 9 medicin", OK.SJUKHUSAVDELNING),
        ],
    ),
}
OTHER_REGION_UNITS = [
    ("Dalens sjukhus geriatrik", OK.GERIATRIK, "Enskede-Årsta-Vantör", "YES"),
    ("Jakobsbergsgeriatriken", OK.GERIATRIK, "Järfälla", "YES"),
    ("Capio Geriatrik Nacka", OK.GERIATRIK, "Nacka", "YES"),
    ("Norra Stockholms psykiatri avd 1 heldygnsvård", OK.PSYKIATRI, "Solna", "YES"),
    ("Psykiatri Södra Stockholm avd 31 heldygnsvård", OK.PSYKIATRI, "Södermalm", "YES"),
    ("Psykiatri Södra Stockholm öppenvård Södermalm", OK.PSYKIATRI_OPPENVARD, "Södermalm", "NO"),
    ("ASIH Stockholm Södra", OK.ASIH, "Södermalm", "UNKNOWN"),
    ("ASIH Nordväst", OK.ASIH, "Järfälla", "NO"),
    # A child's SIP: BUP, habilitering and the youth clinic take part.
    ("BUP Södermalm", OK.BUP, "Södermalm", "UNKNOWN"),
    ("Habilitering Söder", OK.HABILITERING, "Södermalm", "YES"),
    ("Ungdomsmottagningen Södermalm", OK.UNGDOMSMOTTAGNING, "Södermalm", "NO"),
]
#: The kommun's units of a child's SIP, in Södermalm: (name, kind, reachability).
CHILD_KOMMUN_UNITS = [
    ("Eriksdalsskolan", OK.SKOLA, "NO"),
    ("Eriksdalsskolans elevhälsa", OK.ELEVHALSA, "UNKNOWN"),
    ("Södermalm socialtjänst barn och unga", OK.SOCIALTJANST_BARN, "YES"),
]
PRIVATE_UNITS = [
    ("Attendo hemtjänst Södermalm", OK.HEMTJANST, "Södermalm", K, "NO"),
    ("Vardaga vård- och omsorgsboende Hornstull", OK.SABO, "Södermalm", K, "UNKNOWN"),
    ("Förenade Care hemtjänst Huddinge", OK.HEMTJANST, "Huddinge", K, "UNKNOWN"),
    ("Aleris ASIH Nacka", OK.ASIH, "Nacka", R, "UNKNOWN"),
    ("Husläkarna Söder (privat vårdcentral)", OK.VARDCENTRAL, "Södermalm", R, "NO"),
]
# Units whose reachability is not YES, to give the demo the "falls between chairs" mix.
NOT_REACHABLE = {
    "Skanstulls vårdcentral": "UNKNOWN",
    "Tensta vårdcentral": "NO",
    "Hornstulls vårdcentral": "UNKNOWN",
    "Saltsjöbadens vårdcentral": "NO",
}


HOURS = {OK.SJUKHUSAVDELNING: "Dygnet runt", OK.PSYKIATRI: "Dygnet runt"}


def _slug(name: str) -> str:
    table = str.maketrans("åäöéÅÄÖ :", "aaoeAAO--")
    return "".join(c for c in name.translate(table).lower() if c.isalnum() or c == "-")


def _org(name, kind, area, huvudman, reachability="YES", parent=None, acting_for=""):
    slug = _slug(name)
    organisation, _ = Organisation.objects.update_or_create(
        name=name,
        area=area,
        defaults={
            "kind": kind,
            "huvudman": huvudman,
            "acting_for": acting_for,
            "reachability": reachability,
            "parent": parent,
            "functional_mailbox": f"{slug}@demo.kardborre.se",
            "phone": "08-123 456 00",
            "opening_hours_note": HOURS.get(kind, "Vardagar 08–17"),
        },
    )
    return organisation


@transaction.atomic
def load_registry() -> None:
    region_area, _ = Area.objects.get_or_create(
        name="Region Stockholm", defaults={"kind": "REGION"}
    )
    stockholm, _ = Area.objects.get_or_create(
        name="Stockholms stad", defaults={"kind": "KOMMUN", "code": "0180"}
    )
    areas = {}
    for district in STOCKHOLM_DISTRICTS:
        areas[district], _ = Area.objects.get_or_create(
            name=district, defaults={"kind": "STADSDELSOMRADE", "parent": stockholm}
        )
    for kommun in OTHER_KOMMUNER:
        areas[kommun], _ = Area.objects.get_or_create(name=kommun, defaults={"kind": "KOMMUN"})

    for name, area in areas.items():
        if area.kind == "STADSDELSOMRADE":
            admin_unit = _org(f"{name} stadsdelsförvaltning", OK.STADSDELSFORVALTNING, area, K)
        else:
            admin_unit = _org(f"{name} kommun, socialförvaltningen", OK.KOMMUNLEDNING, area, K)
        bistand = _org(f"{name} biståndsenhet äldre", OK.SOCIALTJANST, area, K, parent=admin_unit)
        _org(
            f"{name} kommunal hälso- och sjukvård",
            OK.KOMMUNAL_HSV,
            area,
            K,
            reachability="UNKNOWN" if name in ("Skärholmen", "Haninge") else "YES",
            parent=admin_unit,
        )
        gsa = None
        for index, vc_name in enumerate(VARDCENTRALER.get(name, [])):
            vc = _org(vc_name, OK.VARDCENTRAL, area, R, NOT_REACHABLE.get(vc_name, "YES"))
            gsa = gsa or (vc if index == 0 else None)
        area.ksa, area.gsa = bistand, gsa
        area.save(update_fields=["ksa", "gsa"])

    for hospital, (area_name, wards) in HOSPITALS.items():
        parent = _org(hospital, OK.SJUKHUS, areas[area_name], R)
        for ward, kind in wards:
            _org(ward, kind, areas[area_name], R, parent=parent)
    for name, kind, area_name, reach in OTHER_REGION_UNITS:
        _org(name, kind, areas[area_name], R, reach)
    for name, kind, reach in CHILD_KOMMUN_UNITS:
        _org(name, kind, areas["Södermalm"], K, reach)
    for name, kind, area_name, acting_for, reach in PRIVATE_UNITS:
        _org(name, kind, areas[area_name], P, reach, acting_for=acting_for)
    _org("Region Stockholm, Hälso- och sjukvårdsförvaltningen", OK.OTHER, region_area, R)


# (username, first, last, organisation, role)
DEMO_USERS = [
    ("avd53.sos", "Sara", "Lind", "Södersjukhuset avd 53 medicin", "SJUKSKOTERSKA"),
    ("lakare.sos", "Omid", "Karimi", "Södersjukhuset avd 53 medicin", "LAKARE"),
    ("handlaggare.sodermalm", "Karin", "Berg", "Södermalm biståndsenhet äldre", "HANDLAGGARE"),
    ("hsv.sodermalm", "Lena", "Ek", "Södermalm kommunal hälso- och sjukvård", "SJUKSKOTERSKA"),
    ("vardkontakt.rosenlund", "Johan", "Nilsson", "Rosenlunds vårdcentral", "FAST_VARDKONTAKT"),
    ("ksa.sodermalm", "Maria", "Holm", "Södermalm biståndsenhet äldre", "KSA"),
    ("mas.sodermalm", "Eva", "Lund", "Södermalm stadsdelsförvaltning", "MAS"),
    ("handlaggare.huddinge", "Ali", "Hassan", "Huddinge biståndsenhet äldre", "HANDLAGGARE"),
    ("mas.huddinge", "Anna", "Sjöberg", "Huddinge kommun, socialförvaltningen", "MAS"),
    ("avdm44.huddinge", "Peter", "Ström", "Karolinska Huddinge avd M44 medicin", "SJUKSKOTERSKA"),
    ("vardkontakt.flemingsberg", "Sofia", "Åberg", "Flemingsbergs vårdcentral", "FAST_VARDKONTAKT"),
    # The second and third rungs of the region side's escalation chains.
    ("chef.sos", "Henrik", "Wall", "Södersjukhuset", "CHEF"),
    ("chef.rosenlund", "Linnea", "Berglund", "Rosenlunds vårdcentral", "CHEF"),
    (
        "cheflakare.region",
        "Mona",
        "Falk",
        "Region Stockholm, Hälso- och sjukvårdsförvaltningen",
        "CHEFLAKARE",
    ),
]


@transaction.atomic
def load_users() -> list[tuple[str, str, str]]:
    """Demo users, one per role; returns (username, role, organisation) for printing."""
    User = get_user_model()
    printed = []
    for username, first, last, org_name, role in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo.kardborre.se",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        organisation = Organisation.objects.get(name=org_name)
        Membership.objects.get_or_create(user=user, organisation=organisation, role=role)
        printed.append((username, role, org_name))
    admin, created = User.objects.get_or_create(
        username="admin",
        defaults={"is_staff": True, "is_superuser": True, "email": "admin@demo.kardborre.se"},
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    Membership.objects.get_or_create(
        user=admin,
        role="ADMIN",
        organisation=Organisation.objects.get(
            name="Region Stockholm, Hälso- och sjukvårdsförvaltningen"
        ),
    )
    printed.append(("admin", "ADMIN", "administrator"))
    return printed


# (given, family, birth date, serial, address, protected)
DEMO_INDIVIDUALS = [
    ("Astrid", "Johansson", dt.date(1938, 4, 12), 982, "Ringvägen 101, 118 60 Stockholm", False),
    ("Bengt", "Karlsson", dt.date(1941, 9, 3), 986, "Götgatan 55, 116 21 Stockholm", False),
    ("Gunnel", "Persson", dt.date(1935, 1, 27), 991, "Hornsgatan 140, 117 28 Stockholm", False),
    ("Rolf", "Andersson", dt.date(1949, 11, 30), 983, "Högbergsgatan 20, 116 20 Stockholm", False),
    (
        "Maj-Britt",
        "Eriksson",
        dt.date(1932, 6, 8),
        988,
        "Katarina Bangata 70, 116 42 Stockholm",
        False,
    ),
    ("Kjell", "Olsson", dt.date(1944, 2, 19), 995, "Alby gård 3, 141 57 Huddinge", False),
    ("Ingrid", "Svensson", dt.date(1952, 8, 14), 981, "Sjövägen 8, 141 70 Huddinge", False),
    ("Hassan", "Mohammed", dt.date(1957, 3, 5), 997, "Medborgarplatsen 3, 118 26 Stockholm", False),
    ("Elsa", "Lindqvist", dt.date(2014, 5, 22), 984, "Bondegatan 12, 116 23 Stockholm", False),
    ("Skyddad", "Person", dt.date(1963, 10, 2), 992, "", True),
]


@transaction.atomic
def load_individuals() -> None:
    for given, family, birth, serial, address, protected in DEMO_INDIVIDUALS:
        individual, _ = Individual.objects.get_or_create(
            personal_identity_number=make_test_number(birth, serial),
            defaults={
                "given_name": given,
                "family_name": family,
                "address": address,
                "protected_identity": protected,
            },
        )
        if given == "Elsa":
            for name in ("Petra Lindqvist", "Jonas Lindqvist"):
                RelatedPerson.objects.get_or_create(
                    individual=individual,
                    name=name,
                    defaults={
                        "kind": "VARDNADSHAVARE",
                        "has_custody": True,
                        "email": f"{_slug(name)}@example.se",
                    },
                )
        elif given == "Astrid":
            RelatedPerson.objects.get_or_create(
                individual=individual,
                name="Lars Johansson",
                defaults={"kind": "NARSTAENDE", "email": "lars.johansson@example.se"},
            )
    # A coordination number too.
    Individual.objects.get_or_create(
        personal_identity_number=make_test_number(dt.date(1970, 10, 3), 987, coordination=True),
        defaults={
            "given_name": "Nikos",
            "family_name": "Papadopoulos",
            "address": "Folkungagatan 90, 116 30 Stockholm",
        },
    )
