"""What kind of answer a question wants (search/answer_evidence.py: whether a text holds one).

A question that asks for a city, a person's name, an amount, a date or a count is not answered by sentences
that hold no such thing, however similar they are ("In which city will BAPA+40 take place?" is not answered
by the deliverable that names the conference). The types are detected in Chinese and English (and the
common French and Spanish question words); a type with no dependable surface form (a reason, a yes/no) is
detected, to prefer sentences, but never refuses.
"""

from __future__ import annotations

import re

# Most specific first: "how many countries" is a count, "which countries" a list of countries.
_WHERE_VERBS = r"(?:held|take place|took place|located|based|hosted|headquartered)"
DONE_VERBS = (
    r"(?:completed|achieved|finished|accomplished|met|delivered|adopted|approved|ratified|submitted|published"
    r"|released|launched|implemented|presented|signed|concluded|consulted)"
)
_FINDS = (
    "conclude|decide|find|achieve|accomplish|recommend|show|reveal|indicate|demonstrate|agree|result in|produce|yield"
)
_ZH_DONE = "完成|实现|落实|通过|提交|发布|批准|启动|实施|采纳|签署|接受"
_ASKS: list[tuple[str, str]] = [
    (
        "status",
        # Whether something has been done: completed, adopted, submitted, ratified… (not what it says or plans).
        rf"\b(?:has|have|had) (?:already )?(?:[\w'’-]+ ){{0,10}}?been (?:already )?{DONE_VERBS}\b"
        rf"|\b(?:were|has|have|had) (?:already )?{DONE_VERBS}\b|\balready {DONE_VERBS}\b"
        r"|\b(?:completion|implementation|ratification) status\b"
        rf"|^(?:did|has|have) (?:[\w'’-]+ ){{1,10}}?"
        r"(?:adopt|approve|ratify|complete|submit|publish|finish|launch|sign)(?:ed)?\b"
        rf"|^(?:was|were|is|are) (?:[\w'’-]+ ){{1,10}}?(?:ever |already |yet |now )?{DONE_VERBS}\b"
        r"|已(?:经)?完成|完成情况|已实现|已落实|批准情况"
        rf"|(?:有没有|是否已?经?|已经?)[^，。？]{{0,25}}(?:{_ZH_DONE})|(?:{_ZH_DONE})了?(?:吗|没有)",
    ),
    (
        "outcome",
        # What an event, a body or earlier work concluded, decided, found or achieved.
        rf"\bwhat (?:did|does|has|have) (?:[\w-]+ ){{1,12}}?(?<!\bto )(?:{_FINDS})\b|"
        r"\bwhat (?:were|are|was|is) (?:the )?(?:main |key |concrete |specific )?"
        r"(?:conclusions?|findings?|outcomes?|results|achievements?|decisions?|recommendations?)\b"
        r"|\b(?:summari[sz]e|describe) what (?:[\w-]+ ){1,12}?(?:achieved|concluded|decided|found)\b"
        r"|得出了?(?:什么|哪些)|(?:什么|哪些)(?:具体的?|主要的?)?(?:结论|成效|发现|决定)|作出了?(?:什么|哪些)"
        r"|取得了?(?:什么|哪些)(?:具体的?|主要的?)?(?:成效|成果|成绩|结果)|结论是什么|成效如何|结果如何"
        r"|\bhow did (?:[\w'’-]+ ){1,8}?(?:react|respond)\b"
        r"|\bwhat (?:was|were) (?:the )?(?:reactions?|responses?|feedback)\b"
        r"|(?:什么|哪些|有何)(?:反馈|反应|回应)",
    ),
    (
        "percentage",
        r"\bwhat (?:share|percentage|proportion)\b|\b(?:what|which) (?:[\w-]+ )?rate\b|\bhow much of\b|\bper ?cent\b"
        r"|百分之|百分比|比例|占.{0,6}多少|多大比例|(?:利|费|汇)率",
    ),
    (
        "amount",
        # "Programme and Budget" (计划和预算) is a document's name, not an amount.
        # "Policy and budget coherence" (预算一致性) is no amount either: a budget asked for is one whose size is.
        r"\bhow much\b|\bamount\b|(?<!Programme and )\bbudget\b(?! coherence)|\bUS dollars?\b|\bcost\b"
        r"|\b(?:in|of) (?:US )?dollars\b|\bfees?\b|\bprice\b|\b(?:wage|salary) (?:level|rate)\b|\bminimum wage\b"
        r"|多少钱|金额|总额|(?<!计划和)(?<!计划与)预算(?!一致)"
        r"|多少(?:美元|资金|经费)|工资水平|最低工资|收费|费用是多少|价格",
    ),
    (
        "countries",
        r"\b(?:which|what) (?:(?:two|three|four|five|six|seven|other|\d+) )?countries\b|\bmember(?:s| states) of\b"
        r"|\b(?:list|name) (?:the |all )?(?:[\w-]+ ){0,2}countries\b"
        r"|哪些国家|哪几个国家|哪[一二两三四五六七八九十]个国家|包括哪些国家|(?:伙伴|成员)?国有哪些|哪些(?:伙伴|成员)国|(?:列出|列举)[^。？]{0,20}(?:国家|成员国)",
    ),
    (
        "companies",
        r"\b(?:which|what) (?:private |multinational )?(?:companies|firms|enterprises|corporations|businesses)\b"
        r"|哪(?:些|几家|一家|家)(?:私营|私人|跨国)?(?:公司|企业)",
    ),
    (
        "funder",
        # Who pays for something: a sentence naming the thing without saying who funds it does not answer.
        r"\bwho (?:will )?(?:pays?|funds?|finances?|sponsors?)\b|\b(?:funded|financed|paid for|sponsored) by whom\b"
        r"|\b(?:which|what) (?:donors?|funders?|sponsors?)\b|\bwho (?:is|are) (?:the )?(?:donors?|funders?|sponsors?)\b"
        r"|由谁(?:出资|资助|供资|提供(?:资金|经费)|承担)|(?:经费|资金|费用)[^，。？]{0,12}由(?:谁|哪些|哪个|哪家)"
        r"|哪些(?:捐助方|捐助者|捐助国|出资方|资助方)|谁(?:出资|资助|供资)",
    ),
    (
        "comparison",
        # How something compares with or differs from another: the paper must make the comparison.
        r"\bcompared? (?:with|to)\b|\bin comparison\b|\bhow does (?:[\w-]+ ){1,6}?compare\b|\b(?:better|worse) than\b"
        r"|\brank(?:s|ed|ing)?\b|\bdiffer(?:ent|ence|s)? (?:from|between)\b|\bwhat(?:'s| is) (?:the )?difference\b"
        r"|\btop (?:\d+|two|three|four|five|ten)\b|\b(?:largest|biggest|smallest)\b"
        r"|相比|相较|有什么不同|有何不同|有什么区别|有何区别|排名|前[二三四五六七八九十\d]+(?:大|名|位)|最大的",
    ),
    (
        "measures",
        # Which indicators, criteria or variables: the paper must name them.
        r"\b(?:which|what) (?:[\w-]+ ){0,2}(?:indicators?|criteria|criterion|metrics?|variables|benchmarks?"
        r"|baselines?)\b|\bKPIs?\b|\bkey performance indicators?\b|\bany (?:metrics|indicators|baselines?)\b"
        r"|哪些(?:具体的?|关键的?)?(?:指标|标准|变量|基准|基线)|(?:指标|标准)(?:是什么(?!时候)|有哪些)|绩效指标",
    ),
    (
        "frequency",
        r"\bhow often\b|\bhow frequently\b|\bat what intervals?\b"
        r"|多久一次|多长时间一次|频率|多久(?:提交|报告|更新|发布)",
    ),
    ("link", r"\b(?:link|url|web ?site|web ?page|web address)\b|网址|链接|网站"),
    (
        "definition",
        # What a term means or an abbreviation stands for: the paper must define or spell it out.
        r"\bstands? for\b|\bwhat does (?:[\w'’+-]+ ){1,4}?(?:mean|stand for)\b|\bdefin(?:e|es|ition)\b|\bmeaning of\b"
        r"|是什么意思|的含义|的定义|如何定义|怎么定义|代表什么|全称",
    ),
    ("example", r"\b(?:an? |any |some )?examples?\b|\bfor instance\b|举个?例|有哪些例子|什么例子|案例|实例"),
    (
        "procedure",
        # The steps, procedure or mechanism by which something is done: the paper must describe one.
        r"\b(?:which|what) (?:[\w-]+ ){0,2}(?:steps|procedures?|mechanisms?|process(?:es)?)\b|\bconcrete mechanism\b"
        r"|\bhow exactly\b|哪些步骤|什么(?:样的)?(?:机制|程序|流程|步骤)|具体(?:步骤|程序|流程|机制)",
    ),
    ("count", r"\bhow many\b|\bnumber of\b|\bcombien\b|\bcuánt[oa]s\b|多少|几个|几项|几名|几家|几次|几届"),
    (
        "person",
        # "the name of the report / plan / initiative" asks a title, not a person.
        r"\bwho\b|\bwhose name\b|\bname of (?:the |its |their )?(?:current |present |new )?"
        r"(?:person|official|(?:deputy )?director|head|chair|coordinator|secretary|minister|president|representative"
        r"|officer|manager|expert|spokesperson)"
        r"|\bqui\b|\bquién(?:es)?\b|谁|哪一?位|什么人|姓名|叫什么名字",
    ),
    (
        "agent",
        # Which office or body does something: answered by an office, but only one said to do it (the roles).
        r"\bwhich (?:ILO |UN )?(?:department|office|unit|bureau|branch|division|body|agency|institution"
        r"|organi[sz]ation)s? (?:is|are|was|were|will|does|did|has|have|hosts?|runs?|leads?)\b"
        r"|哪个(?:部门|机构|办公室|司|局|组织)",
    ),
    (
        "place",
        rf"\b(?:which|what) (?:city|town|country|venue|place)\b.{{0,60}}\b{_WHERE_VERBS}\b"
        rf"|\bin which (?:city|town|country)\b|\bwhere\b.{{0,120}}\b{_WHERE_VERBS}\b"
        r"|哪个城市|哪座城市|什么城市|在何处|在哪(?:里|儿)?(?:举行|召开|举办|开)|举办地|地点在|总部设在|总部在哪",
    ),
    # Which session of a body: a session number, a symbol or the month it meets, not a year alone.
    ("session", r"\b(?:which|what) session\b|\bat which (?:of its )?sessions?\b|哪一?届|第几届"),
    # "On what date / which day" wants a day; "the date of X" (日期) is answered by a month or a year too.
    ("day", r"\bwhat (?:date|day)s?\b|\bwhich (?:day|date)s?\b|\bon what day\b|哪一天|哪天|哪几天|几月几[日号]"),
    (
        "date",
        r"\bwhen\b(?! it comes to)|\bwhat (?:year|month)\b|\bwhich (?:year|month)s?\b|\bby when\b|\bquand\b|\bcuándo\b"
        r"|\bwhat is the date\b|\bthe date of\b|什么时候|何时|哪一年|哪年|哪几年|哪些年|几月|时间是|日期",
    ),
    (
        "symbol",
        r"\b(?:which|what) (?:governing body )?(?:documents?|papers?|reports?)\b|\bdocument (?:symbol|number)\b"
        r"|\bsymbol\b|哪份文件|哪一份文件|哪份理事会文件|哪些[^，。？]{0,12}文件|文件编号|文号|哪份报告",
    ),
    (
        "consequence",
        # What would happen if…: the paper says so only in a conditional ("if…", "否则", "一旦").
        r"\bwhat (?:would|will|could) happen if\b|\bwhat (?:are|would be|will be) the consequences?\b"
        r"|会有什么后果|有什么后果|会怎么样|会发生什么",
    ),
    ("reason", r"\bwhy\b|\bfor what reason\b|\bpourquoi\b|\bpor qué\b|为什么|为何|原因"),
    ("yesno", r"^(?:is|are|does|do|did|will|can|could|has|have|was|were|should)\b|是否|吗[？?]?\s*$"),
    ("list", r"\bwhat are\b|\bwhich\b|\blist\b|哪些|哪几"),
]
# French and Spanish, the ILO's other working languages: their readers get the English version, so only the
# question needs reading. The same kinds, most specific first as above.
_ASKS_FR_ES = {
    "status": r"\b(?:a|ont)-t-(?:il|elle|ils|elles) (?:déjà )?été (?:achevée?s?|adoptée?s?|approuvée?s?|ratifiée?s?"
    r"|soumise?s?|publiée?s?|signée?s?)\b|\bya (?:se )?(?:ha|han) (?:sido )?(?:completad|adoptad|aprobad|ratificad"
    r"|presentad|publicad|firmad)|\bdéjà (?:achevée?s?|terminée?s?|adoptée?s?|réalisée?s?)\b",
    "outcome": r"\bqu'(?:a|ont)(?:-t-(?:il|elle))? (?:conclu|décidé|constaté)|\bquelles (?:ont été |sont )?(?:les )?"
    r"(?:conclusions|décisions|résultats)\b|\bqu[ée] (?:concluy|decidi)|\bqué (?:conclusiones|resultados)\b",
    "funder": r"\bqui (?:finance|paie|paye)\b|\bquién(?:es)? (?:financia|paga)",
    "percentage": r"\bquelle (?:part|proportion)\b|\bquel pourcentage\b|\bquel taux\b|\bqué (?:porcentaje|proporción"
    r"|parte)\b|\bqué tasa\b",
    "amount": r"\bmontant\b|\ben dollars\b|\bcombien d'argent\b|\bcoûte?\b|\bcuánto dinero\b"
    r"|\bmonto\b|\bcuesta\b|\bpresupuesto\b|\ben dólares\b",
    "countries": r"\bquels pays\b|\bqué países\b",
    "companies": r"\bquelles (?:entreprises|sociétés)\b|\bqué (?:empresas|compañías)\b",
    "place": r"\bdans quelle ville\b|\boù (?:se tiendra|se tient|a eu lieu|s'est tenue?|se trouve|est situé)"
    r"|\ben qué ciudad\b|\bdónde (?:se celebr|tendrá lugar|tuvo lugar|se encuentra|está)",
    "session": r"\bquelle session\b|\bqué (?:período de sesiones|reunión)\b",
    "day": r"\bquel jour\b|\bà quelle date\b|\bqué día\b|\ben qué fecha\b",
    "date": r"\ben quelle année\b|\bquelle année\b|\ben qué año\b",
    "measures": r"\bquels (?:indicateurs|critères)\b|\bqué (?:indicadores|criterios)\b",
    "comparison": r"\bpar rapport (?:à|aux)\b|\bcomparée?s? (?:à|aux|avec)\b|\ben comparación\b|\bcomparad[oa]s? con\b",
    "symbol": r"\bquels? documents?\b|\bcote\b|\bqué documentos?\b|\bsignatura\b",
}
ASKS = [(kind, re.compile(p + (f"|{_ASKS_FR_ES[kind]}" if kind in _ASKS_FR_ES else ""), re.I)) for kind, p in _ASKS]

