"""Whether a text holds the kind of answer a question wants (search/answer_types.py reads the question).

A city, a name, an amount, a date, a status said done, the four things named: evidence that holds none of
what is asked is no answer, however similar it is; `missing_answer` says what it lacks, for the refusal.
"""

from __future__ import annotations

import re

from .answer_types import (
    CHECKED,
    DONE_VERBS,
    asked_items,
    asked_roles,
    asked_type,
    asks_for_name,
    counted_nouns,
    subject_terms,
)

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_PLACES = (
    # Cities and countries that ILO papers name as venues and seats (a reply naming a place names one of
    # these, or says "held in / 在…举行"); extend as the corpus grows.
    "Geneva|Turin|Rome|Paris|Brussels|New York|Washington|Buenos Aires|Addis Ababa|Nairobi|Bangkok|Lima|Beirut|"
    "Abidjan|Dakar|Santiago|Manila|New Delhi|Beijing|Moscow|Pretoria|Brasilia|Abu Dhabi|Doha|Jakarta|Cairo|"
    "日内瓦|都灵|罗马|巴黎|布鲁塞尔|纽约|华盛顿|布宜诺斯艾利斯|亚的斯亚贝巴|内罗毕|曼谷|利马|贝鲁特|阿比让|达喀尔|圣地亚哥|"
    "马尼拉|新德里|北京|莫斯科|比勒陀利亚|巴西利亚|阿布扎比|多哈|雅加达|开罗"
)
_COUNTRIES = (
    "Brazil|Russia|India|China|South Africa|Argentina|Australia|Canada|France|Germany|Italy|Japan|Mexico|"
    "Korea|Saudi Arabia|Turkey|United Kingdom|United States|Indonesia|Nigeria|Egypt|Kenya|Ethiopia|"
    "巴西|俄罗斯|印度|中国|南非|阿根廷|澳大利亚|加拿大|法国|德国|意大利|日本|墨西哥|韩国|沙特阿拉伯|土耳其|英国|美国|印度尼西亚|"
    "尼日利亚|埃及|肯尼亚|埃塞俄比亚"
)

