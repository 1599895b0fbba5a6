"""Word lists of the demo data set (see `advocacy.demo`).

The organisations are real kinds of Finnish public bodies, media and associations; every
PERSON is invented, and every e-mail address is under the reserved `.example` domain so that
nothing is ever sent to a real mailbox. The themes come from the cooperation's own web page
(/work/shared/context/savogrow-cooperation-page.txt). Content is Finnish on purpose: it is
what the users write.
"""

from __future__ import annotations

DEMO_PASSWORD = "kuusikko-demo-2026"  # noqa: S105 - published demo password, not a secret
DEMO_GROUP = "Kuusikko users"
COORDINATOR_GROUP = "Kuusikko coordinators"

# (username, first name, last name, role, municipality or None for the joint organisation)
DEMO_LOGINS = [
    ("luottamushenkilo", "Tuula", "Pääkkönen", "trustee", "Suonenjoki"),
    ("viranhaltija", "Jari", "Väätäinen", "staff", "Rautalampi"),
    ("koordinaattori", "Sari", "Åberg", "coordinator", None),
    ("yllapito", "Olli", "Ylönen", "admin", None),
]

# fmt: off
FEMALE_FIRST_NAMES = [
    "Aino", "Anna", "Anne", "Anu", "Eeva", "Elina", "Hanna", "Heidi", "Helena", "Henna",
    "Irja", "Jaana", "Johanna", "Katja", "Kaisa", "Kirsi", "Krista", "Laura", "Leena", "Liisa",
    "Maarit", "Marja", "Merja", "Minna", "Niina", "Outi", "Päivi", "Pirjo", "Pälvi", "Riikka",
    "Ritva", "Sanna", "Satu", "Seija", "Sinikka", "Suvi", "Säde", "Terhi", "Tiina", "Tuija",
    "Ulla", "Vuokko", "Åsa", "Marjatta", "Hillevi", "Helmi", "Iida", "Venla", "Mervi", "Sirpa",
]
MALE_FIRST_NAMES = [
    "Aki", "Antti", "Ari", "Eero", "Esa", "Hannu", "Harri", "Heikki", "Ilkka", "Jaakko",
    "Janne", "Jari", "Jukka", "Jussi", "Juha", "Kalle", "Kari", "Lauri", "Markku", "Matti",
    "Mikko", "Olli", "Pasi", "Pekka", "Pertti", "Petri", "Reijo", "Risto", "Sami", "Seppo",
    "Tapio", "Teemu", "Timo", "Tuomas", "Vesa", "Ville", "Väinö", "Yrjö", "Jörn", "Håkan",
    "Göran", "Örjan", "Toivo", "Eino", "Aarne", "Onni", "Veikko", "Jouko", "Raimo", "Kyösti",
]
LAST_NAMES = [
    "Hämäläinen", "Kärkkäinen", "Jääskeläinen", "Räsänen", "Häkkinen", "Pääkkönen", "Ylönen",
    "Närhi", "Öhman", "Åberg", "Söderström", "Väätäinen", "Mäkäräinen", "Hyvönen", "Kröger",
    "Tikkanen", "Miettinen", "Savolainen", "Heikkinen", "Kinnunen", "Turunen", "Ruotsalainen",
    "Huttunen", "Partanen", "Rönkkö", "Hänninen", "Kääriäinen", "Puustinen", "Lyytikäinen",
    "Tiihonen", "Pöyhönen", "Pirinen", "Kettunen", "Räty", "Sällinen", "Mönkkönen", "Väisänen",
    "Laitinen", "Lehtonen", "Niskanen", "Kähkönen", "Tuovinen", "Rissanen", "Pekkarinen",
    "Ikäheimo", "Kämäräinen", "Löppönen", "Tolvanen", "Jäntti", "Ärölä", "Hiltunen", "Kokkonen",
    "Korhonen", "Ryynänen", "Nykänen", "Suhonen", "Pitkänen", "Karjalainen", "Könönen",
    "Mustonen", "Väänänen", "Pelkonen", "Kauppinen", "Laukkanen", "Toivanen", "Säisä",
    "Åkerlund", "Blomqvist", "Lindström", "Holmström",
]
# fmt: on