# A person's name, as opposed to a post: only an honorific or a transcribed name marks it.
# "Who is the Director-General?" / "副局长是谁？" asks who holds a post: a person's name, not an office.
_POST = r"(?:deputy )?(?:director|head|chair|chairperson|president|secretary|coordinator|minister|manager|officer)"
_ASKS_NAME = re.compile(
    rf"\bname\b|姓名|名字|叫什么|\bwho (?:is|was|will be) (?:the |its )?(?:[\w-]+ )?{_POST}"
    r"|(?:局长|司长|主席|主任|秘书长|协调员|部长|主管)(?:现在)?是谁"
    r"|哪一?位[\u4e00-\u9fff]{0,8}(?:局长|司长|主席|主任|秘书长|协调员|部长|主管)"
    rf"|\bwhich (?:[\w-]+ )?{_POST}",
    re.I,
)
# "Who chairs / leads / is responsible for X?" asks who holds that role: a sentence that does not say who
# chairs, leads, coordinates or answers for it does not answer, whichever office it names. Each role in both
# languages, since the reader's version may be the original or a translation.
_ROLES = [
    re.compile(r"\bchair(?:s|ed|ing|person|man|woman)?\b|\bpresid(?:e|es|ed|ing)\b|\bpr[ée]sid|主持|主席", re.I),
    re.compile(r"\blead(?:s|ing|er|ership)?\b|\bled by\b|\bhead(?:s|ed)\b|\bdirig|牵头|领导|带头|率领|主导", re.I),
    re.compile(r"\bresponsib|\bresponsable|\bin charge\b|\boversee|\bmanag(?:e|es|ed|ing)\b|负责|主管", re.I),
    re.compile(r"\bcoordinat|\bcoordonn|\bcoordin|协调", re.I),
    re.compile(r"\brepresent(?:s|ed|ing|ative)?\b|代表", re.I),
    re.compile(r"\bhost(?:s|ed|ing)?\b|\borgani[sz](?:es|ed|ing)\b|主办|举办|承办", re.I),
]


