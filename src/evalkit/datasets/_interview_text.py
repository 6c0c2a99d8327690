"""Sentence templates of the demo interviews, in French and in English (synthetic, invented).

Each code of the demo codebook has first-person templates (service users and carers) and staff
templates; slots in braces are filled from the word lists below, so that no two transcripts are
the same. Names, telephone numbers and e-mail addresses are invented: 555-01xx numbers are
reserved for fiction, example.org and example.com for documentation.
"""

from __future__ import annotations

# code key: (theme, French name, English label, French description)
CODES: dict[str, tuple[str, str, str, str]] = {
    "informe": ("Implication", "Être informé", "Being informed",
                "La personne reçoit de l'information sur les services ou les décisions."),
    "consulte": ("Implication", "Être consulté", "Being consulted",
                 "On demande l'avis de la personne."),
    "codecision": ("Implication", "Décider ensemble", "Deciding together",
                   "La personne prend part aux décisions, avec les intervenants."),
    "savoir": ("Implication", "Savoir expérientiel reconnu",
               "Experiential knowledge recognised",
               "Le savoir tiré de l'expérience de la personne est reconnu et utilisé."),
    "sans_effet": ("Tokénisme", "Consultation sans effet", "Consultation without influence",
                   "On consulte, mais l'avis donné ne change rien."),
    "symbolique": ("Tokénisme", "Présence symbolique", "Token presence",
                   "La personne est présente pour la forme, sans rôle réel."),
    "pouvoir": ("Tokénisme", "Déséquilibre de pouvoir", "Power imbalance",
                "Les professionnels ou l'établissement gardent la main sur les décisions."),
    "securite": ("Résultats personnels", "Se sentir en sécurité", "Feeling safe",
                 "Talking Points, qualité de vie : se sentir en sécurité."),
    "voir_gens": ("Résultats personnels", "Voir des gens", "Seeing people",
                  "Talking Points, qualité de vie : voir des gens."),
    "mot_a_dire": ("Résultats personnels", "Avoir son mot à dire", "Having a say",
                   "Talking Points, processus : avoir son mot à dire."),
    "ecoute": ("Résultats personnels", "Être écouté", "Being listened to",
               "Talking Points, processus : être écouté."),
    "activites": ("Résultats personnels", "Avoir des choses à faire", "Having things to do",
                  "Talking Points, qualité de vie : avoir des choses à faire."),
    "moral": ("Résultats personnels", "Confiance et moral", "Confidence and morale",
              "Talking Points, changement : confiance en soi et moral."),
    "reseau": ("Réseaux et intégration", "Réseau personnel", "Personal network",
               "Les personnes de l'entourage sur qui compter (famille, voisins, amis)."),
    "communautaire": ("Réseaux et intégration", "Organismes communautaires",
                      "Community organisations",
                      "Liens avec les organismes communautaires et la vie du quartier."),
    "coordination": ("Réseaux et intégration", "Coordination des services",
                     "Coordination of services",
                     "Les services se parlent : porte d'entrée unique, suivi partagé."),
    "fragmentes": ("Réseaux et intégration", "Services fragmentés", "Fragmented services",
                   "Les services travaillent en silo : répéter son histoire, se perdre."),
}

THEME_LABELS_EN = {"Implication": "Involvement", "Tokénisme": "Tokenism",
                   "Résultats personnels": "Personal outcomes",
                   "Réseaux et intégration": "Networks and integration"}
THEME_COLORS = {"Implication": "#1F77B4", "Tokénisme": "#D62728",
                "Résultats personnels": "#2CA02C", "Réseaux et intégration": "#9467BD"}