# name, genitive (for "Keiteleen kunta"), town hall, and whether it is a town (kaupunki)
MUNICIPALITY_FORMS = {
    "Keitele": ("Keiteleen", "Keiteleen kunnantalo", False),
    "Pielavesi": ("Pielaveden", "Pielaveden kunnantalo", False),
    "Rautalampi": ("Rautalammin", "Rautalammin kunnantalo", False),
    "Suonenjoki": ("Suonenjoen", "Suonenjoen kaupungintalo", True),
    "Tervo": ("Tervon", "Tervon kunnantalo", False),
    "Vesanto": ("Vesannon", "Vesannon kunnantalo", False),
}

# (name, kind, website, municipality name or None, parent name or None)
ORGANISATIONS = [
    ("Valtioneuvoston kanslia", "ministry", "https://vnk.fi", None, None),
    ("Valtiovarainministeriö", "ministry", "https://vm.fi", None, None),
    (
        "Valtiovarainministeriön kunta- ja aluehallinto-osasto",
        "ministry",
        "https://vm.fi",
        None,
        "Valtiovarainministeriö",
    ),
    ("Liikenne- ja viestintäministeriö", "ministry", "https://lvm.fi", None, None),
    ("Työ- ja elinkeinoministeriö", "ministry", "https://tem.fi", None, None),
    (
        "Kotoutumisen osaamiskeskus",
        "ministry",
        "https://kotoutuminen.fi",
        None,
        "Työ- ja elinkeinoministeriö",
    ),
    ("Sosiaali- ja terveysministeriö", "ministry", "https://stm.fi", None, None),
    ("Ympäristöministeriö", "ministry", "https://ym.fi", None, None),
    ("Maa- ja metsätalousministeriö", "ministry", "https://mmm.fi", None, None),
    ("Opetus- ja kulttuuriministeriö", "ministry", "https://okm.fi", None, None),
    ("Sisäministeriö", "ministry", "https://intermin.fi", None, None),
    ("Väylävirasto", "agency", "https://vayla.fi", None, None),
    ("Liikenne- ja viestintävirasto Traficom", "agency", "https://traficom.fi", None, None),
    ("Pohjois-Savon ELY-keskus", "agency", "https://ely-keskus.fi", None, None),
    ("Asumisen rahoitus- ja kehittämiskeskus ARA", "agency", "https://ara.fi", None, None),
    ("Business Finland", "agency", "https://businessfinland.fi", None, None),
    ("Maahanmuuttovirasto", "agency", "https://migri.fi", None, None),
    ("Itä-Suomen aluehallintovirasto", "agency", "https://avi.fi", None, None),
    ("Suomen ympäristökeskus Syke", "agency", "https://syke.fi", None, None),
    ("Kansaneläkelaitos Kela", "agency", "https://kela.fi", None, None),
    ("Pohjois-Savon liitto", "regional_council", "https://pohjois-savo.fi", None, None),
    (
        "Pohjois-Savon hyvinvointialue",
        "wellbeing_county",
        "https://pshyvinvointialue.fi",
        None,
        None,
    ),
    ("Eduskunta", "parliament", "https://eduskunta.fi", None, None),
    ("Keskustan Pohjois-Savon piiri", "party", "", None, None),
    ("Kokoomuksen Pohjois-Savon piiri", "party", "", None, None),
    ("SDP:n Pohjois-Savon piiri", "party", "", None, None),
    ("Perussuomalaisten Pohjois-Savon piiri", "party", "", None, None),
    ("Vihreiden Pohjois-Savon piiri", "party", "", None, None),
    ("Suomen Kuntaliitto", "association", "https://kuntaliitto.fi", None, None),
    ("Pohjois-Savon Yrittäjät", "association", "https://yrittajat.fi", None, None),
    ("MTK-Pohjois-Savo", "association", "https://mtk.fi", None, None),
    ("Pohjois-Savon Kylät ry", "association", "", None, None),
    ("Savon Sanomat", "media", "https://savonsanomat.fi", None, None),
    ("Yle Savo", "media", "https://yle.fi", None, None),
    ("Sisä-Savon Lehti", "media", "", "Suonenjoki", None),
    ("Pielavesi-Keitele", "media", "", "Pielavesi", None),
    ("Savonia-ammattikorkeakoulu", "other", "https://savonia.fi", None, None),
    ("Itä-Suomen yliopisto", "other", "https://uef.fi", None, None),
    ("Kehitysyhtiö SavoGrow Oy", "company", "https://savogrow.fi", None, None),
    ("Kuopion kaupunki", "municipality", "https://kuopio.fi", None, None),
    ("Keiteleen kunta", "municipality", "https://keitele.fi", "Keitele", None),
    ("Pielaveden kunta", "municipality", "https://pielavesi.fi", "Pielavesi", None),
    ("Rautalammin kunta", "municipality", "https://rautalampi.fi", "Rautalampi", None),
    ("Suonenjoen kaupunki", "municipality", "https://suonenjoki.fi", "Suonenjoki", None),
    ("Tervon kunta", "municipality", "https://tervo.fi", "Tervo", None),
    ("Vesannon kunta", "municipality", "https://vesanto.fi", "Vesanto", None),
]

