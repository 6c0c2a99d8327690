"""Labels and invented names used by the demo study (no real person, no copyrighted item text)."""

LADDER = [
    ("inv_informed", "On m'informe des décisions qui me concernent",
     "I am informed of decisions that concern me"),
    ("inv_consulted", "On me demande mon avis", "I am asked for my opinion"),
    ("inv_influence", "Mon avis change les décisions", "My opinion changes decisions"),
    ("inv_partnership", "Nous décidons ensemble", "We decide together"),
    ("inv_control", "C'est moi qui décide", "I decide"),
]

# Talking Points personal outcomes (Cook & Miller 2012): 15 outcomes in 3 groups. Short names
# only; the conversation guide's wording is not reproduced.
OUTCOMES = {
    "quality_of_life": [
        ("tp_safe", "Se sentir en sécurité", "Feeling safe"),
        ("tp_things_to_do", "Avoir des choses à faire", "Having things to do"),
        ("tp_seeing_people", "Voir des gens", "Seeing people"),
        ("tp_well", "Rester en aussi bonne santé que possible", "Staying as well as you can"),
        ("tp_living", "Vivre où et comme on le souhaite", "Living where and as you want"),
        ("tp_stigma", "Faire face à la stigmatisation", "Dealing with stigma and discrimination"),
    ],
    "process": [
        ("tp_listened", "Être écouté·e", "Listened to"),
        ("tp_say", "Avoir son mot à dire", "Having a say"),
        ("tp_respect", "Être traité·e avec respect", "Treated with respect"),
        ("tp_responded", "Obtenir une réponse", "Responded to"),
        ("tp_reliability", "Pouvoir compter sur les services", "Reliability"),
    ],
    "change": [
        ("tp_confidence", "Confiance et moral", "Confidence and morale"),
        ("tp_skills", "Habiletés", "Skills"),
        ("tp_mobility", "Mobilité", "Mobility"),
        ("tp_symptoms", "Moins de symptômes", "Reduced symptoms"),
    ],
}

OUTCOME_GROUP_LABELS = {
    "quality_of_life": ("Qualité de vie", "Quality of life"),
    "process": ("Processus", "Process"),
    "change": ("Changement", "Change"),
}

AGE_GROUPS = [("18-34", "18 à 34 ans", "18 to 34"), ("35-49", "35 à 49 ans", "35 to 49"),
              ("50-64", "50 à 64 ans", "50 to 64"), ("65-79", "65 à 79 ans", "65 to 79"),
              ("80+", "80 ans et plus", "80 and over")]

INTEGRATION_LEVELS = [
    ("Fragmentation", "Fragmented"),
    ("Coopération", "Cooperation"),
    ("Coordination", "Coordination"),
    ("Collaboration", "Collaboration"),
    ("Services intégrés", "Integrated services"),
]

# Invented people for planted identifiers in free text (no real person is meant).
FIRST_NAMES = ["Josée", "Émilie", "Mathieu", "Gaétan", "Chantal", "Benoît", "Nathalie",
               "Réjean", "Sylvie", "François", "Geneviève", "Stéphane", "Hélène", "Jérôme"]
LAST_NAMES = ["Tremblay", "Gagnon", "Bouchard", "Côté", "Gauthier", "Morin", "Lavoie",
              "Fortin", "Gagné", "Ouellet", "Pelletier", "Bélanger", "Lévesque", "Bergeron"]
AREA_CODES = ["819", "873", "450", "514"]
POSTAL_CODES = ["J1H 5N4", "J1E 2K8", "j1k2r1", "J1G 3C6", "J0B 1M0", "H2X 1Y4"]

COMMENTS_FR = [
    "On me demande souvent mon avis, mais je ne vois pas ce que ça change.",
    "L'équipe m'écoute et on décide ensemble de mon plan.",
    "Les rencontres sont utiles, j'ai repris confiance.",
    "Il faudrait plus de transport pour aller aux activités.",
    "Je me sens moins seul depuis que je vais au centre communautaire.",
    "On nous consulte pour la forme ; les décisions sont déjà prises.",
    "Très bon accueil, personnel respectueux.",
    "Les délais sont longs avant d'avoir une réponse.",
    "J'aimerais participer au comité des usagers.",
    "Mon intervenante m'aide à garder mon logement.",
]
COMMENTS_EN = [
    "They ask what I think, but nothing changes afterwards.",
    "Staff listen and we plan things together.",
    "I feel safer at home since the visits started.",
    "Waiting times are too long.",
]
PLANTED_FR = [
    "Merci à {name}, elle m'a beaucoup aidée. Appelez-la au {phone}.",
    "Pour me joindre : {email} ou {phone}.",
    "J'habite au {postal}, c'est loin du point de service.",
    "Mon voisin {name} pourrait témoigner aussi.",
    "Parlez à {name} au {phone} poste 221 si vous avez des questions.",
]
PLANTED_EN = [
    "Please thank {name} for me, her number is {phone}.",
    "You can reach me at {email}.",
]

#: The ladder items in rung order, and the wellbeing items (SWEMWBS).
LADDER_ITEMS = [item for item, _, _ in LADDER]
WELLBEING_ITEMS = [f"wb_{i}" for i in range(1, 8)]