# Slot values. French services carry their forms after "de" and "à".
SLOTS = {
    "fr": {
        "service": [("le CLSC", "du CLSC", "au CLSC"),
                    ("le centre de jour", "du centre de jour", "au centre de jour"),
                    ("le soutien à domicile", "du soutien à domicile", "au soutien à domicile"),
                    ("la maison de quartier", "de la maison de quartier", "à la maison de quartier"),
                    ("le service de répit", "du service de répit", "au service de répit"),
                    ("l'équipe de proximité", "de l'équipe de proximité",
                     "à l'équipe de proximité")],
        "meeting": [("le comité des usagers", "du comité des usagers", "au comité des usagers"),
                    ("les rencontres de planification", "des rencontres de planification",
                     "aux rencontres de planification"),
                    ("le comité de quartier", "du comité de quartier", "au comité de quartier"),
                    ("la table de concertation", "de la table de concertation",
                     "à la table de concertation")],
        "activity": [("l'atelier de cuisine", "à l'atelier de cuisine"),
                     ("la marche du mardi", "à la marche du mardi"),
                     ("le café-rencontre", "au café-rencontre"),
                     ("le jardin communautaire", "au jardin communautaire"),
                     ("le groupe de parole", "au groupe de parole"),
                     ("les sorties au marché", "aux sorties au marché")],
        "person": ["mon intervenante", "ma travailleuse sociale", "l'infirmière",
                   "la coordonnatrice", "mon intervenant", "l'éducatrice spécialisée"],
        "time": ["depuis deux ans", "depuis l'automne dernier", "depuis quelques mois",
                 "depuis le printemps", "depuis presque cinq ans", "depuis un an et demi"],
        "relative": ["ma fille", "mon fils", "ma voisine", "mon frère", "ma sœur",
                     "mon conjoint", "une amie du quartier"],
        "cared": ["ma mère", "mon père", "mon conjoint", "ma fille", "mon frère"],
        "role": ["intervenante de proximité", "travailleur social",
                 "infirmière en soutien à domicile", "organisatrice communautaire",
                 "éducateur spécialisé"],
        "opener": ["", "", "", "Honnêtement, ", "Ben, ", "Je dirais que ", "C'est sûr que ",
                   "Pour être franche, ", "Disons que "],
        "tail": ["", "", "", " C'est comme ça.", " Voilà.", " En tout cas, c'est mon avis.",
                 " Je ne sais pas si ça répond à votre question."],
    },
    "en": {
        "service": [("the CLSC",) * 3, ("the day centre",) * 3, ("home support",) * 3,
                    ("the neighbourhood house",) * 3, ("the respite service",) * 3,
                    ("the outreach team",) * 3],
        "meeting": [("the users' committee",) * 3, ("the planning meetings",) * 3,
                    ("the neighbourhood committee",) * 3, ("the community round table",) * 3],
        "activity": [("the cooking workshop",) * 2, ("the Tuesday walk",) * 2,
                     ("the drop-in café",) * 2, ("the community garden",) * 2,
                     ("the support group",) * 2, ("the market outings",) * 2],
        "person": ["my support worker", "my social worker", "the nurse", "the coordinator",
                   "my case worker"],
        "time": ["for two years", "since last fall", "for a few months", "since the spring",
                 "for almost five years"],
        "relative": ["my daughter", "my son", "my neighbour", "my brother", "my sister",
                     "my partner", "a friend from the neighbourhood"],
        "cared": ["my mother", "my father", "my husband", "my daughter", "my brother"],
        "role": ["outreach worker", "social worker", "home-care nurse", "community organiser"],
        "opener": ["", "", "", "Honestly, ", "Well, ", "I'd say ", "To be fair, "],
        "tail": ["", "", "", " That's how it is.", " That's about it.",
                 " Anyway, that's my view."],
    },
}