# Invented companies and associations: stems and lines of business combine into names.
# fmt: off
COMPANY_STEMS = [
    "Kuusikon", "Villin Lännen", "Savonselän", "Koivulahden", "Kalliosaaren", "Harjulan",
    "Niinimäen", "Lahdenpään", "Mäntyrannan", "Kerkkälän", "Haapakosken", "Ruokoniemen",
    "Pajulahden", "Salmenkylän", "Kivijärven", "Honkaharjun", "Pihlajaveden", "Suolammen",
    "Ylä-Savon", "Sisä-Savon", "Länsi-Savon", "Järvisydämen", "Kärkkäälän", "Lehtoniemen",
]
COMPANY_LINES = [
    "Saha", "Konepaja", "Rakennus", "Kuljetus", "Marjatila", "Matkailu", "Energia",
    "Elintarvike", "Metalli", "IT-palvelut", "Hoivapalvelut", "Kalanjalostus", "Puutuote",
    "Lämpö", "Maansiirto", "Taimitarha", "Leipomo", "Sähkö", "Kiinteistöpalvelut",
    "Tilitoimisto",
]
COMPANY_FORMS = ["Oy", "Oy", "Oy", "Ky", "Oy Ab"]
ASSOCIATION_KINDS = [
    "Yrittäjät ry", "Eläkkeensaajat ry", "Kotiseutuyhdistys ry", "Kyläyhdistys ry",
    "Urheiluseura ry", "Nuorisoseura ry", "Maa- ja kotitalousnaiset ry", "Riistanhoitoyhdistys",
    "Reserviläiset ry", "Kansalaisopiston kannatusyhdistys ry",
]
# fmt: on

