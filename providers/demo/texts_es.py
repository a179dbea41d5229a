"""Spanish prose of the demo teacher; keys and placeholders mirror `texts_en.TEXT_EN`."""

from __future__ import annotations

TEXT_ES: dict[str, str] = {
    "and": " y ",
    "fact.task": "está etiquetado para la tarea {task}",
    "fact.library": "se distribuye para la biblioteca {library}",
    "fact.license": "se publica bajo la licencia {license}",
    "fact.params": "tiene unos {params} parámetros",
    "fact.base": "deriva de {base}",
    "fact.none": (
        "{subject} trae pocos metadatos, así que este manual se limita a lo que ofrece cualquier punto de acceso"
        " compatible con OpenAI."
    ),
    "fact.sections": "Su ficha cubre: {sections}.",
    "fact.thin": "La ficha es escasa (puntuación de calidad {score}/100{flags}): compruebe usted mismo cada comportamiento.",
    "fact.generation": "La configuración de generación del repositorio sugiere {settings}: parta de esos valores.",
    "fact.no_generation": "El repositorio no publica ajustes de generación: empiece con una temperatura baja y ajuste.",
    "fact.license_terms": "La ficha declara la licencia {license}: lea sus condiciones antes de publicar algo basado en {model}.",
    "fact.no_license": "La ficha no declara licencia: consulte al editor antes de cualquier uso más allá de pruebas.",
    "fact.size": "Con unos {params} parámetros, la latencia depende mucho del hardware detrás del punto de acceso.",
    "fact.compare_sections": "Compare sus resultados con lo que afirman las secciones de la ficha ({sections}).",
    "title": "{model}: manual práctico",
    "overview": (
        "Este manual muestra cómo llamar a {subject} a través de un punto de acceso compatible con OpenAI y"
        " construir a su alrededor pequeños flujos de trabajo comprobados, un paso ejecutable cada vez."
    ),
    "audience.beginner": "Desarrolladores que empiezan a llamar modelos de lenguaje desde Python",
    "audience.intermediate": "Desarrolladores que ya usaron una API de LLM y quieren flujos reproducibles",
    "audience.advanced": "Ingenieros que construyen bancos de evaluación y de servicio alrededor de modelos",
    "prereq.python": "Python 3.9 o posterior en Jupyter, VS Code o Colab",
    "prereq.endpoint": "Un punto de acceso compatible con OpenAI que sirva {model}, alojado o local",
    "prereq.functions": "Soltura con funciones, excepciones y listas por comprensión en Python",
    "trouble.0.problem": "ask() indica que no pudo alcanzar el punto de acceso",
    "trouble.0.fix": "Revise OPENAI_BASE_URL (suele terminar en /v1) y que el servidor esté en marcha; luego vuelva a ejecutar la celda del proveedor.",
    "trouble.1.problem": "El servidor responde 404 o «model not found»",
    "trouble.1.fix": "Asigne a ALAIN_MODEL el nombre exacto que lista el servidor (el paso de configuración lo muestra) y repita.",
    "trouble.2.problem": "Las respuestas no son JSON válido",
    "trouble.2.fix": "Baje la temperatura, muestre un objeto de ejemplo en el prompt y analice con parse_json() del paso JSON.",
    "trouble.gated.problem": "Se rechaza la descarga de los pesos",
    "trouble.gated.fix": "El repositorio es de acceso restringido: acepte sus condiciones en la página del modelo con su cuenta.",
    "exercise.0.title": "Haga su propia pregunta",
    "exercise.0.task": "Sustituya el prompt de la primera petición por una pregunta de su trabajo y compare las respuestas con temperatura 0 y 0.8.",
    "exercise.1.title": "Amplíe el conjunto de pruebas",
    "exercise.1.task": "Añada cinco casos de su dominio a la lista de evaluación e indique la tasa de aciertos de {model}.",
    "exercise.2.title": "Mida un lote realista",
    "exercise.2.task": "Envíe veinte prompts típicos de su caso de uso e indique la latencia mediana, la máxima y la longitud media de las respuestas.",
    "summary": (
        "Configuró un cliente para {subject}, envió las primeras peticiones y recorrió {steps} pasos breves:"
        " controlar la generación, pedir salida estructurada, comprobar respuestas y medir el tiempo. Cada paso"
        " es un patrón que puede llevar a su propio código."
    ),
    "next.0": "Convierta los casos de evaluación en una prueba de regresión para cada cambio de modelo",
    "next.1": "Compare {model} con un segundo modelo con los mismos prompts y pruebas",
    "next.2": "Vuelva a leer la ficha del modelo y anote las afirmaciones que ya puede comprobar",
    "q.base_url": "¿Qué variable de entorno dirige el notebook a un servidor local como vLLM u Ollama?",
    "a.base_url": "OPENAI_BASE_URL fija el punto de acceso; ALAIN_MODEL nombra el modelo y OPENAI_API_KEY guarda la clave.",
    "q.temperature": "¿Qué efecto tiene una temperatura de 0 en las respuestas de {model}?",
    "o.temperature.0": "Las hace tan repetibles como permita el servidor",
    "o.temperature.1": "Las hace el doble de largas",
    "o.temperature.2": "Desactiva el mensaje de sistema",
    "a.temperature": "La temperatura regula el azar del muestreo; con 0 ganan los tokens más probables.",
    "q.task": "¿Para qué tarea está etiquetado {model} en su ficha?",
    "a.task": "La etiqueta de la ficha es {task}; las otras opciones corresponden a otros tipos de modelos.",
    "q.secret": "¿Dónde debe guardarse la clave de API del punto de acceso?",
    "o.secret.0": "En una variable de entorno o un gestor de secretos",
    "o.secret.1": "En una celda de código del notebook",
    "o.secret.2": "Dentro del texto del prompt",
    "a.secret": "Una clave en una celda o un prompt acaba en archivos compartidos; el entorno la mantiene fuera.",
    "q.json": "¿Por qué el manual analiza las respuestas JSON con cautela?",
    "o.json.0": "El modelo puede rodear el JSON de texto o devolver JSON inválido",
    "o.json.1": "Analizar JSON es más lento que leer texto",
    "o.json.2": "El cliente no puede enviar peticiones JSON",
    "a.json": "Un modelo predice texto: nada obliga a un JSON válido si el servidor no restringe la decodificación.",
    "q.license": "¿Bajo qué licencia se publica {model} según su ficha?",
    "a.license": "La ficha declara {license}; lea sus condiciones antes de publicar algo basado en el modelo.",
    "q.no_license": "La ficha de {model} no declara licencia. ¿Qué debe hacer antes de usarlo en un producto?",
    "o.no_license.0": "Pedir las condiciones al editor",
    "o.no_license.1": "Suponer que es de dominio público",
    "o.no_license.2": "Usarlo solo con temperatura 0",
    "a.no_license": "Sin licencia no se concede ningún uso por defecto; solo el editor puede concederlo.",
    "section.prereq.first": "Las celdas de instalación y de configuración del proveedor se han ejecutado",
    "section.prereq.previous": "Paso {n} completado",
    "style.beginner": "Ejecute las celdas en orden y lea cada salida antes de seguir.",
    "style.intermediate": "Cambie un valor cada vez y vuelva a ejecutar la celda para ver su efecto.",
    "style.advanced": "Trate estas celdas como el esqueleto de un banco de pruebas: conviértalas en funciones y registre los resultados.",
    "generic.explanation": "El código siguiente pregunta al modelo por este objetivo mediante ask(), para ver su respuesta junto a la explicación.",
    "generic.intro.0": "Pregunte al modelo cómo abordaría este paso.",
    "generic.intro.1": "Pida un ejemplo concreto y mida el tiempo de la petición.",
    "generic.callout": "Este paso lo planificó otro profesor; el profesor de demostración lo rellena con un ejercicio genérico.",
    "generic.takeaway": "Preguntar al propio modelo es una primera comprobación rápida, no un sustituto de las pruebas.",
    "configure.title": "Configurar el cliente",
    "configure.goal": "Dirigir el cliente de OpenAI a un punto de acceso que sirva {model} y revisar los ajustes.",
    "configure.point.0": "OPENAI_BASE_URL elige un servidor alojado o local",
    "configure.point.1": "Las claves vienen del entorno, nunca del notebook",
    "configure.objective": "Configurar un cliente compatible con OpenAI para {model} desde variables de entorno",
    "configure.explanation": (
        "Todas las peticiones de este manual pasan por `ask()`, definido en la celda de configuración del"
        " proveedor. Lee `OPENAI_BASE_URL`, `OPENAI_API_KEY` y `ALAIN_MODEL` del entorno, así que el mismo"
        " notebook funciona con una API alojada o con un servidor local vLLM, Ollama o llama.cpp. {facts} Antes"
        " de enviar nada, muestre lo que usará el cliente."
    ),
    "configure.intro.0": "Muestre el punto de acceso y el modelo que usará `ask()`.",
    "configure.intro.1": "Compruebe que el punto de acceso lista el modelo (se omite sin cliente).",
    "configure.intro.2": "Vea qué ajustes vienen del entorno, sin mostrar sus valores.",
    "configure.callout.kind": "warning",
    "configure.callout": "Nunca pegue una clave de API en una celda: los notebooks se comparten y las claves se filtran.",
    "configure.takeaway": "La configuración vive en variables de entorno, así que el notebook no guarda secretos.",
    "first_request.title": "Enviar una primera petición a {model}",
    "first_request.goal": "Enviar un prompt a {model} y leer la respuesta.",
    "first_request.point.0": "Un prompt corto y sencillo es la mejor primera prueba",
    "first_request.point.1": "Un mensaje de sistema orienta el tono y el formato",
    "first_request.objective": "Enviar prompts a {model} y orientar las respuestas con un mensaje de sistema",
    "first_request.explanation": (
        "Empiece con una pregunta corta y sencilla: demuestra que el punto de acceso, el nombre del modelo y la"
        " clave funcionan. `ask()` devuelve el texto de la respuesta; mostrar también su longitud revela al"
        " momento si el servidor la cortó. {size}"
    ),
    "first_request.intro.0": "Haga una pregunta y muestre la respuesta con su longitud.",
    "first_request.intro.1": "Añada un mensaje de sistema para orientar el tono y el formato.",
    "first_request.intro.2": "Mida una petición mínima para conocer el coste fijo de una llamada.",
    "first_request.callout.kind": "tip",
    "first_request.callout": "Si la respuesta se corta a media frase, suba max_tokens: el servidor llegó al límite.",
    "first_request.takeaway": "Un prompt corto comprueba toda la cadena: punto de acceso, modelo, clave y respuesta.",
    "task_chat.title": "Dar al modelo una tarea clara",
    "task_chat.goal": "Escribir una instrucción con formato de respuesta fijo y reutilizarla con varias entradas.",
    "task_chat.point.0": "Un formato de respuesta fijo facilita la comprobación",
    "task_chat.point.1": "Una función convierte un prompt en una herramienta reutilizable",
    "task_chat.objective": "Convertir un prompt en una función de tarea reutilizable y comprobable",
    "task_chat.explanation": (
        "{subject} es un modelo generativo: la tarea vive entera en el prompt. Una instrucción que fija el formato"
        " de respuesta (una palabra de una lista corta) hace que cada respuesta se pueda comprobar con código."
        " Aquí la tarea es clasificar el sentimiento de reseñas breves."
    ),
    "task_chat.intro.0": "Defina la instrucción y las entradas de ejemplo, y procese la primera.",
    "task_chat.intro.1": "Ponga el patrón en una función y aplíquela a cada ejemplo.",
    "task_chat.intro.2": "Envíe tres veces la misma entrada para comprobar que las respuestas son estables.",
    "task_chat.callout.kind": "tip",
    "task_chat.callout": "Enumere las respuestas permitidas en la instrucción: las etiquetas libres se comparan mal.",
    "task_chat.takeaway": "Un formato de salida fijo convierte un modelo conversacional en un componente comprobable.",
    "task_translation.title": "Traducir entre pares de idiomas",
    "task_translation.goal": "Traducir textos breves con {model} y reutilizar la llamada con varias entradas.",
    "task_translation.point.0": "Nombre explícitamente el idioma de destino",
    "task_translation.point.1": "Pida solo la traducción, sin comentarios",
    "task_translation.objective": "Traducir textos con {model} mediante una función reutilizable",
    "task_translation.explanation": (
        "{subject} está etiquetado para traducción. En un punto de acceso conversacional, el par de idiomas va"
        " en la instrucción, y pedir solo la traducción mantiene la salida limpia para procesarla después."
    ),
    "task_translation.intro.0": "Defina la instrucción y las frases de ejemplo, y traduzca la primera.",
    "task_translation.intro.1": "Ponga la llamada en una función y traduzca cada ejemplo.",
    "task_translation.intro.2": "Traduzca tres veces la misma frase para comprobar la estabilidad.",
    "task_translation.callout.kind": "note",
    "task_translation.callout": "Revise los idiomas de la ficha: la calidad cae mucho fuera de ellos.",
    "task_translation.takeaway": "Indique el idioma de destino y el formato de salida en cada prompt de traducción.",
    "task_summarization.title": "Resumir textos de distinta longitud",
    "task_summarization.goal": "Resumir textos breves con {model} y reutilizar la llamada con varias entradas.",
    "task_summarization.point.0": "Fije la longitud del resumen en la instrucción",
    "task_summarization.point.1": "Compare los resúmenes con los hechos de la fuente",
    "task_summarization.objective": "Resumir textos con {model} con una longitud fija",
    "task_summarization.explanation": (
        "{subject} está etiquetado para resumen. Fijar la longitud en la instrucción (una frase) hace comparables"
        " los resúmenes, y leerlos junto a la fuente muestra si se conservan los hechos."
    ),
    "task_summarization.intro.0": "Defina la instrucción y dos textos de ejemplo, y resuma el primero.",
    "task_summarization.intro.1": "Ponga la llamada en una función y resuma cada ejemplo.",
    "task_summarization.intro.2": "Resuma tres veces el mismo texto para comprobar la estabilidad.",
    "task_summarization.callout.kind": "warning",
    "task_summarization.callout": "Un resumen puede afirmar hechos que no están en la fuente: revise nombres y cifras.",
    "task_summarization.takeaway": "Una longitud fija y el contraste con la fuente hacen fiables los resúmenes.",
    "task_other.title": "Formular la tarea {task} como prompt",
    "task_other.title_generic": "Formular su tarea como prompt",
    "task_other.goal": "Expresar la tarea del modelo como instrucción y aplicarla a entradas de ejemplo.",
    "task_other.point.0": "Un punto de acceso conversacional necesita la tarea explícita",
    "task_other.point.1": "Las respuestas cortas de formato fijo se comprueban fácilmente",
    "task_other.objective": "Expresar una tarea como prompt con un formato de respuesta fijo",
    "task_other.explanation": (
        "{facts} Detrás de un punto de acceso conversacional compatible con OpenAI, la tarea debe explicarse en la"
        " instrucción, con un formato de respuesta corto y fijo para que el código pueda comprobar la salida."
    ),
    "task_other.intro.0": "Defina la instrucción y las entradas de ejemplo, y procese la primera.",
    "task_other.intro.1": "Ponga el patrón en una función y aplíquela a cada ejemplo.",
    "task_other.intro.2": "Envíe tres veces la misma entrada para comprobar que las respuestas son estables.",
    "task_other.callout.kind": "note",
    "task_other.callout": "Si su servidor ofrece un punto de acceso propio para esta tarea, prefiéralo al chat.",
    "task_other.takeaway": "Explique la tarea y el formato de respuesta: el modelo no puede adivinarlos.",
    "parameters.title": "Controlar los parámetros de generación",
    "parameters.goal": "Ver cómo la temperatura, max_tokens y las secuencias de parada cambian las respuestas.",
    "parameters.point.0": "La temperatura cambia repetibilidad por variedad",
    "parameters.point.1": "max_tokens limita la longitud y el coste",
    "parameters.objective": "Controlar las respuestas con temperatura, max_tokens y secuencias de parada",
    "parameters.explanation": (
        "Los ajustes de muestreo cambian las respuestas más que la mayoría de retoques del prompt. La temperatura"
        " regula el azar, `max_tokens` limita la longitud (y el coste) y las secuencias de parada terminan antes"
        " una respuesta. {generation}"
    ),
    "parameters.intro.0": "Compare el mismo prompt con dos temperaturas.",
    "parameters.intro.1": "Vea cómo max_tokens limita la longitud de la respuesta.",
    "parameters.intro.2": "Combine top_p con una secuencia de parada para terminar antes.",
    "parameters.callout.kind": "tip",
    "parameters.callout": "Use temperatura 0 para pruebas y extracción; súbala solo para texto creativo.",
    "parameters.takeaway": "Fije los ajustes de muestreo antes de juzgar un prompt: influyen igual que él.",
    "structured.title": "Pedir salida JSON estructurada",
    "structured.goal": "Obtener JSON de {model} y analizarlo de forma robusta.",
    "structured.point.0": "La respuesta puede rodear el JSON de texto",
    "structured.point.1": "Valide las claves requeridas y reintente indicando el motivo",
    "structured.objective": "Obtener y validar salida JSON estructurada de {model}",
    "structured.explanation": (
        "Un programa necesita datos, no prosa. Pedir JSON funciona mejor con una lista explícita de claves, una"
        " temperatura baja y un analizador que tolere texto alrededor del objeto. Cuando faltan claves, reintentar"
        " nombrándolas suele corregir la respuesta."
    ),
    "structured.intro.0": "Pida un objeto JSON y analícelo con cautela.",
    "structured.intro.1": "Exija claves y reintente una vez nombrando las que faltan.",
    "structured.intro.2": "Pruebe el modo JSON del servidor, que algunos puntos de acceso admiten.",
    "structured.callout.kind": "warning",
    "structured.callout": "No confíe a ciegas en el JSON analizado: compruebe tipos y rangos antes de usar los valores.",
    "structured.takeaway": "Pida claves explícitas, analice con cautela y valide antes de usar.",
    "evaluate.title": "Evaluar respuestas con comprobaciones simples",
    "evaluate.goal": "Puntuar {model} en un pequeño conjunto de pruebas automáticas.",
    "evaluate.point.0": "Un conjunto pequeño detecta regresiones pronto",
    "evaluate.point.1": "El crédito parcial revela problemas de formato",
    "evaluate.objective": "Puntuar respuestas en un pequeño conjunto de pruebas automáticas",
    "evaluate.explanation": (
        "Unos pocos prompts con respuestas conocidas son la evaluación más barata que existe. Las comprobaciones"
        " exactas detectan respuestas erróneas; el crédito parcial revela respuestas correctas enterradas en"
        " texto extra, un problema de formato más que de conocimiento. {sections}"
    ),
    "evaluate.intro.0": "Ejecute tres casos con respuestas conocidas y cuente los aciertos.",
    "evaluate.intro.1": "Puntúe por separado las respuestas exactas y las parciales.",
    "evaluate.callout.kind": "tip",
    "evaluate.callout": "Guarde el conjunto de pruebas en control de versiones y repítalo con cada cambio.",
    "evaluate.takeaway": "Un pequeño conjunto de pruebas automáticas es mejor que leer respuestas a ojo.",
    "batch.title": "Enviar lotes y medir la latencia",
    "batch.goal": "Enviar varios prompts y medir latencia y rendimiento.",
    "batch.point.0": "La latencia mediana y la máxima cuentan historias distintas",
    "batch.point.1": "La concurrencia solo ayuda hasta la capacidad del servidor",
    "batch.objective": "Medir la latencia y el rendimiento de peticiones en lote",
    "batch.explanation": (
        "Antes de construir sobre un modelo, sepa cuánto tiempo cuesta una petición. Medir varios prompts da una"
        " mediana (caso típico) y un máximo (peor caso); enviar dos a la vez muestra si el servidor admite"
        " concurrencia. {size}"
    ),
    "batch.intro.0": "Mida cuatro peticiones una a una e indique la latencia mediana y la máxima.",
    "batch.intro.1": "Envíe los mismos prompts con dos workers y compare el tiempo total.",
    "batch.intro.2": "Estime el rendimiento en palabras por segundo.",
    "batch.callout.kind": "note",
    "batch.callout": "Los servidores locales suelen atender una petición a la vez: más workers solo añaden espera.",
    "batch.takeaway": "Mida la latencia con sus prompts en su punto de acceso antes de prometer velocidad.",
    "limits.title": "Gestionar errores y respetar la licencia",
    "limits.goal": "Reintentar fallos pasajeros, limitar el tamaño del prompt y revisar la licencia.",
    "limits.point.0": "Los reintentos con espera creciente absorben fallos pasajeros",
    "limits.point.1": "La licencia decide lo que puede construir",
    "limits.objective": "Gestionar fallos pasajeros y revisar la licencia de {model}",
    "limits.explanation": (
        "Los puntos de acceso reales fallan a veces: límites de uso, reinicios, tiempos agotados. Un reintento con"
        " espera exponencial absorbe casi todo, y un límite de tamaño detiene los prompts demasiado largos antes"
        " de que fallen lentamente. {license} {quality}"
    ),
    "limits.intro.0": "Envuelva ask() en un reintento con espera exponencial.",
    "limits.intro.1": "Limite el tamaño del prompt y muestre la licencia declarada en la ficha.",
    "limits.callout.kind": "warning",
    "limits.callout": "No reintente errores que no pueden resolverse solos, como una clave errónea o un modelo desconocido.",
    "limits.takeaway": "Prevea los fallos y lea la licencia antes de construir sobre un modelo.",
}