def asked_roles(question: str) -> list[re.Pattern]:
    """The roles the question asks who holds (chairs, leads, answers for, coordinates, represents, hosts)."""
    return [r for r in _ROLES if r.search(question)]


# Kinds whose presence marks the sentence that answers (a date, a count, a name, a symbol, a status said
# done): they steer reranking, which sentence is quoted and which lower unit or footnote joins it, and refuse
# when absent.
STEERING = (
    "status",
    "outcome",
    "funder",
    "companies",
    "percentage",
    "amount",
    "count",
    "person",
    "place",
    "countries",
    "session",
    "day",
    "date",
    "symbol",
)
# Kinds marked only by a loose word ("for example", "process", "than", "every"): they refuse when absent but
# steer nothing (the reranking weights were fitted without them).
REFUSING_ONLY = (
    "agent",
    "comparison",
    "measures",
    "consequence",
    "frequency",
    "link",
    "definition",
    "example",
    "procedure",
)
CHECKED = STEERING + REFUSING_ONLY


def asks_for_name(question: str) -> bool:
    """Whether a who-question wants a person's name ("Who is the Director-General?"), not an office."""
    return bool(_ASKS_NAME.search(question))


def asked_type(question: str, among: tuple[str, ...] | None = None) -> str | None:
    """The kind of answer the question wants (the first pattern that matches; with `among`, the first of
    those kinds), or None."""
    for kind, pattern in ASKS:
        if (among is None or kind in among) and pattern.search(question.strip()):
            return kind
    return None