# Titles by organisation kind: (title, decision-maker, influence level 1-4, weight)
TITLES = {
    "ministry": [
        ("kansliapäällikkö", True, 4, 1),
        ("osastopäällikkö", True, 3, 2),
        ("hallitusneuvos", False, 3, 3),
        ("neuvotteleva virkamies", False, 2, 5),
        ("erityisasiantuntija", False, 2, 4),
        ("erityisavustaja", True, 3, 2),
        ("ylitarkastaja", False, 1, 2),
    ],
    "agency": [
        ("pääjohtaja", True, 4, 1),
        ("johtaja", True, 3, 2),
        ("yksikön päällikkö", True, 3, 3),
        ("liikennejärjestelmäasiantuntija", False, 2, 3),
        ("erikoisasiantuntija", False, 2, 4),
        ("rahoitusasiantuntija", False, 2, 3),
        ("projektipäällikkö", False, 1, 2),
    ],
    "regional_council": [
        ("maakuntajohtaja", True, 4, 1),
        ("aluekehitysjohtaja", True, 3, 1),
        ("edunvalvontajohtaja", True, 3, 1),
        ("maakuntahallituksen jäsen", True, 3, 3),
        ("maakuntavaltuutettu", True, 2, 4),
        ("maakuntasuunnittelija", False, 2, 3),
        ("erityisasiantuntija", False, 2, 3),
    ],
    "wellbeing_county": [
        ("hyvinvointialuejohtaja", True, 4, 1),
        ("aluehallituksen puheenjohtaja", True, 4, 1),
        ("palvelualuejohtaja", True, 3, 3),
        ("aluevaltuutettu", True, 2, 5),
        ("palvelupäällikkö", False, 2, 4),
        ("kehittämispäällikkö", False, 2, 3),
    ],
    "parliament": [
        ("kansanedustaja", True, 4, 6),
        ("eduskunta-avustaja", False, 2, 4),
        ("valiokuntaneuvos", False, 3, 1),
    ],
    "party": [
        ("piirin puheenjohtaja", True, 3, 1),
        ("toiminnanjohtaja", False, 2, 2),
        ("piirihallituksen jäsen", False, 1, 2),
    ],
    "company": [
        ("toimitusjohtaja", True, 3, 4),
        ("hallituksen puheenjohtaja", True, 3, 1),
        ("yrittäjä", False, 2, 3),
        ("tuotantopäällikkö", False, 1, 2),
        ("myyntipäällikkö", False, 1, 2),
        ("henkilöstöpäällikkö", False, 1, 1),
    ],
    "association": [
        ("toiminnanjohtaja", False, 2, 3),
        ("puheenjohtaja", True, 2, 3),
        ("hallituksen jäsen", False, 1, 3),
        ("asiantuntija", False, 1, 2),
    ],
    "media": [
        ("päätoimittaja", True, 3, 1),
        ("uutispäällikkö", False, 2, 2),
        ("toimittaja", False, 2, 5),
        ("aluetoimittaja", False, 2, 2),
    ],
    "municipality": [
        ("kunnanjohtaja", True, 4, 1),
        ("kunnanhallituksen puheenjohtaja", True, 4, 1),
        ("valtuuston puheenjohtaja", True, 3, 1),
        ("elinvoimajohtaja", True, 3, 1),
        ("hallintojohtaja", False, 2, 1),
        ("sivistysjohtaja", False, 2, 1),
        ("tekninen johtaja", False, 2, 1),
        ("kunnanvaltuutettu", True, 2, 4),
    ],
    "other": [
        ("rehtori", True, 3, 1),
        ("tutkimuspäällikkö", False, 2, 2),
        ("professori", False, 2, 2),
        ("projektipäällikkö", False, 1, 3),
    ],
}
INDEPENDENT_TITLES = [("kyläaktiivi", False, 1, 2), ("yrittäjä", False, 1, 2), ("", False, 1, 1)]
# How many contacts an organisation of each kind draws, relative to a company.
CONTACT_WEIGHT_BY_KIND = {
    "ministry": 4,
    "agency": 3,
    "regional_council": 8,
    "wellbeing_county": 7,
    "parliament": 10,
    "party": 2,
    "company": 1,
    "association": 1,
    "media": 3,
    "municipality": 6,
    "other": 2,
}
# How often an organisation of each kind is met, per contact it has.
MEETING_WEIGHT_BY_KIND = {
    "ministry": 3,
    "agency": 3,
    "regional_council": 4,
    "wellbeing_county": 4,
    "parliament": 4,
    "party": 1,
    "company": 1,
    "association": 1,
    "media": 2,
    "municipality": 2,
    "other": 1,
}

# fmt: off
TAGS = [
    "päättäjä", "avainhenkilö", "kansanedustaja", "media", "yrittäjä", "virkamies",
    "liikenne", "kotoutuminen", "ilmasto", "asuminen", "hankinnat", "aluemarkkinointi",
    "sote", "rahoitus",
]
# fmt: on