_NAME = re.compile(r"\b(?:Mr|Ms|Mrs|Dr|Sir|Madam)\.?\s+[A-Z]|先生|女士|[\u4e00-\u9fff]{1,4}·[\u4e00-\u9fff]{1,6}")
HOLDS = {
    "person": _NAME,
    "day": re.compile(rf"\d{{1,2}}\s*[日号]|\b\d{{1,2}}\s+(?:{_MONTHS})\b|\b(?:{_MONTHS})\s+\d{{1,2}}\b"),
    # Something stated as done ("was adopted", "已经完成", "通过了"), not planned ("could be submitted", "将提交").
    "status": re.compile(
        rf"\b(?:has|have|had|was|were) (?:already )?(?:been )?{DONE_VERBS}\b"
        r"|(?<!\bbe )(?<!\bbeen )\b(?:adopted|approved|ratified|completed|signed)\b(?! by)"
        r"|已(?:经)?(?:完成|实现|落实|通过|提交|发布|批准|启动|采纳|签署)|(?:通过|完成|发布|批准|提交|采纳|签署)了",
        re.I,
    ),
    # An outcome reported: what a body concluded, decided, stressed or adopted, what work achieved or found.
    "outcome": re.compile(
        r"\b(?:concluded|decided|found|agreed|adopted|recommended|stressed|emphasi[sz]ed|called (?:on|for)"
        r"|recogni[sz]ed|noted|showed|revealed|indicated|demonstrated|resulted in|achieved|highlighted|reaffirmed"
        r"|underlined|requested)\b"
        r"|得出|作出|达成|取得|强调|指出|发现|表明|认为|决定|同意|呼吁|重申|通过了",
        re.I,
    ),
    "funder": re.compile(
        r"\b(?:funded|financed|paid for|sponsored|supported financially) by\b|\bfunding from\b|\bdonors?\b"
        r"|资助|出资|供资|捐助|由[^，。]{1,20}提供(?:资金|经费)",
        re.I,
    ),
    "session": re.compile(
        rf"第\s*\d+\s*届|\b\d{{3}}(?:st|nd|rd|th) Session\b|\bGB\.\d{{3}}\b|\d{{1,2}}\s*月|\b(?:{_MONTHS})\b", re.I
    ),
    "consequence": re.compile(r"如果|若(?!干)|否则|一旦|后果|\bif\b|\bunless\b|\botherwise\b|\bconsequences?\b", re.I),
    "comparison": re.compile(
        r"\bthan\b|\bcompared (?:with|to)\b|\bunlike\b|\bin contrast\b|\bdiffer|比|相较|不同于|与以往|区别|差异", re.I
    ),
    "measures": re.compile(
        r"\bindicators?\b|\bKPIs?\b|\bcriteri|\bmetrics?\b|\bvariables?\b|\bbenchmarks?\b|\bbaselines?\b"
        r"|\bmeasured (?:by|through|against)\b|指标|标准|变量|基准|基线",
        re.I,
    ),
    "frequency": re.compile(
        r"\bevery\b|\bannual(?:ly)?\b|\beach (?:year|month|quarter)\b|\bper (?:year|annum)\b|\bregular(?:ly)?\b"
        r"|\b(?:monthly|quarterly|biennial(?:ly)?|yearly)\b|每年|每季度|每月|定期|每两年|一年一次|两年期",
        re.I,
    ),
    "link": re.compile(r"https?://|\bwww\.|\b[\w-]+\.(?:org|int|com)\b"),
    "example": re.compile(
        r"\bfor example\b|\bfor instance\b|\bsuch as\b|\be\.g\.|例如|比如|诸如|譬如|\bincluding\b|包括"
    ),
    "procedure": re.compile(
        r"\bsteps?\b|\bprocedures?\b|\bmechanisms?\b|\bprocess(?:es)?\b|机制|程序|流程|步骤|首先|其次", re.I
    ),
    "percentage": re.compile(r"%|\bper ?cent\b|百分之"),
    "amount": re.compile(
        r"(?:US)?\$\s?\d|\b\d[\d,.]*\s*(?:million|billion|dollars?|francs?|euros?)\b|\bUSD\b|\bCHF\b"
        r"|美元|欧元|法郎|\d\s*(?:万|亿)元",
        re.I,
    ),
    # A count: a number that is not a year, a session or a document number, or a Chinese numeral with a measure word.
    "count": re.compile(
        r"(?<![\d./-])\d{1,3}(?:,\d{3})*(?:\.\d+)?(?![\d./-])(?!\s*(?:年|届|/))"
        # "一个" / "一项" is mostly the article "a", not a count: a Chinese count is two or more.
        r"|(?:[两二三四五六七八九十百千万亿]|一[十百千万亿])[一二两三四五六七八九十百千万亿]*\s*(?:个|名|项|家|种|国|次|届|%)"
        r"|%|per cent"
        r"|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|twenty)\b",
        re.I,
    ),
    # A city named as a venue, not as part of a name ("Buenos Aires Plan of Action", "都灵中心").
    "place": re.compile(
        rf"(?:{_PLACES})(?!\s*(?:Plan|Action|Agenda|Declaration|Programme|Consensus|Principles|Centre|Center|"
        r"行动|议程|宣言|计划|中心|共识|原则|\+))"
        # nor as part of an institution's name ("都灵国际培训中心", "Turin International Training Centre")
        r"(?![\u4e00-\u9fff]{0,8}中心)(?!(?:\s+[A-Z][\w-]*){0,3}\s+(?:Centre|Center)\b)"
        r"|\bheld in\b|\btake place in\b|\bhosted by\b|在[\u4e00-\u9fff]{2,6}举行"
    ),
    "countries": re.compile(rf"(?:{_COUNTRIES}).{{0,12}}(?:{_COUNTRIES})"),
    "date": re.compile(
        rf"\b(?:19|20)\d\d\b|(?:19|20)\d\d\s*年|\d{{1,2}}\s*月|\b(?:{_MONTHS})\b"
        r"|\b(?:quarter|biennium)\b|季度|两年期|届会|\b\d{3}(?:st|nd|rd|th) Session\b",
        re.I,
    ),
    "symbol": re.compile(r"\bGB\.\d{3}/|\bILC\.\d{3}/|\b[A-Z]{2,}/\d|\bA/RES/|第\s*\d+\s*号|决议"),
}

# A company named as such: a capitalised name with its legal form, or a Chinese name ending in 公司/集团.
_COMPANY = re.compile(
    r"\b[A-Z][\w&'-]*(?:\s+[A-Z][\w&'-]*){0,4}\s+(?:Inc|Ltd|LLC|plc|AG|GmbH|S\.A|Corporation|Corp|Limited)\b"
    r"|[\u4e00-\u9fff]{2,8}(?:有限公司|股份公司|集团公司)"
)


_EN_NUMBER = (
    r"(?<![\d./-])\d{1,3}(?:,\d{3})*(?![\d./-])|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|thirteen|fourteen|fifteen|twenty|thirty|forty|fifty|hundred)\b"
)
_ZH_NUMBER = r"(?:\d+|[两二三四五六七八九十百千万]+)\s*(?:个|项|名|家|份|条|位|所|国)?"


def _holds_count(text: str, question: str) -> bool:
    """A number standing with the counted thing ("four countries", "13 deliverables", "四个国家"); any
    number when the question's counted noun cannot be told."""
    counted = counted_nouns(question)
    if counted is None:
        return bool(HOLDS["count"].search(text))
    lang, nouns = counted
    if lang == "zh":
        return any(re.search(rf"{_ZH_NUMBER}[\u4e00-\u9fff]{{0,4}}{re.escape(n)}", text) for n in nouns)
    return any(re.search(rf"(?:{_EN_NUMBER})\s+(?:[A-Za-z-]+\s+){{0,3}}{re.escape(n)}", text, re.I) for n in nouns)