# What a count question counts: one of the two words after "how many" ("how many Resident Coordinators",
# "how many countries piloted"), or the noun after "多少个/几个" (多少个外地办事处 → 外地).
_EN_COUNTED = re.compile(
    r"\b(?:how many|number of)\s+(?:of\s+)?(?:the\s+)?(?:\d{4}\s+)?([A-Za-z-]{3,})(?:\s+([A-Za-z-]{3,}))?", re.I
)
_ZH_COUNTED = re.compile(r"(?:多少|几)(?:个|项|名|家|份|条|位|所)?([\u4e00-\u9fff]{2})")


def _stem(word: str) -> str:
    """countries → countr, deliverables → deliverable, States → state: a prefix both forms share."""
    w = word.lower()
    return w[:-3] if w.endswith("ies") else w[:-1] if w.endswith("y") else w.removesuffix("s")


def counted_nouns(question: str) -> tuple[str, list[str]] | None:
    """(language, stems of the words that may name the counted thing), or None when it cannot be told."""
    if m := _ZH_COUNTED.search(question):
        return "zh", [m[1]]
    if m := _EN_COUNTED.search(question):
        return "en", [_stem(w) for w in m.groups() if w]
    return None


# Whether something was done, what it concluded and when it was adopted are asked of one thing ("Has the guide
# been published?", "该论坛得出了什么结论？", "《亚的斯亚贝巴行动议程》是哪一年通过的？"): a sentence saying that
# something else was adopted, stressed or dated does not answer.
_EVENT = r"adopt|found|establish|create|sign|launch|hold|held|set up|approve|publish|issue|introduc|start|begin|began"
_SUBJECT = {
    "done": [
        re.compile(
            rf"\bwhat (?:did|does|has|have) (.+?) (?<!\bto )(?:{_FINDS})\b|"
            r"\b(?:conclusions?|findings?|outcomes?|results|achievements?|decisions?"
            r"|recommendations?) (?:of|from) (.+?)[?.]?$|\b(?:summari[sz]e|describe) what (.+?) (?:achieved|concluded"
            rf"|decided|found)\b|^(?:did|has|have|was|were|is|are) (.+?) (?:ever |already |yet |now )?(?:been )?"
            rf"(?:{DONE_VERBS}|adopt|approve|ratify|complete|submit|publish|finish|launch)\b",
            re.I,
        ),
        re.compile(r"^(.+?)(?:最后|最终|是否|有没有|已经|已|得出|作出|取得|的结论|的成效|的决定|具体作出)"),
    ],
    "funder": [
        re.compile(r"\bwho (?:will )?(?:pays?|funds?|finances?|sponsors?) (?:for )?(.+?)[?.]?$", re.I),
        re.compile(r"^(.+?)的?(?:经费|资金|费用)"),
    ],
    "when": [
        re.compile(rf"^(?:when|in (?:what|which) year) (?:was|were|did) (.+?) (?:{_EVENT})", re.I),
        re.compile(
            r"^(.+?)是?在?(?:什么时候|何时|哪一年|哪年)(?:开始)?(?:通过|成立|设立|创建|签署|发布|举行|召开|建立|启动"
            r"|实行|实施|生效|推出)"
        ),
    ],
}
_SUBJECT_OF = {"status": "done", "outcome": "done", "date": "when", "day": "when"}
_STOP = set("the a an of on in at for to and or its their this that these those about by with from it".split())


