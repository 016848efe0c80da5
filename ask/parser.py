"""A question in plain language to an Interpretation, deterministically, from the vocabulary of the semantic manifest.

Every word must be understood, or be a known filler word ("show", "the", "how many"): otherwise the question is
refused, the unknown words named with the closest metrics, dimensions or values. A word that fits several metrics
or dimensions is asked back (an Ambiguity whose choices are the question rewritten for each meaning).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field

from ask.dates import NUMBERS, find_time_ranges
from ask.interpretation import Filter, Interpretation
from ask.vocabulary import GRAINS, Vocabulary, phrase

FILLER = set(
    """a an the of for in on at by per to from with and or over during across into via within than as all any
    what whats what's which how many much is are was were be been being do does did have has had show me us
    give list tell get got see display plot chart graph table number numbers count total totals amount overall
    our my we i you please can could would will want need let's lets there their its it this that these those
    each every split broken down grouped group breakdown break up trend trends time so far far value values
    where who whose came come coming acquired through doing been went data metric metrics about like just only
    segmented versus vs compared compare comparison customers people make made generate generated bring brought
    earn earned""".split()
)
GRAIN_WORDS = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "quarterly": "quarter",
    "yearly": "year",
    "annually": "year",
    "annual": "year",
}
ABBREVIATIONS = {"dau": "daily active users", "wau": "weekly active users", "mau": "monthly active users"}
COMPARE = re.compile(
    r"\b(?:compared?\s+(?:to|with)|vs\.?|versus|against|change\s+(?:from|since|over)|relative\s+to)\s+"
    r"(?:the\s+)?(?:previous|prior|preceding|last)\s+(?:period|\w+)\b"
    r"|\b(?:vs\.?|versus|compared\s+(?:to|with))\s+(?:the\s+)?(?:period|day|week|month|quarter|year)\s+before\b"
    r"|\bperiod\s+over\s+period\b|\bfrom\s+the\s+(?:previous|prior)\s+period\b"
)
TOP = re.compile(
    r"\b(?P<dir>top|bottom|best|worst|highest|lowest|largest|smallest)\s+(?P<n>\d+|" + "|".join(NUMBERS) + r")\b"
)
SUPERLATIVE = re.compile(
    r"\b(?:which|what)\s+(?P<dim>[a-z ]+?)\s+(?:has|had|have|with|brought|drove|got|gets|get|made|generated|"
    r"produced)\s+(?:the\s+)?(?P<dir>most|highest|largest|biggest|fewest|lowest|least|smallest)\b"
)
ORDER = re.compile(
    r"\b(?:(?:sorted|ordered|ranked)\s+(?:by\s+)?(?:[a-z ]+?\s+)?)?(?P<dir>descending|ascending|"
    r"highest\s+first|lowest\s+first|largest\s+first|smallest\s+first|most\s+first|fewest\s+first)\b"
)
DESCENDING = {"top", "best", "highest", "largest", "most", "biggest", "descending"}


@dataclass(frozen=True)
class Refusal:
    message: str
    unknown: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Choice:
    label: str
    question: str  # the question rewritten for this meaning


@dataclass(frozen=True)
class Ambiguity:
    message: str
    choices: tuple[Choice, ...]


Parsed = Interpretation | Refusal | Ambiguity


@dataclass
class _Text:
    """The question in lower case with the understood spans blanked out."""

    text: str
    used: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.used = [False] * len(self.text)

    def free(self, start: int, end: int) -> bool:
        return not any(self.used[start:end])

    def take(self, start: int, end: int) -> None:
        for i in range(start, end):
            self.used[i] = True

    def left(self) -> str:
        return "".join(" " if u else c for c, u in zip(self.text, self.used, strict=True))

    def find(self, words: str) -> list[tuple[int, int]]:
        """Free, whole-word occurrences of ``words`` (a phrase: single spaces between words)."""
        pattern = r"(?<![\w%])" + r"[\s_\-/]+".join(re.escape(w) for w in words.split()) + r"(?![\w%])"
        return [m.span() for m in re.finditer(pattern, self.text) if self.free(*m.span())]


def normalise(question: str) -> str:
    text = question.strip().lower().replace("’", "'")
    text = re.sub(r"[?!,;:()\"]", " ", text)
    text = re.sub(r"(?<=[a-z])\.(?=\s|$)", " ", text)
    text = re.sub(r"\b(\w+)'s\b", r"\1", text)
    for short, long in ABBREVIATIONS.items():
        text = re.sub(rf"\b{short}\b", long, text)
    return " ".join(text.split())


def parse(question: str, vocab: Vocabulary, today: dt.date) -> Parsed:
    original = " ".join(question.strip().split())
    if not original:
        return Refusal("Ask a question, e.g. “weekly active users by channel since March”.")
    text = _Text(normalise(question))
    notes: list[str] = []

    # 1. comparison with the previous period (before dates: "vs last month" is not a second range)
    compare = False
    for m in COMPARE.finditer(text.text):
        compare = True
        text.take(*m.span())

    # 2. time range
    ranges = [r for r in find_time_ranges(text.text, today) if text.free(*r.span)]
    if len(ranges) > 1:
        return Refusal(
            "Two time ranges (" + ", ".join(f"“{r.words}”" for r in ranges) + "): ask for one range, and add "
            "“compared with the previous period” to compare."
        )
    start = end = None
    if ranges:
        start, end = ranges[0].start, ranges[0].end
        text.take(*ranges[0].span)
        if end is not None and end > today:
            end = today

    # 3. top / bottom N, "which X has the most", "sorted ... descending"
    limit: int | None = None
    descending: bool | None = None
    order_at = 0  # where the ordering words end: the metric named after them is the one to order by
    superlative_dim: str | None = None
    for m in TOP.finditer(text.text):
        if text.free(*m.span()):
            limit = int(m["n"]) if m["n"].isdigit() else NUMBERS[m["n"]]
            descending = m["dir"] in DESCENDING
            text.take(*m.span())
            order_at = m.end()
    for m in SUPERLATIVE.finditer(text.text):
        if text.free(*m.span()):
            superlative_dim = phrase(m["dim"])
            limit, descending = 1, m["dir"] in DESCENDING
            text.take(m.start(), m.start("dim"))
            text.take(m.end("dim"), m.end())
            order_at = m.end()
    for m in ORDER.finditer(text.text):
        if text.free(m.start("dir"), m.end("dir")):
            descending = m["dir"].split()[0] in DESCENDING
            text.take(m.start("dir"), m.end("dir"))
            order_at = m.start()
            for word in ("sorted", "ordered", "ranked"):
                for span in text.find(word):
                    text.take(*span)

    # 4. values of several words first ("paid search", "mid market", "pro annual"), then metrics and dimension
    # names, longest phrase first
    values: dict[str, list[str]] = {}
    value_ends: dict[int, str] = {}  # where a value ends -> its dimension
    value_starts: dict[int, str] = {}  # where a value starts -> its dimension
    _take_values(text, vocab, original, values, value_ends, value_starts, multi_word=True)
    metrics: list[tuple[int, str]] = []
    dims: list[tuple[int, int, str]] = []
    ambiguous: list[tuple[str, list[str]]] = []
    for words in sorted(vocab.phrase_index, key=lambda p: (-len(p), p)):
        meanings = vocab.phrase_index[words]
        for span in text.find(words):
            text.take(*span)
            kinds = {k for k, _ in meanings}
            if len(meanings) > 1:
                ambiguous.append((words, [n for _, n in meanings]))
            elif "metric" in kinds:
                metrics.append((span[0], meanings[0][1]))
            else:
                dims.append((span[0], span[1], meanings[0][1]))

    # 5. grain
    grain: str | None = None
    grain_pattern = r"\b(?:(?P<adj>" + "|".join(GRAIN_WORDS) + r")|(?:per|by|each|every|a|over)\s+(?P<noun>"
    grain_pattern += "|".join(GRAINS) + r")s?)\b"
    for m in re.finditer(grain_pattern, text.text):
        if not text.free(*m.span()):
            continue
        found = GRAIN_WORDS[m["adj"]] if m["adj"] else m["noun"]
        if grain and grain != found:
            return Refusal(f"Two time grains ({grain} and {found}): ask for one.")
        grain = found
        text.take(*m.span())

    # 6. single-word filter values ("on ios", "in the US"), after metric and dimension names ("active users")
    _take_values(text, vocab, original, values, value_ends, value_starts, multi_word=False)

    # 7. what is left must be filler
    unknown = [w for w in re.findall(r"[\w%'-]+", text.left()) if w not in FILLER and not w.isdigit()]
    if unknown:
        suggestions: list[str] = []
        for word in unknown:
            for s in difflib.get_close_matches(word, vocab.all_words(), n=3, cutoff=0.6):
                if s not in suggestions:
                    suggestions.append(s)
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        return Refusal(
            "I did not understand " + ", ".join(f"“{w}”" for w in unknown) + "." + hint + " " + _known(vocab),
            tuple(unknown),
            tuple(suggestions),
        )

    # a word that could mean several metrics, one of which the question names anyway ("users who signed up")
    named = {n for _, n in metrics}
    ambiguous = [(w, names) for w, names in ambiguous if not named & set(names)]
    if ambiguous:
        words, names = ambiguous[0]
        choices = []
        for name in names:
            label = vocab.metric_label(name) if name in vocab.metrics else name.replace("_", " ")
            choices.append(Choice(label, _replace_word(original, words, label.lower())))
        return Ambiguity(f"“{words}” could mean {_or([c.label for c in choices])}: which one?", tuple(choices))

    metric_names = list(dict.fromkeys(n for _, n in sorted(metrics)))
    if not metric_names:
        return Refusal("Which metric? " + _known(vocab))

    # 8. dimensions: only those every metric can be split by
    # "the pro annual plan", "the paid search channel": the dimension's name after its value is not a group-by
    dims = [d for d in dims if value_ends.get(len(text.text[: d[0]].rstrip())) != d[2]]
    # "where device is ios", "with channel = referral": the dimension's name before its value is not a group-by
    dims = [d for d in dims if value_starts.get(_after_is(text.text, d[1])) != d[2]]
    dim_names = list(dict.fromkeys(n for _, _, n in sorted(dims)))
    if superlative_dim is not None:
        match = [d for d, dim in vocab.dimensions.items() if superlative_dim in dim.phrases]
        if not match:
            return Refusal(f"I did not understand “{superlative_dim}”. " + _known(vocab))
        dim_names = list(dict.fromkeys([*dim_names, match[0]]))
    group_by: list[str] = []
    for short in dim_names:
        resolved = _resolve(vocab, short, metric_names)
        if isinstance(resolved, Refusal):
            return resolved
        group_by.append(resolved)
    where: list[Filter] = []
    for short, vals in values.items():
        resolved = _resolve(vocab, short, metric_names)
        if isinstance(resolved, Refusal):
            return resolved
        where.append(Filter(resolved, tuple(sorted(vals))))

    if grain:
        finest = [d.split("__")[-1] for d in vocab.reachable(metric_names) if d.startswith("metric_time__")]
        if finest and GRAINS.index(grain) < GRAINS.index(finest[0]):
            return Refusal(
                f"{_or([vocab.metric_label(m) for m in metric_names])} is recorded per {finest[0]}: ask for it "
                f"per {finest[0]} or coarser, not per {grain}."
            )

    # 9. order and limit
    order: list[str] = []
    if limit is not None and not group_by:
        return Refusal(f"Top {limit} of what? Name a dimension, e.g. “top {limit} channels by {metric_names[0]}”.")
    if limit is not None and grain:
        return Refusal(
            f"Top {limit} per {grain} is not supported (the limit would cut the table, not each {grain}): "
            "drop the grain or the top-N."
        )
    if descending is not None:
        after = [n for pos, n in sorted(metrics) if pos >= order_at]
        if len(metric_names) > 1 and not after:
            return Refusal(f"Order by which metric: {_or([vocab.metric_label(m) for m in metric_names])}?")
        order = [("-" if descending else "") + (after[0] if after else metric_names[0])]
        if limit is None and not group_by and not grain:
            notes.append("Ordering a single number changes nothing.")

    # 10. comparison needs a closed range
    if compare:
        if start is None:
            return Refusal(
                "Compared with which period? Give a time range, e.g. “revenue last month vs previous period”."
            )
        if end is None:
            end = today
        if grain:
            return Refusal(
                "A comparison with the previous period gives one total per period: drop the grain "
                f"(“{grain}”) or the comparison."
            )
    if start is not None and end is not None and start > end:
        return Refusal(f"The time range ends ({end}) before it starts ({start}).")
    return Interpretation(
        metrics=tuple(metric_names),
        group_by=tuple(group_by),
        grain=grain,
        start=start,
        end=end,
        where=tuple(where),
        order=tuple(order),
        limit=limit,
        compare=compare,
        notes=tuple(notes),
    )


def _after_is(text: str, position: int) -> int:
    """Where the next word starts after ``position``, skipping "is", "=", "equals", "of"."""
    match = re.compile(r"\s*(?:(?:is|=|equals|equal\s+to|of)\s+)?").match(text, position)
    return match.end() if match else position


def _take_values(
    text: _Text,
    vocab: Vocabulary,
    original: str,
    values: dict[str, list[str]],
    ends: dict[int, str],
    starts: dict[int, str],
    multi_word: bool,
) -> None:
    upper_codes = re.findall(r"\b[A-Z]{2,3}\b", original)
    for value in sorted(vocab.values, key=lambda v: -len(v.phrase)):
        if (" " in value.phrase) != multi_word:
            continue
        for span in text.find(value.phrase):
            if value.case_sensitive and value.value not in upper_codes:
                continue
            text.take(*span)
            ends[span[1]] = value.dimension
            starts[span[0]] = value.dimension
            values.setdefault(value.dimension, [])
            if value.value not in values[value.dimension]:
                values[value.dimension].append(value.value)


def _resolve(vocab: Vocabulary, short: str, metrics: list[str]) -> str | Refusal:
    options = vocab.qualified_for(short, metrics)
    if len(options) == 1:
        return options[0]
    label = short.replace("_", " ")
    if not options:
        usable = sorted({q.split("__")[-1].replace("_", " ") for q in vocab.reachable(metrics)} & _categorical(vocab))
        return Refusal(
            f"{_or([vocab.metric_label(m) for m in metrics])} cannot be split by {label}"
            + (f"; it can be split by {', '.join(usable)}." if usable else ".")
        )
    return Refusal(f"“{label}” is ambiguous for these metrics ({', '.join(options)}).")


def _categorical(vocab: Vocabulary) -> set[str]:
    return {d.replace("_", " ") for d in vocab.dimensions}


def _known(vocab: Vocabulary) -> str:
    return "Known metrics: " + ", ".join(m.label for m in vocab.metrics.values()) + "."


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _replace_word(question: str, words: str, replacement: str) -> str:
    pattern = r"(?<!\w)" + r"[\s_\-]+".join(re.escape(w) for w in words.split()) + r"(?!\w)"
    return re.sub(pattern, replacement, question, count=1, flags=re.IGNORECASE)