# First-person answers (service users and carers), by code.
ANSWERS = {
    "fr": {
        "informe": [
            "on m'envoie des lettres pour m'expliquer les changements, donc je suis au courant.",
            "{person} me tient au courant de ce qui se passe {au_service}.",
            "je reçois l'information, mais c'est à peu près tout : on me dit ce qui a été décidé.",
            "il y a un babillard à l'entrée {du_service}, c'est là que j'apprends les nouvelles.",
            "quand les horaires changent, on nous avertit d'avance, ça je l'apprécie.",
        ],
        "consulte": [
            "on m'a demandé de remplir un questionnaire sur {service} l'an passé.",
            "{person} me demande souvent mon avis avant de changer quelque chose.",
            "j'ai été invitée {au_meeting} pour donner mon point de vue.",
            "ils font des sondages de temps en temps pour savoir si on est satisfaits.",
        ],
        "codecision": [
            "mon plan de services, on l'a bâti ensemble, {person} et moi.",
            "c'est moi qui ai choisi l'horaire des visites, ils ont suivi ce que je voulais.",
            "au comité, on vote sur les activités, et notre vote compte vraiment.",
            "on décide ensemble des priorités {du_meeting}, pas juste les professionnels.",
        ],
        "savoir": [
            "ils m'ont demandé de parler de mon expérience aux nouvelles intervenantes.",
            "ce que je connais de ma maladie, ils le prennent au sérieux.",
            "je suis devenue pair aidante, mon vécu sert à d'autres maintenant.",
            "{person} dit que c'est moi l'experte de ma situation, et elle le pense.",
        ],
        "sans_effet": [
            "on nous consulte mais rien ne change.",
            "j'ai donné mon avis {au_meeting}, mais au bout du compte c'était déjà décidé.",
            "ils posent des questions, ils prennent des notes, puis on n'en entend plus parler.",
            "on remplit leurs questionnaires, mais je n'ai jamais vu de différence.",
            "on nous consulte pour la forme ; les décisions se prennent ailleurs.",
        ],
        "symbolique": [
            "au comité, on est deux usagers autour d'une table de quinze professionnels.",
            "ils aiment bien avoir un usager sur la photo, mais on ne nous donne pas la parole.",
            "je siège {au_meeting}, mais on ne m'envoie jamais les documents d'avance.",
            "ma présence, c'est surtout pour cocher une case, j'ai l'impression.",
        ],
        "pouvoir": [
            "c'est eux qui ont le dernier mot, même quand c'est ma vie.",
            "quand je ne suis pas d'accord, on me fait sentir que je ne comprends pas.",
            "le jargon des réunions, c'est fait pour qu'on reste à notre place.",
            "si je me plains, j'ai peur de perdre mes heures de service.",
        ],
        "securite": [
            "depuis que {person} passe deux fois par semaine, je me sens plus en sécurité chez moi.",
            "avec le bouton d'urgence, je n'ai plus peur la nuit.",
            "je sais que si je tombe, quelqu'un va s'en rendre compte vite.",
            "je me sens en sécurité {au_service}, le monde est gentil.",
        ],
        "voir_gens": [
            "{au_activity}, je vois du monde, sinon je serais toute seule chez nous.",
            "le café du jeudi, c'est ma sortie de la semaine, je vois mes amies.",
            "avant, je ne voyais personne ; maintenant, j'ai des gens à qui parler.",
            "c'est {au_activity} que j'ai rencontré la plupart de mes amis.",
        ],
        "mot_a_dire": [
            "j'ai pu choisir qui vient chez moi et à quelle heure.",
            "mon avis compte pour mon plan d'intervention, je peux dire non.",
            "c'est moi qui décide ce qu'on fait pendant les visites.",
            "j'ai mon mot à dire sur mes services, et ça, c'est nouveau.",
        ],
        "ecoute": [
            "{person} prend le temps de m'écouter, elle ne regarde pas sa montre.",
            "pour une fois, quelqu'un m'a écoutée jusqu'au bout.",
            "je me sens écoutée, on ne me coupe pas la parole.",
            "quand j'appelle {au_service}, on me rappelle, on ne me laisse pas tomber.",
        ],
        "activites": [
            "je vais {au_activity} toutes les semaines, ça me donne une raison de me lever.",
            "j'aide à la cuisine collective, j'aime me sentir utile.",
            "mes journées sont plus remplies, j'ai des choses à faire.",
            "depuis que je fais du bénévolat, le temps passe moins lentement.",
        ],
        "moral": [
            "j'ai repris confiance en moi, je n'aurais jamais cru.",
            "mon moral est meilleur {time}, je le sens.",
            "je me sens capable de faire plus de choses par moi-même.",
            "je suis moins découragée qu'avant, j'ai des projets.",
        ],
        "reseau": [
            "je peux compter sur {relative}, qui passe presque tous les jours.",
            "à part les intervenants, il y a {relative} ; c'est à peu près tout.",
            "mon entourage s'est agrandi, j'ai des voisins qui prennent de mes nouvelles.",
            "quand ça va mal, j'appelle {relative}, c'est mon pilier.",
        ],
        "communautaire": [
            "l'organisme du quartier m'a aidée plus que n'importe quel service.",
            "je vais à la popote roulante et au comptoir alimentaire, ils me connaissent.",
            "c'est grâce {au_activity} que j'ai connu les organismes du coin.",
            "l'organisme communautaire, c'est comme une deuxième famille.",
        ],
        "coordination": [
            "{person} s'occupe de tout coordonner, je n'ai qu'un numéro à appeler.",
            "le CLSC et le centre de jour se parlent, je n'ai pas à répéter mon histoire.",
            "il y a eu une rencontre avec tout le monde autour de la table, c'était clair.",
            "ils ont un dossier commun, alors tout le monde sait où j'en suis.",
        ],
        "fragmentes": [
            "je dois répéter mon histoire à chaque nouvelle personne.",
            "le CLSC dit de voir l'hôpital, l'hôpital dit de voir le CLSC.",
            "j'ai eu quatre intervenantes différentes en un an, je ne sais plus à qui parler.",
            "personne ne se parle, c'est moi qui fais le lien entre tous les services.",
        ],
    },
    "en": {
        "informe": [
            "they send me letters explaining the changes, so I know what is going on.",
            "{person} keeps me up to date about {service}.",
            "I get the information, but that's about it: they tell me what was decided.",
        ],
        "consulte": [
            "they asked me to fill in a survey about {service} last year.",
            "{person} often asks what I think before changing anything.",
            "I was invited to {meeting} to give my point of view.",
        ],
        "codecision": [
            "we built my care plan together, {person} and I.",
            "I chose the visiting hours myself and they went with it.",
            "at {meeting} we vote on the activities, and our vote really counts.",
        ],
        "savoir": [
            "they asked me to talk about my experience to the new staff.",
            "what I know about my own condition, they take it seriously.",
            "I became a peer helper, my experience helps others now.",
        ],
        "sans_effet": [
            "they consult us but nothing changes.",
            "I gave my opinion at {meeting}, but in the end it had already been decided.",
            "they ask questions, they take notes, and then we never hear about it again.",
        ],
        "symbolique": [
            "on the committee there are two of us users and fifteen professionals.",
            "they like having a service user in the photo, but we don't get to speak.",
            "I sit on {meeting}, but they never send me the papers ahead of time.",
        ],
        "pouvoir": [
            "they have the last word, even when it's my life.",
            "when I disagree, they make me feel I don't understand.",
            "if I complain, I'm afraid of losing my hours of service.",
        ],
        "securite": [
            "since {person} comes twice a week, I feel safer at home.",
            "with the emergency button, I'm not scared at night any more.",
            "I know that if I fall, someone will notice quickly.",
        ],
        "voir_gens": [
            "at {activity} I see people, otherwise I'd be alone at home.",
            "before, I didn't see anyone; now I have people to talk to.",
            "most of my friends I met at {activity}.",
        ],
        "mot_a_dire": [
            "I could choose who comes to my home and when.",
            "I have a say in my services, and that's new.",
            "I decide what we do during the visits.",
        ],
        "ecoute": [
            "{person} takes the time to listen, she doesn't look at her watch.",
            "for once, somebody listened to me until the end.",
            "I feel listened to, nobody cuts me off.",
        ],
        "activites": [
            "I go to {activity} every week, it gives me a reason to get up.",
            "I help with the community kitchen, I like feeling useful.",
            "my days are fuller now, I have things to do.",
        ],
        "moral": [
            "I got my confidence back, I never thought I would.",
            "my morale has been better {time}, I can feel it.",
            "I feel able to do more things by myself.",
        ],
        "reseau": [
            "I can count on {relative}, who drops by almost every day.",
            "apart from the workers, there's {relative}; that's about it.",
            "when things go badly, I call {relative}, that's my rock.",
        ],
        "communautaire": [
            "the neighbourhood organisation helped me more than any service.",
            "I go to the meals-on-wheels and the food bank, they know me there.",
            "the community group is like a second family.",
        ],
        "coordination": [
            "{person} coordinates everything, I only have one number to call.",
            "the CLSC and the day centre talk to each other, I don't have to repeat my story.",
            "they have a shared file, so everybody knows where I'm at.",
        ],
        "fragmentes": [
            "I have to repeat my story to every new person.",
            "the CLSC says to see the hospital, the hospital says to see the CLSC.",
            "nobody talks to each other, I'm the one linking all the services.",
        ],
    },
}

