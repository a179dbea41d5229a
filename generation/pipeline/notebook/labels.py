"""The fixed words of a manual (headings, banners, instructions) in each supported language.

Teacher prose arrives in the run's language; these labels make the frame around it match.
Unknown languages fall back to English, key by key, so a missing translation never breaks a build.
"""

from __future__ import annotations

FALLBACK_LANGUAGE = "en"

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "subject": "Subject",
        "audience": "Audience",
        "difficulty": "Difficulty",
        "reading_time": "Target reading time: about {minutes} minutes",
        "objectives": "Learning objectives",
        "before_you_start": "Before you start",
        "demo_banner": (
            "**Demo content.** This manual was written by ALAIN's offline demo teacher from the model's"
            " metadata, not by a language model. Use it to try the workflow; do not treat it as reviewed guidance."
        ),
        "thin_note": (
            "**Note:** the source documentation is thin (quality score {score}/100). Claims in this manual"
            " lean on general practice more than on the card: check behaviour yourself before relying on it."
        ),
        "source_notes": "**About the source:**",
        "setup": "Setup",
        "setup_text": (
            "Install the pinned packages below (the versions are exact so the manual runs the same everywhere),"
            " then run the environment check. It reports what is missing instead of failing."
        ),
        "provider": "Provider configuration",
        "provider_text": (
            "The code talks to any OpenAI-compatible endpoint. Set these environment variables before starting"
            " the notebook (or in Colab's secrets panel):"
        ),
        "env_base_url": (
            "`OPENAI_BASE_URL`: leave unset for OpenAI; for a local server use its `/v1` address, e.g."
            " `http://localhost:8000/v1` (vLLM), `http://localhost:11434/v1` (Ollama) or"
            " `http://localhost:8080/v1` (llama.cpp)."
        ),
        "env_api_key": (
            "`OPENAI_API_KEY`: your key for a hosted provider. Local servers usually need none. When it is"
            " missing you are asked for it only in an interactive session; it is never stored in the notebook."
        ),
        "env_model": "`ALAIN_MODEL`: the model name your endpoint serves (default: `{model}`).",
        "env_dry_run": (
            "`ALAIN_DRY_RUN=1`: answer every `ask()` with a stand-in reply, without any network call"
            " (for checking the notebook runs)."
        ),
        "provider_helper": (
            "The cell defines `ask(prompt, **options)`, which sends one chat message and returns the reply"
            " text. The steps below use it."
        ),
        "seeds": "Deterministic seeds",
        "seeds_text": (
            "Fix the random seeds so that any sampling done in Python gives the same results on every run."
            " Model replies can still vary unless the server honours a seed and a temperature of 0."
        ),
        "step": "Step {n}: {title}",
        "prerequisites": "Prerequisites",
        "takeaway": "Key takeaway",
        "next_section": "Next section",
        "tip": "Tip",
        "warning": "Warning",
        "note": "Note",
        "exercises": "Exercises",
        "exercise": "Exercise {n}: {title}",
        "estimated_tokens": "Estimated tokens",
        "easy": "easy",
        "medium": "medium",
        "hard": "hard",
        "assessment": "Assessment",
        "assessment_text": (
            "Check your understanding: pick an answer for each question and press the button."
            " Without ipywidgets the questions are printed with their answers."
        ),
        "check_answer": "Check answer",
        "correct": "Correct.",
        "incorrect": "Not quite.",
        "choose_first": "Choose an option first.",
        "answer": "Answer",
        "question": "Question",
        "summary": "Summary",
        "next_steps": "Next steps",
        "references": "References",
        "no_references": "The research stage found no links for this source.",
        "troubleshooting": "Troubleshooting",
        "problem": "Problem",
        "fix": "Fix",
        "metadata": "Notebook metadata",
        "metadata_text": "Written by ALAIN when the notebook was built; tools read it, readers may skip it.",
        "beginner": "beginner",
        "intermediate": "intermediate",
        "advanced": "advanced",
    },
    "fr": {
        "subject": "Sujet",
        "audience": "Public",
        "difficulty": "Niveau",
        "reading_time": "Temps de lecture visé : environ {minutes} minutes",
        "objectives": "Objectifs d'apprentissage",
        "before_you_start": "Avant de commencer",
        "demo_banner": (
            "**Contenu de démonstration.** Ce manuel a été écrit par le professeur de démonstration hors ligne"
            " d'ALAIN à partir des métadonnées du modèle, pas par un modèle de langage. Servez-vous-en pour"
            " essayer le flux de travail, pas comme d'un guide relu."
        ),
        "thin_note": (
            "**Remarque :** la documentation source est mince (score de qualité {score}/100). Ce manuel"
            " s'appuie davantage sur les pratiques générales que sur la fiche : vérifiez le comportement vous-même."
        ),
        "source_notes": "**À propos de la source :**",
        "setup": "Installation",
        "setup_text": (
            "Installez les paquets épinglés ci-dessous (versions exactes pour que le manuel s'exécute partout"
            " de la même façon), puis lancez la vérification de l'environnement : elle signale ce qui manque"
            " sans échouer."
        ),
        "provider": "Configuration du fournisseur",
        "provider_text": (
            "Le code parle à n'importe quel point d'accès compatible OpenAI. Définissez ces variables"
            " d'environnement avant de lancer le notebook (ou dans le panneau des secrets de Colab) :"
        ),
        "env_base_url": (
            "`OPENAI_BASE_URL` : à laisser vide pour OpenAI ; pour un serveur local, son adresse `/v1`, par"
            " exemple `http://localhost:8000/v1` (vLLM), `http://localhost:11434/v1` (Ollama) ou"
            " `http://localhost:8080/v1` (llama.cpp)."
        ),
        "env_api_key": (
            "`OPENAI_API_KEY` : votre clé pour un fournisseur hébergé. Les serveurs locaux n'en demandent"
            " généralement pas. Si elle manque, elle n'est demandée qu'en session interactive et n'est jamais"
            " enregistrée dans le notebook."
        ),
        "env_model": "`ALAIN_MODEL` : le nom du modèle servi par votre point d'accès (par défaut : `{model}`).",
        "env_dry_run": (
            "`ALAIN_DRY_RUN=1` : chaque appel à `ask()` reçoit une réponse de remplacement, sans appel réseau"
            " (pour vérifier que le notebook s'exécute)."
        ),
        "provider_helper": (
            "La cellule définit `ask(prompt, **options)`, qui envoie un message et renvoie le texte de la"
            " réponse. Les étapes suivantes s'en servent."
        ),
        "seeds": "Graines déterministes",
        "seeds_text": (
            "Fixez les graines aléatoires pour que tout tirage fait en Python donne les mêmes résultats à"
            " chaque exécution. Les réponses du modèle peuvent varier, sauf si le serveur respecte une graine"
            " et une température de 0."
        ),
        "step": "Étape {n} : {title}",
        "prerequisites": "Prérequis",
        "takeaway": "À retenir",
        "next_section": "Section suivante",
        "tip": "Astuce",
        "warning": "Attention",
        "note": "Remarque",
        "exercises": "Exercices",
        "exercise": "Exercice {n} : {title}",
        "estimated_tokens": "Jetons estimés",
        "easy": "facile",
        "medium": "moyen",
        "hard": "difficile",
        "assessment": "Évaluation",
        "assessment_text": (
            "Vérifiez vos acquis : choisissez une réponse pour chaque question puis appuyez sur le bouton."
            " Sans ipywidgets, les questions sont affichées avec leurs réponses."
        ),
        "check_answer": "Vérifier",
        "correct": "Exact.",
        "incorrect": "Pas tout à fait.",
        "choose_first": "Choisissez d'abord une option.",
        "answer": "Réponse",
        "question": "Question",
        "summary": "Résumé",
        "next_steps": "Pour aller plus loin",
        "references": "Références",
        "no_references": "L'étape de recherche n'a trouvé aucun lien pour cette source.",
        "troubleshooting": "Dépannage",
        "problem": "Problème",
        "fix": "Solution",
        "metadata": "Métadonnées du notebook",
        "metadata_text": "Écrites par ALAIN à la construction du notebook ; les outils les lisent, vous pouvez les ignorer.",
        "beginner": "débutant",
        "intermediate": "intermédiaire",
        "advanced": "avancé",
    },
    "es": {
        "subject": "Tema",
        "audience": "Público",
        "difficulty": "Nivel",
        "reading_time": "Tiempo de lectura previsto: unos {minutes} minutos",
        "objectives": "Objetivos de aprendizaje",
        "before_you_start": "Antes de empezar",
        "demo_banner": (
            "**Contenido de demostración.** Este manual lo escribió el profesor de demostración sin conexión"
            " de ALAIN a partir de los metadatos del modelo, no un modelo de lenguaje. Úselo para probar el"
            " flujo de trabajo, no como una guía revisada."
        ),
        "thin_note": (
            "**Nota:** la documentación de origen es escasa (puntuación de calidad {score}/100). Este manual"
            " se apoya más en la práctica general que en la ficha: compruebe el comportamiento usted mismo."
        ),
        "source_notes": "**Sobre la fuente:**",
        "setup": "Instalación",
        "setup_text": (
            "Instale los paquetes fijados a continuación (versiones exactas para que el manual se ejecute igual"
            " en todas partes) y ejecute la comprobación del entorno: informa de lo que falta sin fallar."
        ),
        "provider": "Configuración del proveedor",
        "provider_text": (
            "El código habla con cualquier punto de acceso compatible con OpenAI. Defina estas variables de"
            " entorno antes de abrir el notebook (o en el panel de secretos de Colab):"
        ),
        "env_base_url": (
            "`OPENAI_BASE_URL`: déjela sin definir para OpenAI; para un servidor local, su dirección `/v1`, por"
            " ejemplo `http://localhost:8000/v1` (vLLM), `http://localhost:11434/v1` (Ollama) o"
            " `http://localhost:8080/v1` (llama.cpp)."
        ),
        "env_api_key": (
            "`OPENAI_API_KEY`: su clave para un proveedor alojado. Los servidores locales no suelen pedirla."
            " Si falta, solo se solicita en una sesión interactiva y nunca se guarda en el notebook."
        ),
        "env_model": "`ALAIN_MODEL`: el nombre del modelo que sirve su punto de acceso (por defecto: `{model}`).",
        "env_dry_run": (
            "`ALAIN_DRY_RUN=1`: cada llamada a `ask()` recibe una respuesta sustituta, sin llamadas de red"
            " (para comprobar que el notebook se ejecuta)."
        ),
        "provider_helper": (
            "La celda define `ask(prompt, **options)`, que envía un mensaje y devuelve el texto de la"
            " respuesta. Los pasos siguientes la usan."
        ),
        "seeds": "Semillas deterministas",
        "seeds_text": (
            "Fije las semillas aleatorias para que cualquier muestreo hecho en Python dé los mismos resultados"
            " en cada ejecución. Las respuestas del modelo pueden variar salvo que el servidor respete una"
            " semilla y una temperatura de 0."
        ),
        "step": "Paso {n}: {title}",
        "prerequisites": "Requisitos previos",
        "takeaway": "Idea clave",
        "next_section": "Siguiente sección",
        "tip": "Consejo",
        "warning": "Advertencia",
        "note": "Nota",
        "exercises": "Ejercicios",
        "exercise": "Ejercicio {n}: {title}",
        "estimated_tokens": "Tokens estimados",
        "easy": "fácil",
        "medium": "medio",
        "hard": "difícil",
        "assessment": "Evaluación",
        "assessment_text": (
            "Compruebe lo aprendido: elija una respuesta para cada pregunta y pulse el botón."
            " Sin ipywidgets, las preguntas se imprimen con sus respuestas."
        ),
        "check_answer": "Comprobar",
        "correct": "Correcto.",
        "incorrect": "No exactamente.",
        "choose_first": "Elija primero una opción.",
        "answer": "Respuesta",
        "question": "Pregunta",
        "summary": "Resumen",
        "next_steps": "Próximos pasos",
        "references": "Referencias",
        "no_references": "La etapa de investigación no encontró enlaces para esta fuente.",
        "troubleshooting": "Solución de problemas",
        "problem": "Problema",
        "fix": "Solución",
        "metadata": "Metadatos del notebook",
        "metadata_text": "Los escribe ALAIN al construir el notebook; las herramientas los leen, puede omitirlos.",
        "beginner": "principiante",
        "intermediate": "intermedio",
        "advanced": "avanzado",
    },
    "de": {
        "subject": "Thema",
        "audience": "Zielgruppe",
        "difficulty": "Niveau",
        "reading_time": "Geplante Lesezeit: etwa {minutes} Minuten",
        "objectives": "Lernziele",
        "before_you_start": "Bevor Sie beginnen",
        "demo_banner": (
            "**Demo-Inhalt.** Dieses Handbuch hat ALAINs Offline-Demo-Lehrer aus den Metadaten des Modells"
            " geschrieben, nicht ein Sprachmodell. Nutzen Sie es, um den Ablauf auszuprobieren, nicht als"
            " geprüfte Anleitung."
        ),
        "thin_note": (
            "**Hinweis:** Die Quelldokumentation ist dünn (Qualitätswert {score}/100). Dieses Handbuch stützt"
            " sich mehr auf allgemeine Praxis als auf die Modellkarte: Prüfen Sie das Verhalten selbst."
        ),
        "source_notes": "**Zur Quelle:**",
        "setup": "Einrichtung",
        "setup_text": (
            "Installieren Sie die unten fest gepinnten Pakete (exakte Versionen, damit das Handbuch überall"
            " gleich läuft) und führen Sie dann die Umgebungsprüfung aus: Sie meldet Fehlendes, ohne abzubrechen."
        ),
        "provider": "Anbieter-Konfiguration",
        "provider_text": (
            "Der Code spricht mit jedem OpenAI-kompatiblen Endpunkt. Setzen Sie diese Umgebungsvariablen vor"
            " dem Start des Notebooks (oder im Secrets-Bereich von Colab):"
        ),
        "env_base_url": (
            "`OPENAI_BASE_URL`: für OpenAI leer lassen; für einen lokalen Server dessen `/v1`-Adresse, z. B."
            " `http://localhost:8000/v1` (vLLM), `http://localhost:11434/v1` (Ollama) oder"
            " `http://localhost:8080/v1` (llama.cpp)."
        ),
        "env_api_key": (
            "`OPENAI_API_KEY`: Ihr Schlüssel für einen gehosteten Anbieter. Lokale Server brauchen meist keinen."
            " Fehlt er, wird er nur in einer interaktiven Sitzung abgefragt und nie im Notebook gespeichert."
        ),
        "env_model": "`ALAIN_MODEL`: der Modellname, den Ihr Endpunkt bereitstellt (Standard: `{model}`).",
        "env_dry_run": (
            "`ALAIN_DRY_RUN=1`: jeder Aufruf von `ask()` erhält eine Ersatzantwort, ohne Netzwerkzugriff"
            " (um zu prüfen, dass das Notebook läuft)."
        ),
        "provider_helper": (
            "Die Zelle definiert `ask(prompt, **options)`, das eine Nachricht sendet und den Antworttext"
            " zurückgibt. Die folgenden Schritte verwenden es."
        ),
        "seeds": "Deterministische Seeds",
        "seeds_text": (
            "Legen Sie die Zufalls-Seeds fest, damit Zufallsziehungen in Python bei jedem Lauf gleich ausfallen."
            " Modellantworten können trotzdem variieren, außer der Server beachtet Seed und Temperatur 0."
        ),
        "step": "Schritt {n}: {title}",
        "prerequisites": "Voraussetzungen",
        "takeaway": "Das Wichtigste",
        "next_section": "Nächster Abschnitt",
        "tip": "Tipp",
        "warning": "Warnung",
        "note": "Hinweis",
        "exercises": "Übungen",
        "exercise": "Übung {n}: {title}",
        "estimated_tokens": "Geschätzte Tokens",
        "easy": "leicht",
        "medium": "mittel",
        "hard": "schwer",
        "assessment": "Lernkontrolle",
        "assessment_text": (
            "Prüfen Sie Ihr Verständnis: Wählen Sie zu jeder Frage eine Antwort und drücken Sie die Schaltfläche."
            " Ohne ipywidgets werden die Fragen mit ihren Antworten ausgegeben."
        ),
        "check_answer": "Prüfen",
        "correct": "Richtig.",
        "incorrect": "Nicht ganz.",
        "choose_first": "Wählen Sie zuerst eine Option.",
        "answer": "Antwort",
        "question": "Frage",
        "summary": "Zusammenfassung",
        "next_steps": "Nächste Schritte",
        "references": "Quellen",
        "no_references": "Die Recherche hat für diese Quelle keine Links gefunden.",
        "troubleshooting": "Fehlerbehebung",
        "problem": "Problem",
        "fix": "Lösung",
        "metadata": "Notebook-Metadaten",
        "metadata_text": "Von ALAIN beim Erstellen geschrieben; Werkzeuge lesen sie, Leser können sie überspringen.",
        "beginner": "Einsteiger",
        "intermediate": "Fortgeschrittene",
        "advanced": "Experten",
    },
}

SUPPORTED_LANGUAGES: tuple[str, ...] = tuple(LABELS)


def label(language: str, key: str, **values: object) -> str:
    """The label `key` in `language` (or English), with `values` filled in."""
    table = LABELS.get(base_language(language), LABELS[FALLBACK_LANGUAGE])
    text = table.get(key) or LABELS[FALLBACK_LANGUAGE][key]
    return text.format(**values) if values else text


def base_language(language: str) -> str:
    """`fr-CA` -> `fr`; unknown or empty -> the fallback."""
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LABELS else FALLBACK_LANGUAGE
