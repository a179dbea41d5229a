"""English prose of the demo teacher: the reference table, so it must define every key.

Other languages fall back to this table key by key, and `facts_from_context` falls back to
English for a language with no table. `{model}`, `{subject}` and `{task}` are always available;
step explanations may also use `{facts}`, `{quality}`, `{generation}`, `{license}`, `{size}`
and `{sections}` (see `sections.explanation_values`).
"""

from __future__ import annotations

TEXT_EN: dict[str, str] = {
    "and": " and ",
    "fact.task": "is tagged for the {task} task",
    "fact.library": "ships for the {library} library",
    "fact.license": "is published under the {license} licence",
    "fact.params": "has about {params} parameters",
    "fact.base": "derives from {base}",
    "fact.none": (
        "{subject} comes with little metadata, so this manual sticks to what any OpenAI-compatible endpoint offers."
    ),
    "fact.sections": "Its card covers: {sections}.",
    "fact.thin": "The card is thin (quality score {score}/100{flags}), so verify every behaviour yourself.",
    "fact.generation": "The repository's generation config suggests {settings}; start from these values.",
    "fact.no_generation": "The repository publishes no generation defaults: start at a low temperature and adjust.",
    "fact.license_terms": "The card declares the {license} licence: read its terms before you ship anything built on {model}.",
    "fact.no_license": "The card declares no licence: ask the publisher before any use beyond experiments.",
    "fact.size": "With about {params} parameters, latency depends heavily on the hardware behind the endpoint.",
    "fact.compare_sections": "Compare your results with what the card's sections ({sections}) claim.",
    "title": "{model}: a hands-on manual",
    "overview": (
        "This manual shows how to call {subject} through an OpenAI-compatible endpoint and build small, checked"
        " workflows around it, one runnable step at a time."
    ),
    "audience.beginner": "Developers new to calling language models from Python",
    "audience.intermediate": "Developers who have called an LLM API and want repeatable workflows",
    "audience.advanced": "Engineers building evaluation and serving harnesses around models",
    "prereq.python": "Python 3.9 or newer in Jupyter, VS Code or Colab",
    "prereq.endpoint": "An OpenAI-compatible endpoint serving {model}, hosted or local",
    "prereq.functions": "Comfort with Python functions, exceptions and list comprehensions",
    "trouble.0.problem": "ask() prints that it could not reach the endpoint",
    "trouble.0.fix": "Check OPENAI_BASE_URL (it usually ends in /v1) and that the server is running, then rerun the provider cell.",
    "trouble.1.problem": "The server answers 404 or 'model not found'",
    "trouble.1.fix": "Set ALAIN_MODEL to the exact name the server lists (the configure step prints it) and rerun.",
    "trouble.2.problem": "Replies are not valid JSON",
    "trouble.2.fix": "Lower the temperature, show an example object in the prompt, and parse with parse_json() from the structured step.",
    "trouble.gated.problem": "Downloading the weights is refused",
    "trouble.gated.fix": "The repository is gated: accept its terms on the model page with your account before serving it.",
    "exercise.0.title": "Ask your own question",
    "exercise.0.task": "Replace the prompt of the first request with a question from your own work and compare replies at temperature 0 and 0.8.",
    "exercise.1.title": "Grow the test set",
    "exercise.1.task": "Add five cases from your domain to the evaluation list and report the pass rate of {model}.",
    "exercise.2.title": "Measure a realistic batch",
    "exercise.2.task": "Send twenty prompts typical of your use case and report median latency, maximum latency and mean reply length.",
    "summary": (
        "You configured a client for {subject}, sent first requests, and worked through {steps} small steps:"
        " controlling generation, asking for structured output, checking replies and measuring cost in time."
        " Each step is a pattern you can lift into your own code."
    ),
    "next.0": "Turn the evaluation cases into a regression test you run on every model change",
    "next.1": "Compare {model} with a second model on the same prompts and test set",
    "next.2": "Read the model card again and note claims you can now test yourself",
    "q.base_url": "Which environment variable points the notebook at a local server such as vLLM or Ollama?",
    "a.base_url": "OPENAI_BASE_URL sets the endpoint; ALAIN_MODEL names the model and OPENAI_API_KEY holds the key.",
    "q.temperature": "What does a temperature of 0 do to the replies of {model}?",
    "o.temperature.0": "Makes them as repeatable as the server allows",
    "o.temperature.1": "Makes them twice as long",
    "o.temperature.2": "Turns off the system prompt",
    "a.temperature": "Temperature scales sampling randomness; at 0 the most likely tokens win, so replies repeat.",
    "q.task": "Which task is {model} tagged for on its model card?",
    "a.task": "The card's pipeline tag is {task}; the other options belong to other kinds of models.",
    "q.secret": "Where should the API key for the endpoint live?",
    "o.secret.0": "In an environment variable or a secrets manager",
    "o.secret.1": "In a code cell of the notebook",
    "o.secret.2": "Inside the prompt text",
    "a.secret": "Keys in cells or prompts end up in shared files and logs; the environment keeps them out.",
    "q.json": "Why does the manual parse JSON replies defensively?",
    "o.json.0": "Models may wrap JSON in prose or return invalid JSON",
    "o.json.1": "JSON parsing is slower than reading text",
    "o.json.2": "The client cannot send JSON requests",
    "a.json": "A model predicts text; nothing forces valid JSON unless the server constrains decoding.",
    "q.license": "Under which licence is {model} published, according to its card?",
    "a.license": "The card declares {license}; read its terms before you ship anything built on the model.",
    "q.no_license": "The card of {model} declares no licence. What should you do before using it in a product?",
    "o.no_license.0": "Ask the publisher for the terms",
    "o.no_license.1": "Assume it is in the public domain",
    "o.no_license.2": "Use it only at temperature 0",
    "a.no_license": "Without a licence no use is granted by default; only the publisher can grant it.",
    "section.prereq.first": "The setup and provider configuration cells have run",
    "section.prereq.previous": "Step {n} completed",
    "style.beginner": "Run the cells in order and read each output before moving on.",
    "style.intermediate": "Change one value at a time and rerun the cell to see its effect.",
    "style.advanced": "Treat these cells as the skeleton of a harness: wrap them in functions and log the results.",
    "generic.explanation": "The code below asks the model about this goal through ask(), so you see its answer next to the explanation.",
    "generic.intro.0": "Ask the model how it would approach this step.",
    "generic.intro.1": "Ask for one concrete example and time the request.",
    "generic.callout": "This step was planned by another teacher; the demo teacher fills it with a generic exercise.",
    "generic.takeaway": "Asking the model itself is a quick first check, not a substitute for testing.",
    "configure.title": "Configure the client",
    "configure.goal": "Point the OpenAI client at an endpoint serving {model} and check the settings.",
    "configure.point.0": "OPENAI_BASE_URL selects a hosted or a local server",
    "configure.point.1": "Keys come from the environment, never from the notebook",
    "configure.objective": "Configure an OpenAI-compatible client for {model} from environment variables",
    "configure.explanation": (
        "Every request in this manual goes through `ask()`, defined in the provider configuration cell. It reads"
        " `OPENAI_BASE_URL`, `OPENAI_API_KEY` and `ALAIN_MODEL` from the environment, so the same notebook works"
        " against a hosted API or a local vLLM, Ollama or llama.cpp server. {facts} Before sending anything,"
        " print what the client will use."
    ),
    "configure.intro.0": "Print the endpoint and model that `ask()` will use.",
    "configure.intro.1": "Check that the endpoint lists the model (skipped when there is no client).",
    "configure.intro.2": "See which settings came from the environment, without printing their values.",
    "configure.callout.kind": "warning",
    "configure.callout": "Never paste an API key into a cell: notebooks get shared, and keys in outputs leak.",
    "configure.takeaway": "Configuration lives in environment variables, so the notebook itself holds no secrets.",
    "first_request.title": "Send a first request to {model}",
    "first_request.goal": "Send one prompt to {model} and read the reply.",
    "first_request.point.0": "A short, plain prompt is the best first test",
    "first_request.point.1": "A system message steers tone and format",
    "first_request.objective": "Send prompts to {model} and steer replies with a system message",
    "first_request.explanation": (
        "Start with one short, plain question: it shows that the endpoint, the model name and the key all work."
        " `ask()` returns the reply text, so printing its length as well shows at once whether the server cut"
        " it short. {size}"
    ),
    "first_request.intro.0": "Ask one question and print the reply with its length.",
    "first_request.intro.1": "Add a system message to steer the tone and the format of the reply.",
    "first_request.intro.2": "Time a minimal request to see the fixed cost of one call.",
    "first_request.callout.kind": "tip",
    "first_request.callout": "If the reply stops mid-sentence, raise max_tokens: the server stopped at the limit.",
    "first_request.takeaway": "One short prompt checks the whole chain: endpoint, model name, key and reply.",
    "task_chat.title": "Give the model a clear task",
    "task_chat.goal": "Write an instruction with a fixed answer format and reuse it on several inputs.",
    "task_chat.point.0": "A fixed answer format makes replies easy to check",
    "task_chat.point.1": "A function turns a prompt into a reusable tool",
    "task_chat.objective": "Turn a prompt into a reusable, checkable task function",
    "task_chat.explanation": (
        "{subject} is a generative model, so the task lives entirely in the prompt. An instruction that fixes"
        " the answer format (one word from a short list) makes every reply easy to check in code. Here the task"
        " is sentiment classification of short reviews."
    ),
    "task_chat.intro.0": "Define the instruction and sample inputs, then run the first sample.",
    "task_chat.intro.1": "Wrap the pattern in a function and run it on every sample.",
    "task_chat.intro.2": "Run the same input three times to check that answers are stable.",
    "task_chat.callout.kind": "tip",
    "task_chat.callout": "List the allowed answers in the instruction; free-form labels are hard to compare.",
    "task_chat.takeaway": "A fixed output format turns a chat model into a component you can test.",
    "task_translation.title": "Translate between language pairs",
    "task_translation.goal": "Translate short texts with {model} and reuse the call for several inputs.",
    "task_translation.point.0": "Name the target language explicitly",
    "task_translation.point.1": "Ask for the translation only, without comments",
    "task_translation.objective": "Translate texts with {model} through a reusable function",
    "task_translation.explanation": (
        "{subject} is tagged for translation. Through a chat endpoint the language pair goes into the"
        " instruction, and asking for the translation only keeps the output clean for further processing."
    ),
    "task_translation.intro.0": "Define the instruction and sample sentences, then translate the first one.",
    "task_translation.intro.1": "Wrap the call in a function and translate every sample.",
    "task_translation.intro.2": "Translate the same sentence three times to check that the output is stable.",
    "task_translation.callout.kind": "note",
    "task_translation.callout": "Check the languages listed on the card: quality drops sharply outside them.",
    "task_translation.takeaway": "State the target language and the output format in every translation prompt.",
    "task_summarization.title": "Summarize texts of different lengths",
    "task_summarization.goal": "Summarize short texts with {model} and reuse the call for several inputs.",
    "task_summarization.point.0": "Fix the summary length in the instruction",
    "task_summarization.point.1": "Compare summaries against the source facts",
    "task_summarization.objective": "Summarize texts with {model} at a fixed length",
    "task_summarization.explanation": (
        "{subject} is tagged for summarization. Fixing the length in the instruction (one sentence) makes"
        " summaries comparable, and reading them next to the source shows whether facts were kept."
    ),
    "task_summarization.intro.0": "Define the instruction and two sample texts, then summarize the first.",
    "task_summarization.intro.1": "Wrap the call in a function and summarize every sample.",
    "task_summarization.intro.2": "Summarize the same text three times to check stability.",
    "task_summarization.callout.kind": "warning",
    "task_summarization.callout": "Summaries can state facts that are not in the source: check names and numbers.",
    "task_summarization.takeaway": "A fixed length and a check against the source make summaries trustworthy.",
    "task_other.title": "Frame the {task} task as a prompt",
    "task_other.title_generic": "Frame your task as a prompt",
    "task_other.goal": "Express the model's task as an instruction and run it on sample inputs.",
    "task_other.point.0": "A chat endpoint needs the task spelled out",
    "task_other.point.1": "Short fixed-format answers are easy to check",
    "task_other.objective": "Express a task as a prompt with a fixed answer format",
    "task_other.explanation": (
        "{facts} Served behind an OpenAI-compatible chat endpoint, the task has to be spelled out in the"
        " instruction, with a short fixed answer format so the output can be checked in code."
    ),
    "task_other.intro.0": "Define the instruction and sample inputs, then run the first sample.",
    "task_other.intro.1": "Wrap the pattern in a function and run it on every sample.",
    "task_other.intro.2": "Run the same input three times to check that answers are stable.",
    "task_other.callout.kind": "note",
    "task_other.callout": "If your server exposes a dedicated endpoint for this task, prefer it over chat.",
    "task_other.takeaway": "Spell the task and the answer format out; the model cannot guess them.",
    "parameters.title": "Control generation parameters",
    "parameters.goal": "See how temperature, max_tokens and stop sequences change replies.",
    "parameters.point.0": "Temperature trades repeatability for variety",
    "parameters.point.1": "max_tokens caps the length and the cost",
    "parameters.objective": "Control replies with temperature, max_tokens and stop sequences",
    "parameters.explanation": (
        "Sampling settings change replies more than most prompt tweaks. Temperature controls randomness,"
        " `max_tokens` caps length (and cost), and stop sequences end a reply early. {generation}"
    ),
    "parameters.intro.0": "Compare the same prompt at two temperatures.",
    "parameters.intro.1": "See how max_tokens caps the reply length.",
    "parameters.intro.2": "Combine top_p with a stop sequence to end replies early.",
    "parameters.callout.kind": "tip",
    "parameters.callout": "Use temperature 0 for tests and extraction; raise it only for creative text.",
    "parameters.takeaway": "Fix sampling settings before judging a prompt: they change the results as much.",
    "structured.title": "Ask for structured JSON output",
    "structured.goal": "Get JSON from {model} and parse it robustly.",
    "structured.point.0": "Replies may wrap JSON in prose",
    "structured.point.1": "Validate required keys and retry with the reason",
    "structured.objective": "Get and validate structured JSON output from {model}",
    "structured.explanation": (
        "Programs need data, not prose. Asking for JSON works best with an explicit list of keys, a low"
        " temperature and a parser that tolerates text around the object. When keys are missing, retrying"
        " with the reason in the prompt often fixes the reply."
    ),
    "structured.intro.0": "Ask for a JSON object and parse it defensively.",
    "structured.intro.1": "Require keys and retry once with the missing keys named.",
    "structured.intro.2": "Try the server's JSON mode, which some endpoints support.",
    "structured.callout.kind": "warning",
    "structured.callout": "Never trust parsed JSON blindly: check types and ranges before using the values.",
    "structured.takeaway": "Ask for explicit keys, parse defensively and validate before use.",
    "evaluate.title": "Evaluate replies with simple checks",
    "evaluate.goal": "Score {model} on a small test set with automatic checks.",
    "evaluate.point.0": "Small test sets catch regressions early",
    "evaluate.point.1": "Partial credit shows formatting problems",
    "evaluate.objective": "Score replies on a small test set with automatic checks",
    "evaluate.explanation": (
        "A handful of prompts with known answers is the cheapest evaluation there is. Exact checks catch"
        " wrong answers; partial credit reveals right answers buried in extra words, a formatting problem"
        " rather than a knowledge one. {sections}"
    ),
    "evaluate.intro.0": "Run three cases with known answers and count the passes.",
    "evaluate.intro.1": "Score exact and partial answers separately.",
    "evaluate.callout.kind": "tip",
    "evaluate.callout": "Keep the test set in version control and rerun it whenever the model or prompt changes.",
    "evaluate.takeaway": "A tiny automatic test set beats reading replies by eye.",
    "batch.title": "Batch requests and measure latency",
    "batch.goal": "Send several prompts and measure latency and throughput.",
    "batch.point.0": "Median and maximum latency tell different stories",
    "batch.point.1": "Concurrency helps only up to the server's capacity",
    "batch.objective": "Measure latency and throughput of batched requests",
    "batch.explanation": (
        "Before building on a model, know what a request costs in time. Timing several prompts gives a median"
        " (typical) and a maximum (worst case); sending two at once shows whether the server handles"
        " concurrency. {size}"
    ),
    "batch.intro.0": "Time four requests one by one and report median and maximum latency.",
    "batch.intro.1": "Send the same prompts with two workers and compare the wall time.",
    "batch.intro.2": "Estimate throughput in words per second.",
    "batch.callout.kind": "note",
    "batch.callout": "Local servers often process one request at a time: more workers then only add waiting.",
    "batch.takeaway": "Measure latency with your own prompts on your own endpoint before promising any speed.",
    "limits.title": "Handle errors and respect the licence",
    "limits.goal": "Retry transient failures, guard prompt size and check the licence.",
    "limits.point.0": "Retries with backoff absorb transient failures",
    "limits.point.1": "The licence decides what you may build",
    "limits.objective": "Handle transient failures and check the licence terms of {model}",
    "limits.explanation": (
        "Real endpoints fail now and then: rate limits, restarts, timeouts. A retry with exponential backoff"
        " absorbs most of it, and a size guard stops oversized prompts before they fail slowly. {license}"
        " {quality}"
    ),
    "limits.intro.0": "Wrap ask() in a retry with exponential backoff.",
    "limits.intro.1": "Guard the prompt size and print the licence declared on the card.",
    "limits.callout.kind": "warning",
    "limits.callout": "Do not retry errors that cannot succeed later, such as a wrong key or an unknown model.",
    "limits.takeaway": "Plan for failures and read the licence before building on a model.",
}