# Staff answers, by code (about the people they support).
STAFF_ANSWERS = {
    "fr": {
        "informe": ["on informe les usagers des changements, surtout par des lettres.",
                    "on affiche les nouvelles {au_service}, mais je ne sais pas si c'est lu."],
        "consulte": ["on fait un sondage de satisfaction chaque année.",
                     "on invite des usagers {au_meeting} pour avoir leur avis."],
        "codecision": ["le plan d'intervention se fait avec la personne, c'est elle qui fixe "
                       "ses objectifs.",
                       "au comité, les usagers votent au même titre que nous."],
        "savoir": ["les pairs aidants nous apprennent des choses qu'aucune formation ne donne.",
                   "on s'appuie sur ce que les personnes savent de leur propre situation."],
        "sans_effet": ["on consulte les usagers, mais honnêtement ça change peu de choses.",
                       "les recommandations du comité restent souvent sur une tablette."],
        "symbolique": ["on a un siège pour un usager {au_meeting}, mais c'est surtout "
                       "symbolique.",
                       "on invite des usagers pour la photo, je trouve ça gênant."],
        "pouvoir": ["au fond, c'est la direction qui décide, même pour nous.",
                    "les usagers n'osent pas nous contredire, ils dépendent de nous."],
        "securite": ["les personnes se sentent plus en sécurité depuis les visites régulières.",
                     "le bouton d'urgence a beaucoup rassuré les familles."],
        "voir_gens": ["{au_activity}, les gens sortent de leur isolement.",
                      "plusieurs personnes me disent que c'est leur seule sortie de la semaine."],
        "mot_a_dire": ["on essaie de laisser la personne décider de l'horaire et du contenu.",
                       "on a changé nos façons de faire pour que les gens aient leur mot à dire."],
        "ecoute": ["prendre le temps d'écouter, c'est la base, mais on manque de temps.",
                   "les usagers nous disent souvent qu'ils se sentent enfin écoutés."],
        "activites": ["les ateliers donnent un rythme à la semaine des participants.",
                      "on voit des gens qui reprennent goût à faire des choses."],
        "moral": ["on voit des personnes reprendre confiance en quelques mois.",
                  "le moral des participants s'améliore, ça se voit."],
        "reseau": ["beaucoup de personnes n'ont que des intervenants dans leur entourage.",
                   "on essaie de rebrancher les gens avec leurs voisins et leur famille."],
        "communautaire": ["on travaille main dans la main avec les organismes du quartier.",
                          "les organismes communautaires rejoignent des gens qu'on ne voit "
                          "jamais."],
        "coordination": ["on a une porte d'entrée unique et des rencontres d'équipe "
                         "interdisciplinaires.",
                         "on partage un plan de services avec les partenaires, ça évite les "
                         "trous."],
        "fragmentes": ["chaque programme a ses critères, les gens tombent entre les chaises.",
                       "on ne se parle pas assez entre services, les usagers le paient."],
    },
    "en": {
        "informe": ["we inform users of changes, mostly by letter."],
        "consulte": ["we run a satisfaction survey every year.",
                     "we invite users to {meeting} to hear their views."],
        "codecision": ["the care plan is made with the person, they set their own goals."],
        "savoir": ["peer helpers teach us things no training gives."],
        "sans_effet": ["we consult users, but honestly it changes little.",
                       "the committee's recommendations often stay on a shelf."],
        "symbolique": ["there is a seat for a user at {meeting}, but it's mostly symbolic."],
        "pouvoir": ["in the end management decides, even for us."],
        "securite": ["people feel safer since the regular visits."],
        "voir_gens": ["at {activity} people come out of their isolation."],
        "mot_a_dire": ["we try to let the person decide the schedule and the content."],
        "ecoute": ["taking time to listen is the basis, but we lack time."],
        "activites": ["the workshops give a rhythm to the participants' week."],
        "moral": ["we see people regain confidence within a few months."],
        "reseau": ["many people only have workers around them."],
        "communautaire": ["we work hand in hand with the neighbourhood organisations."],
        "coordination": ["we have a single point of entry and interdisciplinary team meetings."],
        "fragmentes": ["every programme has its own criteria, people fall through the cracks."],
    },
}

