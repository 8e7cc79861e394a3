"""Deterministic news-like prose for the replica.

Everything here is a pure function of a ``random.Random``: the same seed gives the same
headline, sentence or name on every machine. The vocabulary is large enough that two
unrelated articles share almost no word 5-grams, so near-duplicate detection measured on
the replica is not fooled by generator artefacts. Generated text never contains any of the
boilerplate strings of MARKUP.md 2.2 (see ``newscrawl.replica.world.BOILERPLATE_STRINGS``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import TypeVar

GIVEN = (
    "Ka-man Wing-sze Tak-ming Siu-lun Mei-ling Chi-keung Hoi-yan Wai-kit Ying-ying Man-kit "
    "Xiaoming Jianhua Lina Wei Fang Jun Yuting Haoran Zhiqiang Meixiu Alcott Natalie Kelly "
    "William Gary Jeffie Ralph Kathleen Enoch Cannix Jack Denise Harvey Lilian Finbarr Amber "
    "Tony Oscar Emily Rachel Hayley Zoe Laura Sammy Jun Kinling Dewey Phila Coco Echo Willa"
).split()
FAMILY = (
    "Chan Wong Lee Cheung Lau Ho Ng Leung Tsang Yeung Chow Lam Tam Kwok Mak Siu Fung Tse Yip "
    "Wei Mai Zheng Zhou Wang Zhang Liu Chen Yang Huang Lo Cheng Sun Xu Zhu Lin Guo Lai "
    "Bermingham Huang Sito Lum Lo Lew Ip Kong Tong Law Ma Tsoi To Pang Poon"
).split()
ROLES = (
    "a senior fellow at the Asia Society Policy Institute",
    "a former diplomat and a visiting professor at Lingnan University",
    "an economist and a member of the Hong Kong Policy Research Institute",
    "a columnist and the author of three books on regional security",
    "a researcher at the Centre for Chinese Studies in Singapore",
    "a retired banker who writes on markets and monetary policy",
)
PLACES = (
    "Hong Kong", "Kowloon", "Sha Tin", "Tuen Mun", "Wan Chai", "Mong Kok", "Tseung Kwan O",
    "Lantau", "Beijing", "Shanghai", "Shenzhen", "Guangzhou", "Chongqing", "Wuhan", "Hangzhou",
    "Chengdu", "Tianjin", "Macau", "Taipei", "Singapore", "Jakarta", "Manila", "Hanoi",
    "Bangkok", "Kuala Lumpur", "Seoul", "Tokyo", "Canberra", "Washington", "Brussels", "London",
    "Geneva", "Nairobi", "Delhi", "Dhaka", "Hainan", "Yunnan", "Xinjiang", "Fujian", "Zhejiang",
)
ORGS = (
    "the Legislative Council", "the Securities and Futures Commission", "the Hospital Authority",
    "the Hong Kong Monetary Authority", "the Ministry of Foreign Affairs", "the State Council",
    "the Asian Development Bank", "the National Development and Reform Commission",
    "the Observatory", "the Hang Seng Index", "the Jockey Club", "the Education Bureau",
    "the Transport Department", "the Airport Authority", "the MTR Corporation",
    "the Association of Southeast Asian Nations", "the World Health Organization",
    "the People’s Bank of China", "the Court of Final Appeal", "the Housing Authority",
    "Alibaba Group Holding", "Tencent Holdings", "Huawei Technologies", "BYD", "Xiaomi",
    "HSBC", "Cathay Pacific", "the Federal Reserve", "the International Monetary Fund",
)
NOUNS = (
    "budget proposal plan policy scheme bill review inquiry report survey index forecast "
    "strategy framework agreement dispute tariff subsidy quota levy project tender contract "
    "investigation campaign reform measure guideline rule regulation permit licence programme "
    "pilot trial study probe deal merger listing offering rally slump rebound recovery outlook "
    "shortage surplus backlog deficit target quota corridor pipeline terminal reservoir bridge "
    "tunnel railway highway harbour district estate campus clinic laboratory factory warehouse "
    "port runway stadium marathon league tournament championship squad season fixture"
).split()
ADJS = (
    "new revised controversial ambitious long-awaited cross-border regional national "
    "municipal provincial bilateral multilateral preliminary final interim annual quarterly "
    "record modest sharp steady unexpected widespread landmark temporary permanent joint "
    "private public digital green low-carbon high-speed offshore coastal rural urban"
).split()
VERBS_PAST = (
    "announced unveiled approved rejected delayed criticised defended expanded suspended "
    "launched scrapped extended endorsed questioned revised confirmed postponed accelerated "
    "tightened relaxed outlined tabled signed finalised reviewed"
).split()
SAY = ("said", "told the Post", "added", "noted", "warned", "explained", "wrote")
TIMES = (
    "on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "on Saturday",
    "on Sunday", "last week", "earlier this month", "late last year", "this morning",
    "in the first quarter", "over the weekend", "in recent days", "since January",
)
CONNECT = (
    "However,", "Meanwhile,", "In a statement,", "According to officials,", "By contrast,",
    "Separately,", "At the same time,", "Analysts said", "Critics argued that", "Supporters said",
)
QUOTES = (
    "We will not cut corners on safety",
    "This is a turning point for the whole city",
    "Nobody expected the numbers to move so quickly",
    "The public deserves a clear answer",
    "It’s too early to say whether it will work",
    "We have listened to every concern raised",
    "There is still a long way to go",
    "The market has already priced this in",
    "Our door remains open to dialogue",
    "Residents have waited far too long",
)
TOPIC_POOL = {
    "news": ("Hong Kong politics", "Hong Kong economy", "Hong Kong housing", "Transport",
             "Health and environment", "Education", "Crime", "Weather", "Diplomacy",
             "China-US relations", "Taiwan", "South China Sea", "Belt and Road Initiative",
             "Asean", "Japan", "Korean peninsula", "Ukraine war", "Middle East", "Climate change"),
    "business": ("Stocks", "Banking and finance", "Property", "Companies", "China economy",
                 "Trade war", "Initial public offering", "Cryptocurrency", "Commodities"),
    "tech": ("Big Tech", "Artificial intelligence", "Semiconductors", "Electric vehicles",
             "Start-ups", "Cybersecurity", "Social media", "Space"),
    "opinion": ("Opinion", "Geopolitics", "Hong Kong politics", "China economy", "Climate change"),
    "lifestyle": ("Food and drink", "Travel", "Health and wellness", "Arts", "Fashion"),
    "sport": ("Football", "Tennis", "Rugby", "Horse racing", "Olympics", "Basketball"),
}
CREDITS = ("Sam Tsang", "May Tse", "Edmond So", "Jelly Tse", "Dickson Lee", "Xiaomei Chen",
           "Reuters", "AFP", "AP", "Xinhua", "Bloomberg", "Handout", "EPA-EFE", "Shutterstock",
           "Getty Images", "SCMP Pictures")
SPEAKERS = ("a government spokesman", "a lawmaker", "an analyst", "a resident", "the minister",
            "the company", "a source familiar with the matter", "the chief executive")


T = TypeVar("T")


def _pick(rng: random.Random, seq: Sequence[T]) -> T:
    """``rng.choice(seq)`` without its rejection loop."""
    return seq[int(rng.random() * len(seq))]


def person(rng: random.Random) -> str:
    return f"{_pick(rng, GIVEN)} {_pick(rng, FAMILY)}"


def _number(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.25:
        return f"HK${rng.randint(2, 990)}.{rng.randint(1, 9)} billion"
    if pick < 0.45:
        return f"{rng.randint(2, 95)} per cent"
    if pick < 0.6:
        return f"US${rng.randint(3, 900)} million"
    if pick < 0.8:
        return f"{rng.randint(12, 98_000):,} people"
    return f"{rng.randint(2, 40)} years"


def phrase(rng: random.Random) -> str:
    return f"{_pick(rng, ADJS)} {_pick(rng, NOUNS)}"


def sentence(rng: random.Random) -> str:
    """One declarative sentence, 12 to 35 words, ending with a full stop."""
    kind = rng.random()
    if kind < 0.22:
        who = person(rng) if rng.random() < 0.6 else _pick(rng, SPEAKERS)
        quote = _pick(rng, QUOTES)
        extra = f", {_pick(rng, ('and', 'but', 'because'))} the {phrase(rng)} in {_pick(rng, PLACES)} " \
                f"{_pick(rng, ('was only the start', 'would be reviewed', 'had changed the picture'))}" \
            if rng.random() < 0.5 else ""
        return f"“{quote}{extra},” {who} {_pick(rng, SAY)}."
    if kind < 0.45:
        return (f"{_pick(rng, ORGS).capitalize() if rng.random() < 0.1 else _cap(_pick(rng, ORGS))} "
                f"{_pick(rng, VERBS_PAST)} the {phrase(rng)} {_pick(rng, TIMES)}, "
                f"a move expected to affect {_number(rng)} across {_pick(rng, PLACES)}.")
    if kind < 0.62:
        return (f"{_pick(rng, CONNECT)} the {phrase(rng)} for {_pick(rng, PLACES)} would cost "
                f"{_number(rng)}, up from {_number(rng)} when the {phrase(rng)} was first "
                f"{_pick(rng, VERBS_PAST)}.")
    if kind < 0.78:
        return (f"{person(rng)}, who leads the {phrase(rng)} team at {_pick(rng, ORGS)}, "
                f"{_pick(rng, SAY)} the {_pick(rng, NOUNS)} had been {_pick(rng, VERBS_PAST)} "
                f"after {_number(rng)} signed a petition {_pick(rng, TIMES)}.")
    if kind < 0.9:
        return (f"The {phrase(rng)} in {_pick(rng, PLACES)} & {_pick(rng, PLACES)} drew "
                f"{_number(rng)}, the highest since the {phrase(rng)} of {rng.randint(1997, 2025)}.")
    return (f"Officials in {_pick(rng, PLACES)} {_pick(rng, VERBS_PAST)} a {phrase(rng)} "
            f"{_pick(rng, TIMES)} — the {_pick(rng, ('first', 'second', 'third', 'latest'))} "
            f"such step this year — citing {_number(rng)} in unpaid {_pick(rng, NOUNS)}s.")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def paragraph(rng: random.Random, sentences: tuple[int, int] = (1, 3)) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(*sentences)))


def headline(rng: random.Random, place: str) -> str:
    """A headline of 8 to 20 words; some are longer than JSON-LD's 105-character cut."""
    form = rng.random()
    if form < 0.3:
        text = (f"{place} {_pick(rng, VERBS_PAST)} {phrase(rng)} as {_number(rng)} "
                f"face {_pick(rng, ADJS)} {_pick(rng, NOUNS)}")
    elif form < 0.55:
        text = (f"{_cap(_pick(rng, ORGS))} {_pick(rng, VERBS_PAST)} {phrase(rng)} after "
                f"{_pick(rng, ADJS)} {_pick(rng, NOUNS)} in {place}")
    elif form < 0.8:
        text = (f"‘{_pick(rng, QUOTES)}’: {person(rng)} on the {phrase(rng)} for {place}")
    else:
        text = (f"Explainer | What the {phrase(rng)} means for {place}, and why "
                f"{_number(rng)} are watching the {phrase(rng)} and the {phrase(rng)} "
                f"{_pick(rng, TIMES)}")
    return _cap(text)


def plural(count: int, unit: str) -> str:
    """``"1 minute"``, ``"3 minutes"``."""
    return f"{count} {unit}{'s' if count != 1 else ''}"


def slugify(text: str, max_words: int = 12) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower().replace("’", "").replace("'", ""))
    return "-".join(words[:max_words]) or "article"


def bullets(rng: random.Random, place: str) -> list[str]:
    out = []
    for _ in range(rng.randint(1, 3)):
        out.append(_cap(f"{_pick(rng, ORGS)} {_pick(rng, VERBS_PAST)} {phrase(rng)} for "
                        f"{place} {_pick(rng, TIMES)}"))
    return out


def caption(rng: random.Random, place: str) -> str:
    return _cap(f"{_pick(rng, ('Residents', 'Officials', 'Visitors', 'Workers', 'Protesters'))} "
                f"{_pick(rng, ('gather', 'queue', 'wait', 'walk'))} near the {phrase(rng)} in {place}.")


def bio(rng: random.Random, name: str) -> str:
    return f"{name} is {_pick(rng, ROLES)}"
