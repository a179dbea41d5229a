"""French prose of the demo teacher; keys and placeholders mirror `texts_en.TEXT_EN`."""

from __future__ import annotations

TEXT_FR: dict[str, str] = {
    "and": " et ",
    "fact.task": "est étiqueté pour la tâche {task}",
    "fact.library": "est distribué pour la bibliothèque {library}",
    "fact.license": "est publié sous la licence {license}",
    "fact.params": "compte environ {params} paramètres",
    "fact.base": "dérive de {base}",
    "fact.none": (
        "{subject} est livré avec peu de métadonnées : ce manuel s'en tient à ce que propose tout point d'accès"
        " compatible OpenAI."
    ),
    "fact.sections": "Sa fiche couvre : {sections}.",
    "fact.thin": "La fiche est mince (score de qualité {score}/100{flags}) : vérifiez vous-même chaque comportement.",
    "fact.generation": "La configuration de génération du dépôt propose {settings} : partez de ces valeurs.",
    "fact.no_generation": "Le dépôt ne publie pas de réglages de génération : commencez à basse température et ajustez.",
    "fact.license_terms": "La fiche déclare la licence {license} : lisez ses conditions avant de livrer quoi que ce soit fondé sur {model}.",
    "fact.no_license": "La fiche ne déclare aucune licence : demandez à l'éditeur avant tout usage au-delà d'essais.",
    "fact.size": "Avec environ {params} paramètres, la latence dépend beaucoup du matériel derrière le point d'accès.",
    "fact.compare_sections": "Comparez vos résultats à ce qu'affirment les sections de la fiche ({sections}).",
    "title": "{model} : manuel pratique",
    "overview": (
        "Ce manuel montre comment appeler {subject} via un point d'accès compatible OpenAI et construire autour de"
        " petits flux de travail vérifiés, une étape exécutable à la fois."
    ),
    "audience.beginner": "Développeurs qui découvrent l'appel de modèles de langage en Python",
    "audience.intermediate": "Développeurs ayant déjà utilisé une API de LLM et voulant des flux reproductibles",
    "audience.advanced": "Ingénieurs qui construisent des bancs d'évaluation et de service autour de modèles",
    "prereq.python": "Python 3.9 ou plus récent dans Jupyter, VS Code ou Colab",
    "prereq.endpoint": "Un point d'accès compatible OpenAI qui sert {model}, hébergé ou local",
    "prereq.functions": "Aisance avec les fonctions, exceptions et compréhensions de listes en Python",
    "trouble.0.problem": "ask() indique qu'il n'a pas pu joindre le point d'accès",
    "trouble.0.fix": "Vérifiez OPENAI_BASE_URL (elle finit souvent par /v1) et que le serveur tourne, puis relancez la cellule du fournisseur.",
    "trouble.1.problem": "Le serveur répond 404 ou « model not found »",
    "trouble.1.fix": "Donnez à ALAIN_MODEL le nom exact listé par le serveur (l'étape de configuration l'affiche) et relancez.",
    "trouble.2.problem": "Les réponses ne sont pas du JSON valide",
    "trouble.2.fix": "Baissez la température, montrez un objet d'exemple dans le prompt et analysez avec parse_json() de l'étape JSON.",
    "trouble.gated.problem": "Le téléchargement des poids est refusé",
    "trouble.gated.fix": "Le dépôt est à accès restreint : acceptez ses conditions sur la page du modèle avec votre compte.",
    "exercise.0.title": "Posez votre propre question",
    "exercise.0.task": "Remplacez le prompt de la première requête par une question de votre travail et comparez les réponses à température 0 et 0.8.",
    "exercise.1.title": "Enrichissez le jeu de tests",
    "exercise.1.task": "Ajoutez cinq cas de votre domaine à la liste d'évaluation et indiquez le taux de réussite de {model}.",
    "exercise.2.title": "Mesurez un lot réaliste",
    "exercise.2.task": "Envoyez vingt prompts typiques de votre usage et donnez la latence médiane, la latence maximale et la longueur moyenne des réponses.",
    "summary": (
        "Vous avez configuré un client pour {subject}, envoyé de premières requêtes et parcouru {steps} petites"
        " étapes : régler la génération, demander une sortie structurée, vérifier les réponses et mesurer le"
        " temps. Chaque étape est un modèle à reprendre dans votre propre code."
    ),
    "next.0": "Transformez les cas d'évaluation en test de régression lancé à chaque changement de modèle",
    "next.1": "Comparez {model} à un second modèle sur les mêmes prompts et le même jeu de tests",
    "next.2": "Relisez la fiche du modèle et notez les affirmations que vous pouvez maintenant tester",
    "q.base_url": "Quelle variable d'environnement dirige le notebook vers un serveur local comme vLLM ou Ollama ?",
    "a.base_url": "OPENAI_BASE_URL fixe le point d'accès ; ALAIN_MODEL nomme le modèle et OPENAI_API_KEY contient la clé.",
    "q.temperature": "Quel effet a une température de 0 sur les réponses de {model} ?",
    "o.temperature.0": "Les rend aussi reproductibles que le serveur le permet",
    "o.temperature.1": "Les rend deux fois plus longues",
    "o.temperature.2": "Désactive le message système",
    "a.temperature": "La température règle l'aléa de l'échantillonnage ; à 0 les jetons les plus probables gagnent.",
    "q.task": "Pour quelle tâche {model} est-il étiqueté sur sa fiche ?",
    "a.task": "L'étiquette de la fiche est {task} ; les autres options concernent d'autres types de modèles.",
    "q.secret": "Où doit se trouver la clé d'API du point d'accès ?",
    "o.secret.0": "Dans une variable d'environnement ou un gestionnaire de secrets",
    "o.secret.1": "Dans une cellule de code du notebook",
    "o.secret.2": "Dans le texte du prompt",
    "a.secret": "Une clé dans une cellule ou un prompt finit dans des fichiers partagés ; l'environnement l'en protège.",
    "q.json": "Pourquoi le manuel analyse-t-il les réponses JSON avec prudence ?",
    "o.json.0": "Le modèle peut entourer le JSON de texte ou renvoyer du JSON invalide",
    "o.json.1": "Analyser du JSON est plus lent que lire du texte",
    "o.json.2": "Le client ne sait pas envoyer de requêtes JSON",
    "a.json": "Un modèle prédit du texte : rien n'impose un JSON valide si le serveur ne contraint pas le décodage.",
    "q.license": "Sous quelle licence {model} est-il publié d'après sa fiche ?",
    "a.license": "La fiche déclare {license} ; lisez ses conditions avant de livrer un produit fondé sur le modèle.",
    "q.no_license": "La fiche de {model} ne déclare aucune licence. Que faire avant de l'utiliser dans un produit ?",
    "o.no_license.0": "Demander les conditions à l'éditeur",
    "o.no_license.1": "Supposer qu'il est dans le domaine public",
    "o.no_license.2": "Ne l'utiliser qu'à température 0",
    "a.no_license": "Sans licence, aucun usage n'est accordé par défaut ; seul l'éditeur peut l'accorder.",
    "section.prereq.first": "Les cellules d'installation et de configuration du fournisseur ont été exécutées",
    "section.prereq.previous": "Étape {n} terminée",
    "style.beginner": "Exécutez les cellules dans l'ordre et lisez chaque sortie avant de continuer.",
    "style.intermediate": "Changez une valeur à la fois et relancez la cellule pour en voir l'effet.",
    "style.advanced": "Voyez ces cellules comme le squelette d'un banc d'essai : mettez-les en fonctions et journalisez les résultats.",
    "generic.explanation": "Le code ci-dessous interroge le modèle sur cet objectif via ask(), pour voir sa réponse à côté de l'explication.",
    "generic.intro.0": "Demandez au modèle comment il aborderait cette étape.",
    "generic.intro.1": "Demandez un exemple concret et chronométrez la requête.",
    "generic.callout": "Cette étape a été planifiée par un autre professeur ; le professeur de démonstration la remplit d'un exercice générique.",
    "generic.takeaway": "Interroger le modèle est une première vérification rapide, pas un substitut aux tests.",
    "configure.title": "Configurer le client",
    "configure.goal": "Diriger le client OpenAI vers un point d'accès qui sert {model} et vérifier les réglages.",
    "configure.point.0": "OPENAI_BASE_URL choisit un serveur hébergé ou local",
    "configure.point.1": "Les clés viennent de l'environnement, jamais du notebook",
    "configure.objective": "Configurer un client compatible OpenAI pour {model} à partir de variables d'environnement",
    "configure.explanation": (
        "Toutes les requêtes de ce manuel passent par `ask()`, défini dans la cellule de configuration du"
        " fournisseur. Il lit `OPENAI_BASE_URL`, `OPENAI_API_KEY` et `ALAIN_MODEL` dans l'environnement : le même"
        " notebook fonctionne avec une API hébergée ou un serveur local vLLM, Ollama ou llama.cpp. {facts} Avant"
        " tout envoi, affichez ce que le client va utiliser."
    ),
    "configure.intro.0": "Affichez le point d'accès et le modèle qu'utilisera `ask()`.",
    "configure.intro.1": "Vérifiez que le point d'accès liste le modèle (ignoré sans client).",
    "configure.intro.2": "Voyez quels réglages viennent de l'environnement, sans afficher leurs valeurs.",
    "configure.callout.kind": "warning",
    "configure.callout": "Ne collez jamais de clé d'API dans une cellule : les notebooks se partagent et les clés fuient.",
    "configure.takeaway": "La configuration vit dans les variables d'environnement : le notebook ne contient aucun secret.",
    "first_request.title": "Envoyer une première requête à {model}",
    "first_request.goal": "Envoyer un prompt à {model} et lire la réponse.",
    "first_request.point.0": "Un prompt court et simple est le meilleur premier test",
    "first_request.point.1": "Un message système oriente le ton et le format",
    "first_request.objective": "Envoyer des prompts à {model} et orienter les réponses avec un message système",
    "first_request.explanation": (
        "Commencez par une question courte et simple : elle montre que le point d'accès, le nom du modèle et la"
        " clé fonctionnent. `ask()` renvoie le texte de la réponse ; afficher aussi sa longueur montre tout de"
        " suite si le serveur l'a coupée. {size}"
    ),
    "first_request.intro.0": "Posez une question et affichez la réponse avec sa longueur.",
    "first_request.intro.1": "Ajoutez un message système pour orienter le ton et le format de la réponse.",
    "first_request.intro.2": "Chronométrez une requête minimale pour connaître le coût fixe d'un appel.",
    "first_request.callout.kind": "tip",
    "first_request.callout": "Si la réponse s'arrête en pleine phrase, augmentez max_tokens : le serveur a atteint la limite.",
    "first_request.takeaway": "Un prompt court vérifie toute la chaîne : point d'accès, nom du modèle, clé et réponse.",
    "task_chat.title": "Donner une tâche claire au modèle",
    "task_chat.goal": "Écrire une instruction au format de réponse fixe et la réutiliser sur plusieurs entrées.",
    "task_chat.point.0": "Un format de réponse fixe rend les réponses faciles à vérifier",
    "task_chat.point.1": "Une fonction transforme un prompt en outil réutilisable",
    "task_chat.objective": "Transformer un prompt en fonction de tâche réutilisable et vérifiable",
    "task_chat.explanation": (
        "{subject} est un modèle génératif : la tâche tient entièrement dans le prompt. Une instruction qui fixe"
        " le format de réponse (un mot parmi une courte liste) rend chaque réponse vérifiable par le code. Ici, la"
        " tâche est de classer le sentiment de courts avis."
    ),
    "task_chat.intro.0": "Définissez l'instruction et les exemples, puis traitez le premier exemple.",
    "task_chat.intro.1": "Mettez le modèle de prompt dans une fonction et appliquez-la à chaque exemple.",
    "task_chat.intro.2": "Envoyez trois fois la même entrée pour vérifier la stabilité des réponses.",
    "task_chat.callout.kind": "tip",
    "task_chat.callout": "Listez les réponses permises dans l'instruction : des étiquettes libres se comparent mal.",
    "task_chat.takeaway": "Un format de sortie fixe fait d'un modèle conversationnel un composant testable.",
    "task_translation.title": "Traduire entre paires de langues",
    "task_translation.goal": "Traduire de courts textes avec {model} et réutiliser l'appel pour plusieurs entrées.",
    "task_translation.point.0": "Nommez explicitement la langue cible",
    "task_translation.point.1": "Demandez la traduction seule, sans commentaire",
    "task_translation.objective": "Traduire des textes avec {model} via une fonction réutilisable",
    "task_translation.explanation": (
        "{subject} est étiqueté pour la traduction. Via un point d'accès conversationnel, la paire de langues va"
        " dans l'instruction, et demander la traduction seule garde une sortie propre pour la suite."
    ),
    "task_translation.intro.0": "Définissez l'instruction et les phrases d'exemple, puis traduisez la première.",
    "task_translation.intro.1": "Mettez l'appel dans une fonction et traduisez chaque exemple.",
    "task_translation.intro.2": "Traduisez trois fois la même phrase pour vérifier la stabilité.",
    "task_translation.callout.kind": "note",
    "task_translation.callout": "Vérifiez les langues listées sur la fiche : la qualité chute nettement en dehors.",
    "task_translation.takeaway": "Précisez la langue cible et le format de sortie dans chaque prompt de traduction.",
    "task_summarization.title": "Résumer des textes de longueurs variées",
    "task_summarization.goal": "Résumer de courts textes avec {model} et réutiliser l'appel pour plusieurs entrées.",
    "task_summarization.point.0": "Fixez la longueur du résumé dans l'instruction",
    "task_summarization.point.1": "Comparez les résumés aux faits de la source",
    "task_summarization.objective": "Résumer des textes avec {model} à longueur fixe",
    "task_summarization.explanation": (
        "{subject} est étiqueté pour le résumé. Fixer la longueur dans l'instruction (une phrase) rend les résumés"
        " comparables, et les lire à côté de la source montre si les faits sont conservés."
    ),
    "task_summarization.intro.0": "Définissez l'instruction et deux textes d'exemple, puis résumez le premier.",
    "task_summarization.intro.1": "Mettez l'appel dans une fonction et résumez chaque exemple.",
    "task_summarization.intro.2": "Résumez trois fois le même texte pour vérifier la stabilité.",
    "task_summarization.callout.kind": "warning",
    "task_summarization.callout": "Un résumé peut inventer des faits absents de la source : vérifiez noms et chiffres.",
    "task_summarization.takeaway": "Une longueur fixe et une vérification face à la source rendent les résumés fiables.",
    "task_other.title": "Formuler la tâche {task} en prompt",
    "task_other.title_generic": "Formuler votre tâche en prompt",
    "task_other.goal": "Exprimer la tâche du modèle comme une instruction et l'appliquer à des exemples.",
    "task_other.point.0": "Un point d'accès conversationnel exige une tâche explicite",
    "task_other.point.1": "Des réponses courtes au format fixe se vérifient facilement",
    "task_other.objective": "Exprimer une tâche en prompt avec un format de réponse fixe",
    "task_other.explanation": (
        "{facts} Derrière un point d'accès conversationnel compatible OpenAI, la tâche doit être explicitée dans"
        " l'instruction, avec un format de réponse court et fixe pour que le code puisse vérifier la sortie."
    ),
    "task_other.intro.0": "Définissez l'instruction et les exemples, puis traitez le premier exemple.",
    "task_other.intro.1": "Mettez le modèle de prompt dans une fonction et appliquez-la à chaque exemple.",
    "task_other.intro.2": "Envoyez trois fois la même entrée pour vérifier la stabilité des réponses.",
    "task_other.callout.kind": "note",
    "task_other.callout": "Si votre serveur propose un point d'accès dédié à cette tâche, préférez-le au chat.",
    "task_other.takeaway": "Explicitez la tâche et le format de réponse : le modèle ne peut pas les deviner.",
    "parameters.title": "Régler les paramètres de génération",
    "parameters.goal": "Voir comment température, max_tokens et séquences d'arrêt changent les réponses.",
    "parameters.point.0": "La température échange reproductibilité contre variété",
    "parameters.point.1": "max_tokens plafonne la longueur et le coût",
    "parameters.objective": "Contrôler les réponses avec température, max_tokens et séquences d'arrêt",
    "parameters.explanation": (
        "Les réglages d'échantillonnage changent plus les réponses que la plupart des retouches de prompt. La"
        " température règle l'aléa, `max_tokens` plafonne la longueur (et le coût), et les séquences d'arrêt"
        " terminent une réponse plus tôt. {generation}"
    ),
    "parameters.intro.0": "Comparez le même prompt à deux températures.",
    "parameters.intro.1": "Voyez comment max_tokens plafonne la longueur de la réponse.",
    "parameters.intro.2": "Combinez top_p et une séquence d'arrêt pour terminer plus tôt.",
    "parameters.callout.kind": "tip",
    "parameters.callout": "Température 0 pour les tests et l'extraction ; montez-la seulement pour du texte créatif.",
    "parameters.takeaway": "Fixez les réglages d'échantillonnage avant de juger un prompt : ils pèsent autant.",
    "structured.title": "Demander une sortie JSON structurée",
    "structured.goal": "Obtenir du JSON de {model} et l'analyser de façon robuste.",
    "structured.point.0": "La réponse peut entourer le JSON de texte",
    "structured.point.1": "Validez les clés requises et réessayez en donnant la raison",
    "structured.objective": "Obtenir et valider une sortie JSON structurée de {model}",
    "structured.explanation": (
        "Un programme a besoin de données, pas de prose. Demander du JSON marche mieux avec une liste explicite"
        " de clés, une basse température et un analyseur qui tolère du texte autour de l'objet. Quand des clés"
        " manquent, réessayer en les nommant corrige souvent la réponse."
    ),
    "structured.intro.0": "Demandez un objet JSON et analysez-le prudemment.",
    "structured.intro.1": "Exigez des clés et réessayez une fois en nommant celles qui manquent.",
    "structured.intro.2": "Essayez le mode JSON du serveur, que certains points d'accès proposent.",
    "structured.callout.kind": "warning",
    "structured.callout": "Ne faites pas confiance au JSON analysé : vérifiez types et bornes avant d'utiliser les valeurs.",
    "structured.takeaway": "Demandez des clés explicites, analysez prudemment et validez avant usage.",
    "evaluate.title": "Évaluer les réponses par des contrôles simples",
    "evaluate.goal": "Noter {model} sur un petit jeu de tests avec des contrôles automatiques.",
    "evaluate.point.0": "Un petit jeu de tests repère tôt les régressions",
    "evaluate.point.1": "Le crédit partiel révèle les problèmes de format",
    "evaluate.objective": "Noter des réponses sur un petit jeu de tests automatiques",
    "evaluate.explanation": (
        "Quelques prompts aux réponses connues forment l'évaluation la moins chère qui soit. Les contrôles exacts"
        " repèrent les mauvaises réponses ; le crédit partiel révèle les bonnes réponses noyées dans du texte, un"
        " problème de format plutôt que de connaissances. {sections}"
    ),
    "evaluate.intro.0": "Lancez trois cas aux réponses connues et comptez les réussites.",
    "evaluate.intro.1": "Notez séparément les réponses exactes et partielles.",
    "evaluate.callout.kind": "tip",
    "evaluate.callout": "Gardez le jeu de tests sous gestion de versions et relancez-le à chaque changement.",
    "evaluate.takeaway": "Un petit jeu de tests automatique vaut mieux qu'une lecture à l'œil.",
    "batch.title": "Envoyer des lots et mesurer la latence",
    "batch.goal": "Envoyer plusieurs prompts et mesurer latence et débit.",
    "batch.point.0": "Latence médiane et maximale racontent des choses différentes",
    "batch.point.1": "La concurrence n'aide que dans la limite du serveur",
    "batch.objective": "Mesurer la latence et le débit de requêtes en lot",
    "batch.explanation": (
        "Avant de bâtir sur un modèle, sachez ce que coûte une requête en temps. Chronométrer plusieurs prompts"
        " donne une médiane (cas typique) et un maximum (pire cas) ; en envoyer deux à la fois montre si le"
        " serveur gère la concurrence. {size}"
    ),
    "batch.intro.0": "Chronométrez quatre requêtes une à une et donnez latence médiane et maximale.",
    "batch.intro.1": "Envoyez les mêmes prompts avec deux workers et comparez la durée totale.",
    "batch.intro.2": "Estimez le débit en mots par seconde.",
    "batch.callout.kind": "note",
    "batch.callout": "Les serveurs locaux traitent souvent une requête à la fois : plus de workers ajoute alors de l'attente.",
    "batch.takeaway": "Mesurez la latence avec vos prompts sur votre point d'accès avant de promettre une vitesse.",
    "limits.title": "Gérer les erreurs et respecter la licence",
    "limits.goal": "Réessayer les échecs passagers, limiter la taille des prompts et vérifier la licence.",
    "limits.point.0": "Des reprises avec attente croissante absorbent les échecs passagers",
    "limits.point.1": "La licence décide de ce que vous pouvez construire",
    "limits.objective": "Gérer les échecs passagers et vérifier la licence de {model}",
    "limits.explanation": (
        "Les vrais points d'accès échouent parfois : limites de débit, redémarrages, délais dépassés. Une reprise"
        " avec attente exponentielle en absorbe l'essentiel, et un garde-fou de taille arrête les prompts trop"
        " longs avant qu'ils n'échouent lentement. {license} {quality}"
    ),
    "limits.intro.0": "Enveloppez ask() dans une reprise avec attente exponentielle.",
    "limits.intro.1": "Limitez la taille du prompt et affichez la licence déclarée sur la fiche.",
    "limits.callout.kind": "warning",
    "limits.callout": "Ne réessayez pas une erreur qui ne peut pas réussir plus tard, comme une mauvaise clé ou un modèle inconnu.",
    "limits.takeaway": "Prévoyez les échecs et lisez la licence avant de bâtir sur un modèle.",
}
