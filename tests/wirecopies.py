"""Wire-copy families and same-topic stories, written for this project (no third-party text).

Each family is one agency story as outlets reprint it: a new headline, the first sentence
rewritten, a paragraph dropped or added, a local introduction, a different last paragraph,
an "avec AFP" line. Each family also has a *distinct* story on the same topic, with the same
vocabulary but other facts: it must not join the family. `articles()` gives every text with
its family label; pairs within a label are near-copies, every other pair is not.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Story:
    title: str
    paragraphs: tuple[str, ...]
    new_title: str
    new_first_sentence: str  # replaces the first sentence of the first paragraph
    local_intro: str
    other_ending: str


STORIES: dict[str, Story] = {
    "greve-sncf": Story(
        "Grève à la SNCF : un trafic très perturbé jeudi",
        (
            "La SNCF prévoit un trafic très perturbé jeudi sur l'ensemble du réseau, à l'appel de quatre syndicats de cheminots. Seul un TGV sur deux circulera, et un TER sur trois en moyenne selon les régions.",
            "Les syndicats protestent contre la réforme de l'organisation du travail dans les ateliers de maintenance, présentée le mois dernier par la direction. Ils dénoncent des horaires décalés imposés sans concertation.",
            "La direction assure que la réforme doit réduire les retards dus aux pannes de matériel, qui ont doublé en deux ans. Elle propose une prime de 400 euros aux agents concernés.",
            "Les voyageurs sont invités à reporter leur déplacement ou à consulter l'application de la compagnie la veille au soir à partir de 17 heures. Les billets peuvent être échangés sans frais.",
            "Une nouvelle réunion entre la direction et les organisations syndicales est prévue lundi au siège de Saint-Denis.",
        ),
        "Jeudi noir dans les gares : un TGV sur deux",
        "Les usagers du rail vont devoir s'armer de patience jeudi.",
        "À la gare de Part-Dieu, les panneaux d'affichage annonçaient déjà mercredi les premières suppressions de trains régionaux vers Grenoble et Saint-Étienne.",
        "Dans la région, la direction régionale recommande le covoiturage et rappelle que les cars de substitution seront peu nombreux.",
    ),
    "incendie-foret": Story(
        "Incendie dans les Landes : 800 hectares brûlés",
        (
            "Un incendie a parcouru 800 hectares de pins dans la nuit de samedi à dimanche près de Mimizan, dans les Landes. Quelque 300 pompiers ont été mobilisés, appuyés par quatre avions bombardiers d'eau.",
            "Le feu s'est déclaré vers 22 heures en bordure d'une piste forestière, pour une raison encore inconnue. Le vent d'est, soufflant jusqu'à 60 km/h, a favorisé sa propagation vers le littoral.",
            "Deux campings et une centaine d'habitations ont été évacués par précaution. Aucune victime n'est à déplorer, mais deux pompiers ont été légèrement blessés.",
            "Le préfet a interdit l'accès aux massifs forestiers du département jusqu'à nouvel ordre. Les travaux agricoles sont suspendus l'après-midi.",
            "Une enquête a été ouverte par le parquet de Mont-de-Marsan pour déterminer l'origine du sinistre.",
        ),
        "Les Landes à nouveau frappées par les flammes",
        "Les flammes ont ravagé 800 hectares de forêt landaise en une seule nuit.",
        "Dans les Landes, le souvenir des grands feux de l'été 2022 reste vif, et les habitants de Mimizan ont vu la fumée dès la tombée de la nuit.",
        "Les pompiers restaient sur place dimanche soir pour surveiller d'éventuelles reprises, le feu étant fixé mais pas encore éteint.",
    ),
    "prix-lait": Story(
        "Le prix du lait payé aux éleveurs recule de 5 %",
        (
            "Le prix du lait payé aux producteurs a reculé de 5 % en un an, selon les chiffres publiés mardi par l'interprofession laitière. Les éleveurs touchent désormais en moyenne 420 euros pour mille litres.",
            "Cette baisse intervient alors que les coûts de production, alimentation animale et énergie en tête, restent élevés. De nombreuses exploitations travaillent à perte, affirme la Fédération nationale des producteurs de lait.",
            "Les industriels invoquent la chute des cours mondiaux du beurre et de la poudre de lait, liée à une production abondante en Nouvelle-Zélande et aux États-Unis.",
            "Le ministre de l'Agriculture a promis de réunir les acteurs de la filière avant la fin du mois pour examiner l'application de la loi Egalim.",
            "En dix ans, le nombre d'exploitations laitières a diminué d'un quart en France.",
        ),
        "Lait : les éleveurs voient encore leurs revenus fondre",
        "Mauvaise nouvelle pour les producteurs laitiers, dont la rémunération baisse encore.",
        "En Bretagne, première région laitière du pays, plusieurs éleveurs du Finistère ont déjà annoncé qu'ils cesseraient leur activité cette année.",
        "Les syndicats agricoles menacent de manifester devant les laiteries si aucune hausse n'est obtenue d'ici l'été.",
    ),
    "budget-ecoles": Story(
        "Le conseil municipal vote 12 millions pour rénover les écoles",
        (
            "Le conseil municipal de Villeneuve a voté lundi soir un plan de 12 millions d'euros sur cinq ans pour rénover ses quatorze écoles. Les travaux commenceront par l'isolation des bâtiments les plus anciens.",
            "La priorité sera donnée aux écoles construites dans les années 1960, dont les fenêtres et les chaudières n'ont jamais été remplacées. Trois cantines seront aussi agrandies.",
            "L'opposition a voté contre, jugeant le calendrier trop lent et le financement trop dépendant des subventions de l'État. Elle réclamait un audit énergétique préalable.",
            "Le maire assure que le plan ne pèsera pas sur les impôts locaux, grâce à un emprunt à taux fixe et à la vente de deux terrains communaux.",
            "Les parents d'élèves, qui avaient manifesté l'hiver dernier contre le froid dans les classes, saluent une première étape.",
        ),
        "Écoles : Villeneuve débloque enfin les travaux",
        "Les quatorze écoles de Villeneuve vont enfin être rénovées.",
        "Dans le quartier des Tilleuls, l'école Jean-Moulin avait dû fermer deux jours en janvier faute de chauffage.",
        "Un comité de suivi réunissant élus, enseignants et parents se réunira chaque trimestre.",
    ),
    "festival-jazz": Story(
        "Le festival de jazz affiche complet pour sa dixième édition",
        (
            "Le festival de jazz de Marcillac affiche complet pour sa dixième édition, qui se tiendra du 12 au 16 juillet. Les 25 000 billets ont été vendus en moins de trois semaines.",
            "La programmation réunit une quarantaine d'artistes, dont plusieurs têtes d'affiche internationales, sur trois scènes installées dans le parc du château. Une scène gratuite accueillera les jeunes talents de la région.",
            "Les organisateurs ont renforcé les navettes depuis la gare et créé un parking relais de 2 000 places à l'entrée de la ville pour limiter les embouteillages.",
            "Le budget du festival atteint 3,2 millions d'euros, financé aux deux tiers par la billetterie et le mécénat.",
            "Une partie des concerts sera retransmise en direct sur la radio locale.",
        ),
        "Marcillac : guichets fermés pour les dix ans du festival",
        "Il n'y a plus une place à vendre pour le festival de jazz de Marcillac.",
        "À Marcillac, les commerçants du centre se préparent déjà à accueillir des milliers de visiteurs dans les rues piétonnes.",
        "Les organisateurs promettent une édition anniversaire avec un feu d'artifice le dernier soir.",
    ),
    "tram-travaux": Story(
        "Tramway : les travaux de la ligne 3 prennent six mois de retard",
        (
            "Les travaux de la troisième ligne de tramway de Montval accusent six mois de retard, a reconnu mardi la métropole. La mise en service, prévue en septembre, est repoussée au printemps.",
            "La découverte de canalisations anciennes non répertoriées sous l'avenue de la République a obligé à revoir le tracé sur 800 mètres. Des fouilles archéologiques ont aussi été prescrites près de la cathédrale.",
            "Le surcoût est estimé à 14 millions d'euros, pour un projet chiffré initialement à 320 millions. La métropole négocie avec les entreprises la répartition de cette somme.",
            "Les commerçants de l'avenue, privés d'une partie de leur clientèle depuis un an, réclament une indemnisation plus rapide.",
            "La ligne doit relier la gare au campus universitaire en 22 minutes, avec dix-huit stations.",
        ),
        "Ligne 3 : le tram de Montval attendra le printemps",
        "Mauvaise surprise pour les usagers : le tramway ne roulera pas à la rentrée.",
        "Avenue de la République, les barrières de chantier font partie du décor depuis plus d'un an et les riverains s'impatientent.",
        "Un numéro vert a été ouvert pour les riverains et une réunion publique aura lieu le 3 octobre à l'hôtel de métropole.",
    ),
}

# The same topics, other stories: shared vocabulary, other facts. None may join a family.
SAME_TOPIC: dict[str, tuple[str, tuple[str, ...]]] = {
    "greve-sncf": (
        "Grève des contrôleurs : le week-end de Pâques menacé",
        (
            "Un préavis de grève des contrôleurs a été déposé pour le week-end de Pâques par un collectif non syndiqué. La SNCF ne donnera ses prévisions de trafic que jeudi soir.",
            "Les contrôleurs réclament une revalorisation de leur prime de travail et davantage d'effectifs à bord des trains de nuit. Ils étaient déjà en grève en décembre.",
            "Le ministre des Transports a appelé au dialogue, tout en rappelant que les vacances scolaires commencent dans deux zones.",
            "La direction affirme que plus de 80 % des TGV devraient circuler si le mouvement reste limité.",
        ),
    ),
    "incendie-foret": (
        "Feu de forêt dans le Var : la route du littoral coupée",
        (
            "Un feu de forêt a détruit 150 hectares de garrigue mardi après-midi sur les hauteurs de Bormes, dans le Var. La route du littoral a été coupée pendant cinq heures.",
            "Les 200 pompiers engagés ont été gênés par le mistral, qui a soufflé en rafales à 80 km/h. Un hélicoptère et deux avions ont été envoyés en renfort.",
            "Une quarantaine de personnes ont été évacuées d'un hameau et relogées dans une salle municipale.",
            "Un homme soupçonné d'avoir allumé un barbecue en forêt a été placé en garde à vue.",
        ),
    ),
    "prix-lait": (
        "Les producteurs de fromage de chèvre face à la sécheresse",
        (
            "La sécheresse pèse sur les éleveurs de chèvres du Poitou, qui doivent acheter du fourrage au prix fort. La production de lait de chèvre a baissé de 8 % depuis le printemps.",
            "Les fromageries artisanales craignent de manquer de lait à l'automne et envisagent de limiter les ventes aux grossistes.",
            "La chambre d'agriculture demande le déblocage d'aides d'urgence et la reconnaissance de l'état de calamité agricole.",
            "Le prix du fromage pourrait augmenter de 10 % d'ici la fin de l'année, préviennent les producteurs.",
        ),
    ),
    "budget-ecoles": (
        "Le conseil municipal adopte un budget en baisse pour la culture",
        (
            "Le conseil municipal de Villeneuve a adopté lundi soir un budget de la culture en baisse de 6 %, malgré les protestations des associations. La médiathèque fermera le lundi matin.",
            "Le maire explique cette baisse par la hausse des dépenses d'énergie et par les travaux engagés dans les équipements sportifs.",
            "L'opposition a dénoncé un recul de l'offre culturelle dans les quartiers et demandé le maintien des ateliers gratuits pour les enfants.",
            "Le conservatoire conservera ses effectifs, mais deux festivals de quartier ne seront plus subventionnés.",
        ),
    ),
    "festival-jazz": (
        "Le festival de musique classique cherche un nouveau souffle",
        (
            "Le festival de musique classique de Marcillac a vendu 4 000 billets seulement cette année, contre 7 000 il y a cinq ans. Ses organisateurs veulent rajeunir son public.",
            "La prochaine édition proposera des concerts plus courts, des tarifs réduits pour les moins de 26 ans et une scène en plein air dans le parc du château.",
            "La ville a maintenu sa subvention de 150 000 euros mais demande un plan de redressement d'ici l'automne.",
            "Un orchestre de jeunes musiciens de la région ouvrira le festival le 2 août.",
        ),
    ),
    "tram-travaux": (
        "Bus à haut niveau de service : la métropole lance la concertation",
        (
            "La métropole de Montval lance une concertation publique sur un projet de bus à haut niveau de service entre la gare et la zone d'activités du nord. Le coût est estimé à 60 millions d'euros.",
            "Les bus circuleraient sur des voies réservées toutes les six minutes aux heures de pointe, avec une vingtaine de stations.",
            "Les commerçants du boulevard Victor-Hugo s'inquiètent de la suppression de 200 places de stationnement.",
            "Les habitants peuvent donner leur avis en ligne jusqu'au 15 novembre ou lors de trois réunions publiques.",
        ),
    ),
}

AGENCY_LINE = "(avec AFP)"


def _replace_first_sentence(paragraph: str, sentence: str) -> str:
    end = paragraph.find(". ")
    return f"{sentence} {paragraph[end + 2 :]}" if end >= 0 else sentence


def variants(story: Story) -> list[tuple[str, list[str]]]:
    """The story as five outlets print it: (headline, paragraphs)."""
    p = list(story.paragraphs)
    first_changed = [_replace_first_sentence(p[0], story.new_first_sentence), *p[1:]]
    return [
        (story.title, p),  # the agency's own
        (story.new_title, [*p, AGENCY_LINE]),  # a new headline and the agency line
        (
            story.title,
            [first_changed[0], *first_changed[1:3], *first_changed[4:]],
        ),  # first sentence, one paragraph dropped
        (story.new_title, [story.local_intro, *p[:-1], story.other_ending]),  # a local intro, another ending
        (story.new_title, [first_changed[0], p[1], p[3], story.other_ending, AGENCY_LINE]),  # cut to the bone
    ]


def articles() -> list[tuple[str, str, str]]:
    """(label, title, text) for every copy of every family, then the same-topic stories (label: their own)."""
    out = []
    for label, story in STORIES.items():
        for title, paragraphs in variants(story):
            out.append((label, title, "\n\n".join(paragraphs)))
    for label, (title, paragraphs) in SAME_TOPIC.items():
        out.append((f"{label}/other", title, "\n\n".join(paragraphs)))
    return out