# The cooperation's themes. short: for titles; elative: "keskusteltiin ...sta".
TOPICS = [
    {
        "name": "Yhteinen edunvalvonta: liikenneyhteydet",
        "short": "liikenneyhteydet",
        "elative": "liikenneyhteyksistä",
        "tag": "liikenne",
        "priority": 3,
        "description": (
            "Kuntakuusikon yhteinen edunvalvonta tie- ja rataverkon kunnosta, joukkoliikenteestä "
            "ja tietoliikenneyhteyksistä. Alueen saavutettavuus on elinvoiman perusta."
        ),
        "goals": [
            (
                "Alemman tieverkon korjausvelan lisärahoitus Pohjois-Savoon",
                "Yhdysteiden ja siltojen korjausvelkaan haetaan lisärahoitusta "
                "valtion talousarviosta.",
                240,
            ),
            (
                "Henkilöjunien pysähdykset Suonenjoella säilyvät",
                "Suonenjoen aseman vuorotarjonta turvataan seuraavassa liikennesopimuksessa.",
                420,
            ),
            (
                "Kutsujoukkoliikenne kuuden kunnan alueelle",
                "Yhteinen kutsuliikennemalli kuntien ja hyvinvointialueen kuljetusten "
                "yhdistämiseksi.",
                300,
            ),
            (
                "Valokuituyhteydet haja-asutusalueille",
                "Laajakaistatukea kohdennetaan kuntakuusikon kyliin.",
                540,
            ),
        ],
    },
    {
        "name": "Yhteinen edunvalvonta: palvelut lähellä asukkaita",
        "short": "lähipalvelut",
        "elative": "lähipalveluista",
        "tag": "sote",
        "priority": 3,
        "description": (
            "Hyvinvointialueen ja valtion palvelujen saatavuus kuntakuusikossa: terveysasemat, "
            "kotihoito, liikkuvat palvelut ja asiointipisteet."
        ),
        "goals": [
            (
                "Terveysasemat säilyvät kaikissa kuudessa kunnassa",
                "Kuntakuusikon yhteinen kanta hyvinvointialueen palveluverkkoselvitykseen.",
                180,
            ),
            (
                "Liikkuva palveluauto kuntakuusikon kyliin",
                "Hyvinvointialueen liikkuvat palvelut ulotetaan myös kyliin.",
                360,
            ),
        ],
    },
    {
        "name": "Kotoutuminen: humanitaarinen ja työperäinen maahanmuutto",
        "short": "kotoutuminen",
        "elative": "kotoutumisesta",
        "tag": "kotoutuminen",
        "priority": 2,
        "description": (
            "Yhteinen toimintamalli, jotta humanitäärisen ja työperäisen maahanmuuton kautta "
            "alueelle muuttaneet asettuvat kuntiin ja työelämään."
        ),
        "goals": [
            (
                "Yhteinen kotoutumisen toimintamalli kuudelle kunnalle",
                "Kunnat sopivat yhteisestä kotoutumisohjelmasta ja palvelupolusta.",
                200,
            ),
            (
                "Kotoutumisen rahoitus riittää pienille kunnille",
                "Valtion korvaukset mitoitetaan pienten kuntien todellisten kustannusten mukaan.",
                330,
            ),
            (
                "Työperäisen maahanmuuton palvelupiste SavoGrow-alueelle",
                "Yrityksille ja tulijoille yksi yhteinen neuvontapiste.",
                450,
            ),
        ],
    },
    {
        "name": "Ilmastotyö: SISU-hanke ja kuntien ilmastosuunnitelmat",
        "short": "ilmastosuunnitelmat",
        "elative": "ilmastotyöstä",
        "tag": "ilmasto",
        "priority": 2,
        "description": (
            "Suunnitelmallisen ilmastotyön juurruttaminen Pohjois-Savoon: jokaiseen kuntaan "
            "ilmastosuunnitelma hillintä-, sopeutumis- ja varautumistavoitteineen."
        ),
        "goals": [
            (
                "Ilmastosuunnitelma jokaiseen kuntakuusikon kuntaan",
                "Kunnanvaltuustot hyväksyvät ilmastosuunnitelmat tavoitteineen ja toimenpiteineen.",
                150,
            ),
            (
                "Hiilineutraali kuntakuusikko 2035",
                "Yhteinen päästövähennyspolku ja seuranta.",
                900,
            ),
        ],
    },
    {
        "name": "Ikäystävällinen asuminen",
        "short": "ikäystävällinen asuminen",
        "elative": "ikäystävällisestä asumisesta",
        "tag": "asuminen",
        "priority": 2,
        "description": (
            "Ikääntyneiden asumisen Master Plan -hankkeen 13 toimenpide-ehdotusta asumisen ja "
            "elinympäristön kehittämiseksi SavoGrow-kunnissa."
        ),
        "goals": [
            (
                "Master Planin toimenpiteet kuntastrategioihin",
                "Jokainen kunta kirjaa toimenpide-ehdotukset strategiaansa.",
                210,
            ),
            (
                "Korjausavustukset ikääntyneiden kotien esteettömyyteen",
                "Valtion korjausavustusten taso ja saatavuus turvataan.",
                390,
            ),
        ],
    },
    {
        "name": "Asunto-osuuskunnat",
        "short": "asunto-osuuskunnat",
        "elative": "asunto-osuuskunnista",
        "tag": "asuminen",
        "priority": 1,
        "description": (
            "Asunto-osuuskuntaselvityksen jatkotyö: uusi asumisen muoto kuntakuusikon "
            "vuokra-asuntotarpeeseen."
        ),
        "goals": [
            (
                "Ensimmäinen asunto-osuuskunta käynnistyy",
                "Pilottikohteen rahoitus ja perustaminen.",
                480,
            ),
            (
                "Valtion tuki osuuskunta-asumiselle",
                "Osuuskunta-asuminen korkotukilainoituksen piiriin.",
                600,
            ),
        ],
    },
    {
        "name": "Kuntapalvelut yhdessä ja yhteishankinnat",
        "short": "yhteiset kuntapalvelut",
        "elative": "yhteisistä kuntapalveluista",
        "tag": "hankinnat",
        "priority": 2,
        "description": (
            "Osa kuntapalveluista tuotetaan yhdessä: osaamisen jakaminen, tiimityö ja "
            "kustannustehokkuus yhteishankinnoilla."
        ),
        "goals": [
            (
                "Yhteinen hankintarengas kuudelle kunnalle",
                "Yhteishankinnat elintarvikkeissa, ICT:ssä ja kunnossapidossa.",
                160,
            ),
            (
                "Jaettu elinvoimapalvelujen asiantuntijatiimi",
                "Kuntien yhteiset asiantuntijat yrityspalveluihin ja hankkeisiin.",
                330,
            ),
        ],
    },
    {
        "name": "Aluemarkkinointi: Savon Villi Länsi",
        "short": "Savon Villi Länsi",
        "elative": "Savon Villin Lännen aluemarkkinoinnista",
        "tag": "aluemarkkinointi",
        "priority": 2,
        "description": (
            "Yhteinen aluemarkkinointi alueen veto- ja pitovoiman vahvistamiseksi Savon Villin "
            "Lännen tyyliin."
        ),
        "goals": [
            (
                "Savon Villi Länsi -kampanja valtakunnalliseen mediaan",
                "Yhteinen kampanja muuttajille ja matkailijoille.",
                120,
            ),
            (
                "Paluumuuttajien houkuttelu etätyömahdollisuuksilla",
                "Etätyöpisteet ja paluumuuttajakampanja.",
                270,
            ),
        ],
    },
]