def _about_subject(text: str, question: str, kind: str) -> bool:
    """The text names at least half of the terms of the question's subject (True when there is none)."""
    subject = subject_terms(question, kind)
    if subject is None:
        return True
    lang, terms = subject
    if lang == "zh":
        found = sum(t in text for t in terms)
    else:
        words = {w.lower()[:6] for w in re.findall(r"[\w'-]+", text)}
        found = len(terms & words)
    return found * 2 >= len(terms)


_DEFINES = re.compile(
    r"\bmeans?\b|\brefers? to\b|\bdefined\b|\bdefinition\b|\bi\.e\.|\bnamely\b|是指|指的是|即(?!将)|定义|亦即", re.I
)
_ABBREVIATION = re.compile(r"\b([A-Z][A-Z0-9+]*[A-Z][A-Z0-9+]*)")
_SMALL_WORDS = {"and", "of", "the", "for", "on", "in", "to", "a"}


def _spells_out(text: str, abbreviation: str) -> bool:
    """The text spells the abbreviation out: words whose initials make its letters ("Buenos Aires Plan of
    Action" for BAPA+40), or a Chinese name standing before it in brackets (南南合作和三角合作(SSTC))."""
    if re.search(rf"[\u4e00-\u9fff]{{2,}}\s*[(（]\s*{re.escape(abbreviation)}", text):
        return True
    letters = re.sub(r"[^A-Z]", "", abbreviation).lower()
    initials = "".join(w[0].lower() for w in re.findall(r"[A-Za-z]+", text) if w.lower() not in _SMALL_WORDS)
    return len(letters) >= 2 and letters in initials


def _holds_definition(text: str, question: str) -> bool:
    m = _ABBREVIATION.search(question)
    if m and re.search(r"\bstands? for\b|全称|代表什么|\bmean\b", question, re.I):
        return _spells_out(text, m[1])
    return bool(_DEFINES.search(text))


def _says_asked_role(text: str, question: str) -> bool:
    """The text says who holds the role the question asks about (chairs, leads…), or it asks about none."""
    roles = asked_roles(question)
    return not roles or any(r.search(text) for r in roles)


def holds(kind: str | None, text: str, question: str = "") -> bool:
    """Whether the text holds an answer of that kind (always True for a kind that is not checked)."""
    if kind not in CHECKED:
        return True
    if kind == "person":
        # "who" is often answered by an office or a body: only a name asked for needs one
        return _says_asked_role(text, question) and (not asks_for_name(question) or bool(_NAME.search(text)))
    if kind == "agent":
        return _says_asked_role(text, question)
    if kind == "companies":
        return bool(_COMPANY.search(text))
    if kind == "count":
        return _holds_count(text, question)
    if kind == "definition":
        return _holds_definition(text, question)
    if kind in ("status", "outcome", "funder", "date", "day") and not _about_subject(text, question, kind):
        return False
    if kind in ("date", "day"):
        text = re.sub(r"《[^》]*》", "", text)  # a year in a title (《2018-21年知识战略》) names it, it does not date
    return bool(HOLDS[kind].search(text))


_LIST_MARK = re.compile(r"[(（]([a-z]|[ivx]{1,4}|\d{1,2})[)）]")


_EN_RUN = re.compile(r"((?:[^,;.]{1,40},\s*)+)(?:[^,;.]{1,40}?\s)?(?:and|or)\b", re.I)
_PAIR = re.compile(r"[和及与]|\b(?:and|or)\b", re.I)


def _listed_items(text: str) -> int:
    """The most items one enumeration in the text names: "A、B、C 和 D", "A; B; C", "A, B and C", "A and B"."""
    zh = max(c.count("、") + 1 + bool(re.search(r"、[^、]*[和及与]", c)) for c in re.split(r"[。，；]", text))
    semi = len(re.findall(r"[;；]", text)) + 1
    en = max((m[1].count(",") + 2 for m in _EN_RUN.finditer(text)), default=1)
    return max(zh, semi, en, 1 + bool(_PAIR.search(text)))


def names_items(texts: list[str], n: int) -> bool:
    """Whether the texts name n items: n list entries ((a)…(d) as separate sentences), or one enumeration of n."""
    marked = len({m.lower() for t in texts for m in _LIST_MARK.findall(t)})
    return marked >= n or any(_listed_items(t) >= n for t in texts)


def missing_answer(question: str, texts: list[str]) -> str | None:
    """What the texts lack that the question asks for: its checked kind of answer ("place", "status"…), or
    "items" when it asks for n items named and they name fewer; None when nothing is missing."""
    kind = asked_type(question)
    if kind in CHECKED and not any(holds(kind, t, question) for t in texts):
        return kind
    n = asked_items(question)
    return "items" if n is not None and not names_items(texts, n) else None


def lacks_answer(question: str, texts: list[str]) -> bool:
    """True when the question asks for a checked kind of answer and none of the texts holds one, or asks
    for n items named and the texts name fewer."""
    return missing_answer(question, texts) is not None