def subject_terms(question: str, kind: str) -> tuple[str, set[str]] | None:
    """("en", its content words) or ("zh", its character pairs) of the thing a status or outcome question is
    about, or None when it cannot be told."""
    for pattern in _SUBJECT.get(_SUBJECT_OF.get(kind, kind), []):
        if m := pattern.search(question.strip()):
            span = next((g for g in m.groups() if g), "")
            if re.search(r"[\u4e00-\u9fff]", span):
                han = re.sub(r"[^\u4e00-\u9fff]+", " ", span)
                pairs = {w[i : i + 2] for w in han.split() for i in range(len(w) - 1)}
                return ("zh", pairs) if pairs else None
            words = {w.lower()[:6] for w in re.findall(r"[\w'-]+", span) if w.lower() not in _STOP and len(w) > 2}
            return ("en", words) if words else None
    return None


# "Which four countries…", "List the three portfolios", "哪四个国家", "列出…四项战略目标": the reader wants the
# items named, and a sentence that only counts them ("in four countries") does not name them.
_NUMBERS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten".split())}
_NUMBERS |= {c: i for i, c in enumerate("〇一二三四五六七八九十")} | {"两": 2}
_EN_ITEMS = re.compile(
    r"\b(?:which|what|list|name|identify) (?:are |were )?(?:all )?(?:the |its |their )?(two|three|four|five|six|seven"
    r"|eight|nine|ten|[2-9]) (?:[\w-]+ ){0,3}?[a-z-]+s\b",
    re.I,
)
_ZH_MEASURE = "(?:个|项|家|位|种|条|名|份|大)"
_ZH_ITEMS = re.compile(
    rf"哪([两二三四五六七八九十2-9]){_ZH_MEASURE}|(?:列出|列举)[^。？]{{0,24}}?(?<!第)([两二三四五六七八九十2-9]){_ZH_MEASURE}"
)


def asked_items(question: str) -> int | None:
    """How many items the question wants named (≥ 2), or None."""
    m = _EN_ITEMS.search(question) or _ZH_ITEMS.search(question)
    if not m:
        return None
    word = next(g for g in m.groups() if g)
    return int(word) if word.isdigit() else _NUMBERS.get(word.lower())