GOAL_PROGRESS_NOTES = [
    "Tavoite hyväksyttiin kuntakuusikon yhteiseksi kannaksi.",
    "Asiaa esiteltiin ministeriön virkamiehille.",
    "Kannanotto lähetettiin vaalipiirin kansanedustajille.",
    "Maakuntahallitus otti asian edunvalvontalistalleen.",
    "Rahoitushakemus jätettiin.",
    "Asia eteni valmisteluun; seuraava vaihe syksyllä.",
    "Asiasta keskusteltiin maakunnan yhteistyöryhmässä.",
    "Selvitys valmistui ja julkaistiin.",
    "Valtion talousarvioesitykseen saatiin kirjaus.",
    "Kuntien lausunnot koottiin yhteen.",
]

NETWORKS = [
    {
        "name": "Savo-Karjalan vaalipiirin kansanedustajat",
        "kind": "electoral_district",
        "description": "Vaalipiirin kansanedustajat ja heidän avustajansa.",
        "contact_kinds": ["parliament"],
        "organisation_kinds": [],
    },
    {
        "name": "Pohjois-Savon maakunnan yhteistyöryhmä",
        "kind": "committee",
        "description": "Maakunnan kehittämisen ja rahoituksen yhteensovittaminen.",
        "contact_kinds": ["regional_council", "agency", "wellbeing_county"],
        "organisation_kinds": ["regional_council", "agency"],
    },
    {
        "name": "SavoGrow-kuntien johtajafoorumi",
        "kind": "forum",
        "description": "Kuntakuusikon kunnanjohtajat ja luottamushenkilöjohto.",
        "contact_kinds": ["municipality"],
        "organisation_kinds": ["municipality"],
    },
    {
        "name": "Pohjois-Savon liikennejärjestelmätyöryhmä",
        "kind": "committee",
        "description": "Liikennejärjestelmäsuunnittelun alueellinen yhteistyö.",
        "contact_kinds": ["agency", "regional_council", "ministry"],
        "organisation_kinds": ["agency"],
    },
    {
        "name": "SISU-hankkeen ohjausryhmä",
        "kind": "project",
        "description": "Ilmastotyön juurruttamisen hankkeen ohjaus.",
        "contact_kinds": ["agency", "regional_council", "other", "municipality"],
        "organisation_kinds": ["other"],
    },
    {
        "name": "Kotoutumisen alueellinen yhteistyöverkosto",
        "kind": "forum",
        "description": "Kuntien, hyvinvointialueen ja järjestöjen kotoutumistyö.",
        "contact_kinds": ["wellbeing_county", "municipality", "association", "ministry"],
        "organisation_kinds": ["association"],
    },
    {
        "name": "Savon Villi Länsi -markkinointiryhmä",
        "kind": "project",
        "description": "Yhteisen aluemarkkinoinnin työryhmä.",
        "contact_kinds": ["company", "media", "association"],
        "organisation_kinds": ["company", "media"],
    },
    {
        "name": "Ikäystävällisen asumisen työryhmä",
        "kind": "committee",
        "description": "Master Plan -toimenpiteiden toteutuksen seuranta.",
        "contact_kinds": ["wellbeing_county", "agency", "municipality", "association"],
        "organisation_kinds": [],
    },
]
NETWORK_ROLES = ["puheenjohtaja", "varapuheenjohtaja", "sihteeri", "jäsen", "asiantuntija"]