QUESTIONS = {
    "fr": {
        "intro": ["Merci d'avoir accepté cette entrevue. Pouvez-vous vous présenter en quelques "
                  "mots ?", "Pour commencer, pouvez-vous me parler de votre lien avec les "
                  "services ?"],
        "involvement": ["Comment participez-vous aux décisions qui concernent vos services ?",
                        "Est-ce qu'on vous demande votre avis sur les services ?",
                        "Quelle place vous fait-on quand il faut décider quelque chose ?"],
        "influence": ["Et quand vous donnez votre avis, est-ce que ça change quelque chose ?",
                      "Avez-vous l'impression que votre point de vue compte ?"],
        "outcomes": ["Qu'est-ce que les services changent dans votre vie au quotidien ?",
                     "Qu'est-ce qui a changé pour vous depuis que vous recevez ces services ?",
                     "Comment vous sentez-vous ces temps-ci ?"],
        "more": ["Y a-t-il autre chose qui a changé pour vous ?",
                 "Et à part ça, qu'est-ce qui est différent ?"],
        "network": ["Qui sont les personnes sur qui vous pouvez compter ?",
                    "Parlez-moi des gens que vous voyez dans une semaine ordinaire."],
        "integration": ["Comment les différents services travaillent-ils ensemble pour vous ?",
                        "Quand vous avez besoin d'aide, savez-vous à qui vous adresser ?"],
        "closing": ["Y a-t-il autre chose que vous aimeriez ajouter ?",
                    "Avant de terminer, voulez-vous ajouter quelque chose ?"],
        "thanks": ["Merci beaucoup pour votre temps.", "Merci, c'était très éclairant."],
    },
    "en": {
        "intro": ["Thank you for agreeing to this interview. Could you introduce yourself?",
                  "To start, can you tell me how you are connected with the services?"],
        "involvement": ["How do you take part in decisions about your services?",
                        "Are you asked for your opinion about the services?"],
        "influence": ["And when you give your opinion, does it change anything?",
                      "Do you feel your point of view counts?"],
        "outcomes": ["What difference do the services make in your daily life?",
                     "What has changed for you since you started receiving these services?"],
        "more": ["Has anything else changed for you?"],
        "network": ["Who are the people you can count on?",
                    "Tell me about the people you see in an ordinary week."],
        "integration": ["How do the different services work together for you?",
                        "When you need help, do you know who to turn to?"],
        "closing": ["Is there anything else you would like to add?"],
        "thanks": ["Thank you very much for your time."],
    },
}