# --- Meetings --------------------------------------------------------------------------------

MEETING_KIND_WEIGHTS = [
    ("in_person", 38),
    ("online", 22),
    ("phone", 18),
    ("email", 12),
    ("event", 5),
    ("text_message", 2),
    ("social_media", 2),
    ("other", 1),
]
VISIBILITY_WEIGHTS = [("joint", 75), ("municipality", 18), ("restricted", 7)]
EVENTS = [
    "Kuntamarkkinat, Helsinki",
    "Pohjois-Savon maakuntapäivä, Kuopio",
    "Kansanedustajien ja kuntajohdon tapaaminen, Kuopio",
    "Savon Villi Länsi -tapahtuma",
    "Maakuntavaltuuston seminaari, Kuopio",
    "Elinvoimafoorumi, Suonenjoki",
]
MEETING_PLACES = [
    "Pohjois-Savon liitto, Kuopio",
    "Eduskunta, Helsinki",
    "Ministeriön tilat, Helsinki",
    "ELY-keskus, Kuopio",
    "Hyvinvointialueen hallintotalo, Kuopio",
]
ONLINE_PLACES = ["Teams", "Teams", "Zoom"]
TITLE_PATTERNS = {
    "in_person": ["{org}: {topic}", "Tapaaminen: {topic}", "{topic} – tapaaminen ({org})"],
    "online": ["Etäpalaveri: {topic} ({org})", "{org}: {topic}"],
    "phone": ["Puhelu: {topic}", "Puhelu ({org}): {topic}"],
    "email": ["Sähköposti: {topic}", "Viestinvaihto: {topic} ({org})"],
    "event": ["{event}"],
    "text_message": ["Tekstiviesti: {topic}"],
    "social_media": ["Viestit: {topic}"],
    "other": ["Yhteydenotto: {topic}"],
}
NOTE_OPENINGS = [
    "Keskusteltiin {topic_el}.",
    "Esittelimme kuntakuusikon yhteisen kannan {topic_el}.",
    "{person} kertoi valmistelun tilanteesta.",
    "Tapaamisen aiheena olivat ajankohtaiset asiat, erityisesti keskustelu {topic_el}.",
    "{person} oli pyytänyt tapaamista; aiheena keskustelu {topic_el}.",
    "Kävimme läpi kuntien tilannekuvan ja keskustelimme {topic_el}.",
]
NOTE_MIDDLES = [
    "Nostimme esiin pienten kuntien erityispiirteet ja pitkät etäisyydet.",
    "Valmistelu on kesken, ja näkemyksiämme toivottiin kirjallisena.",
    "Asia on tulossa päätettäväksi lähiviikkoina.",
    "Rahoituksen jatko on vielä auki.",
    "Kuntien yhteinen kanta otettiin hyvin vastaan.",
    "Esille nousi yhteistyö naapurimaakuntien kanssa.",
    "Saimme tietoa tulevista rahoitushauista.",
    "Keskustelu oli rakentava, ja yhteyttä pidetään jatkossakin.",
    "Huoli palvelujen saatavuudesta haja-asutusalueilla jaettiin.",
    "Sovittiin, että kunnat toimittavat tarvittavat tiedot.",
]
OUTCOMES = [
    "Sovittiin jatkotapaamisesta syksyllä.",
    "Toimitamme kirjallisen kannanoton kahden viikon kuluessa.",
    "Asia viedään kunnanhallitusten tiedoksi.",
    "Ei välittömiä jatkotoimia.",
    "Kutsutaan mukaan seuraavaan kuntakuusikon kokoukseen.",
    "Yhteyshenkilö välittää aineiston ministeriöön.",
    "Valmistellaan yhteinen tiedote.",
    "",
]
FOLLOW_UP_DESCRIPTIONS = [
    "Lähetä tapaamisen muistio osallistujille.",
    "Valmistele kirjallinen kannanotto: {topic}.",
    "Sovi jatkotapaaminen.",
    "Toimita lisätiedot rahoitushakemuksesta.",
    "Vie asia kunnanhallituksen käsittelyyn: {topic}.",
    "Kokoa kuntien tilannekuva: {topic}.",
    "Pyydä kommentit muilta kunnilta.",
    "Kutsu yhteyshenkilö kuntakuusikon seuraavaan kokoukseen.",
    "Päivitä tavoitteen tilanne seurantaan.",
    "Laadi tiedote yhdessä viestinnän kanssa.",
    "Selvitä hankerahoituksen hakuaika.",
    "Lähetä kiitosviesti ja esitysaineisto.",
]
COMPLETION_NOTES = ["Tehty.", "Hoidettu sähköpostilla.", "Käsitelty kokouksessa.", ""]
CANCEL_NOTES = ["Ei enää ajankohtainen.", "Asia hoitui toista kautta.", ""]
CONTACT_NOTES = [
    "",
    "",
    "",
    "Tavattu ensimmäisen kerran maakuntapäivillä.",
    "Hyvä yhteys ministeriön valmisteluun.",
    "Kiinnostunut kuntakuusikon yhteistyöstä.",
    "Toivoo yhteydenotot sähköpostilla.",
]
NOTIFICATION_SUBJECTS = {
    "follow_up_due": "Seurantatehtävä erääntyy tänään",
    "follow_up_overdue": "Seurantatehtävä on myöhässä",
    "escalation": "Myöhässä oleva seurantatehtävä",
    "weekly_digest": "Viikkokooste",
    "stale_contact": "Päättäjää ei ole tavattu aikoihin",
}

# Compound surnames (Mäkijärvi, Koskenniemi, Sääksijärvi …) widen the 70 plain ones above,
# so that a million contacts do not share a few thousand names.
# fmt: off
SURNAME_HEADS = [
    "Mäki", "Mäen", "Järvi", "Järven", "Koski", "Kosken", "Lahden", "Vuoren", "Niemen", "Salo",
    "Kallio", "Rinta", "Kivi", "Haapa", "Koivu", "Pihlaja", "Kuusi", "Lehto", "Ranta", "Suo",
    "Ylä", "Ala", "Väli", "Hieta", "Sääksi", "Kärki", "Törmä", "Honka", "Lampi", "Leppä",
    "Pöyry", "Hänni", "Kylä", "Perä", "Ojan", "Sarvi",
]
SURNAME_TAILS = [
    "mäki", "järvi", "koski", "lahti", "vuori", "niemi", "salo", "aho", "harju", "oja", "ranta",
    "saari", "kangas", "pelto", "pää", "kylä", "lehto", "rinne", "korpi", "vaara", "kumpu",
    "nummi", "mäkelä", "pohja",
]
# fmt: on