STAFF_QUESTIONS = {
    "fr": {
        "intro": ["Pouvez-vous me décrire votre rôle ?"],
        "involvement": ["Comment les usagers participent-ils aux décisions dans votre équipe ?"],
        "influence": ["Est-ce que l'avis des usagers change vraiment les choses ?"],
        "outcomes": ["Qu'est-ce que les services changent pour les personnes que vous "
                     "accompagnez ?"],
        "more": ["Voyez-vous d'autres changements chez les personnes ?"],
        "network": ["Comment les personnes sont-elles entourées, en dehors des services ?"],
        "integration": ["Comment votre équipe travaille-t-elle avec les autres services et les "
                        "organismes ?"],
    },
    "en": {
        "intro": ["Could you describe your role?"],
        "involvement": ["How do users take part in decisions in your team?"],
        "influence": ["Does the users' opinion really change things?"],
        "outcomes": ["What difference do the services make for the people you support?"],
        "more": ["Do you see other changes in the people you support?"],
        "network": ["Who is around the people you support, outside the services?"],
        "integration": ["How does your team work with the other services and organisations?"],
    },
}

INTRO_ANSWERS = {
    "fr": {
        "user": ["j'utilise {service} {time}.",
                 "je vais {au_service} {time}, à peu près une fois par semaine.",
                 "je reçois de l'aide {du_service} {time}, depuis mon opération."],
        "carer": ["je m'occupe de {cared} {time} ; on reçoit de l'aide {du_service}.",
                  "je suis proche aidante pour {cared} {time}."],
        "staff": ["je travaille comme {role} {time}.",
                  "je suis {role} dans l'équipe {time}."],
    },
    "en": {
        "user": ["I have been using {service} {time}.",
                 "I go to {service} about once a week, {time} now."],
        "carer": ["I have been looking after {cared} {time}; we get help from {service}.",
                  "I'm a family carer for {cared}, {time} now."],
        "staff": ["I have been working as a {role} {time}.",
                  "I'm a {role} on the team, {time} now."],
    },
}

UNCODED_ANSWERS = {
    "fr": ["Je ne sais pas trop quoi vous dire là-dessus.", "Non, je pense que j'ai tout dit.",
           "Juste merci de nous poser la question.", "Pas vraiment, non."],
    "en": ["I'm not sure what to say about that.", "No, I think I've said it all.",
           "Just thank you for asking.", "Not really, no."],
}

# Closing answers that carry an invented contact: {name}, {phone}, {email}.
CONTACT_ANSWERS = {
    "fr": [("Oui : si vous voulez des nouvelles du comité, parlez à {name} au {phone}.",
            ("name", "phone")),
           ("Vous pouvez écrire à {name}, à {email}, c'est elle qui s'occupe des inscriptions.",
            ("name", "email")),
           ("Pour le transport, il faut appeler {name} au {phone}, elle est très fine.",
            ("name", "phone"))],
    "en": [("Yes: if you want news from the committee, talk to {name} at {phone}.",
            ("name", "phone")),
           ("You can write to {name} at {email}, she handles the sign-ups.",
            ("name", "email"))],
}

FIRST_NAMES = ["Josée", "Lucie", "Sylvie", "Nathalie", "Chantal", "Manon", "Isabelle",
               "Ginette", "Francine", "Line"]
LAST_NAMES = ["Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie",
              "Fortin", "Ouellet"]
AREA_CODES = ["819", "450", "514", "418", "873"]
PHONE_FORMATS = ["{area}-555-{line}", "({area}) 555-{line}", "{area} 555-{line}"]
EMAIL_DOMAINS = ["example.org", "example.com"]

SPEAKERS = {"fr": ("Q : ", "R : "), "en": ("Q: ", "A: ")}
