"""The weighted length X counts for a post (twitter-text, configuration v3).

After NFC normalisation, code points up to U+10FF and a few punctuation ranges weigh 1 and all
others (CJK, emoji...) weigh 2, every URL weighs 23 whatever its length, and an emoji sequence
(ZWJ family, skin tone, flag, keycap, tag sequence) weighs 2 as a whole. `tweet_measure`
implements those rules, URL extraction included, and agrees with twitter-text's conformance
suite. Importing the module stays cheap: the URL and emoji patterns are compiled on first use.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator
from functools import cache
from typing import NamedTuple

TWEET_MAX_WEIGHTED_LENGTH = 280
_URL_WEIGHT = 23
_HEAVY_WEIGHT = 2
_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
_LIGHT_UP_TO = chr(_LIGHT_RANGES[0][1])
# Every sequence _emoji_pattern matches holds a code point from here up: a pictograph (the
# lowest is U+203C), a modifier base, U+FE0F after © or ®, U+20E3 of a keycap, a flag's letters.
_LOWEST_EMOJI_CODE_POINT = "\u203c"
_INVALID_CHARS = frozenset("\ufffe\ufeff\uffff")
_MAX_URL_LENGTH = 4096
_MAX_LABEL_LENGTH = 63
_MAX_TCO_SLUG_LENGTH = 40


class TweetMeasure(NamedTuple):
    """A post's length as X counts it (twitter-text v3 `parseTweet`)."""

    weighted_length: int
    """The number X shows against 280."""
    valid: bool
    """Postable: 0 < weighted_length <= 280, not only whitespace, no U+FFFE, U+FEFF or U+FFFF."""
    permillage: int
    """weighted_length / 280 in thousandths, rounded down."""


def tweet_measure(text: str, *, emoji_parsing: bool = True) -> TweetMeasure:
    """Measure `text` as a post on X.

    `emoji_parsing=False` reproduces twitter-text's configuration v2, where every code point of
    an emoji sequence is weighed on its own.
    """
    text = unicodedata.normalize("NFC", text)
    entities = {start: (end, _URL_WEIGHT) for start, end in tweet_url_spans(text)}
    # The emoji pattern is large to compile (about 6 ms): a text it cannot match skips it.
    if emoji_parsing and max(text, default="") >= _LOWEST_EMOJI_CODE_POINT:
        for match in _emoji_pattern().finditer(text):
            entities.setdefault(match.start(), (match.end(), _HEAVY_WEIGHT))
    # Entities are weighed whole; one starting inside another is never reached.
    length = 0
    index = 0
    for start in sorted(entities):
        if start < index:
            continue
        end, weight = entities[start]
        length += _plain_weight(text, index, start) + weight
        index = end
    length += _plain_weight(text, index, len(text))
    valid = (
        0 < length <= TWEET_MAX_WEIGHTED_LENGTH
        and not text.isspace()
        and _INVALID_CHARS.isdisjoint(text)
    )
    return TweetMeasure(length, valid, length * 1000 // TWEET_MAX_WEIGHTED_LENGTH)


def tweet_weighted_length(text: str) -> int:
    """The weighted length X shows for `text` against its limit of 280."""
    return tweet_measure(text).weighted_length


def _plain_weight(text: str, start: int, end: int) -> int:
    """Weight of ``text[start:end]`` outside URLs and emoji: 1 per code point, 2 if heavy."""
    if start >= end:
        return 0
    if max(text[start:end]) <= _LIGHT_UP_TO:
        return end - start  # all light (Latin, accents, Greek, Cyrillic...): no pattern needed
    heavy = len(_heavy_pattern().findall(text, start, end))
    return (end - start) + heavy * (_HEAVY_WEIGHT - 1)


@cache
def _heavy_pattern() -> re.Pattern[str]:
    light = "".join(rf"\U{low:08x}-\U{high:08x}" for low, high in _LIGHT_RANGES)
    return re.compile(f"[^{light}]")


def tweet_url_spans(text: str) -> Iterator[tuple[int, int]]:
    """Start and end of each URL that twitter-text extracts from `text`.

    Same result as twitter-text's extractor (js/src/extractUrlsWithIndices.js): a URL starts
    after anything but an ASCII letter or digit, @, $ or #; its host ends in a known TLD; without
    a scheme the host must be in Latin script and must not follow "-", "_", "." or "/".
    """
    if "." not in text:
        return
    hosts: dict[bool, _Hosts] = {}
    resume = 0
    for candidate in _url_start_pattern().finditer(text):
        start = candidate.start()
        if 0 < start <= resume:
            continue
        scheme = candidate.group("scheme") or ""
        any_script = bool(scheme)
        if any_script not in hosts:
            hosts[any_script] = _Hosts(text, _host_run_pattern(any_script=any_script))
        host_start = start + len(scheme)
        host_end = hosts[any_script].end(host_start)
        if host_end is None:
            continue
        tail = _url_tail_pattern().match(text, host_end)
        end = resume = tail.end() if tail else host_end
        if not scheme and start and text[start - 1] in "-_./":
            continue
        if scheme and (tco := _tco_pattern().match(text, start, end)):
            if len(tco.group(1)) > _MAX_TCO_SLUG_LENGTH:
                continue
            end = tco.end()
        host = text[host_start:host_end]
        if _valid_host(host, len(scheme or "https://") + end - start - len(host)):
            yield start, end


_RunLabels = tuple[list[int], list[int], list[int | None], list[int]]


class _Hosts:
    """Where the host name starting at a position ends, in one text, for one label alphabet.

    A host is subdomains (letters, digits, "-" and "_"), then a name (no "_"), then a known TLD,
    the longest such. Each run of label characters and dots is analysed once, right to left, so
    the cost stays linear on text like "a.a.a.a..." that sends a backtracking regex quadratic.
    """

    def __init__(self, text: str, run: re.Pattern[str]) -> None:
        self._text = text
        self._runs = [match.span() for match in run.finditer(text)]
        self._run_starts = [start for start, _ in self._runs]
        self._analysed: dict[int, _RunLabels] = {}

    def end(self, pos: int) -> int | None:
        """End of the host starting at `pos`, or None if no host starts there."""
        run = bisect_right(self._run_starts, pos) - 1
        if run < 0 or pos >= self._runs[run][1] or self._text[pos] in "-_.":
            return None
        if self._text.find(".", pos, self._runs[run][1]) < 0:
            return None  # no dot, no TLD: most words of a text end here, unanalysed
        if run not in self._analysed:
            self._analysed[run] = self._analyse(*self._runs[run])
        starts, dots, host_ends, underscores = self._analysed[run]
        label = bisect_right(starts, pos) - 1
        if pos == starts[label]:
            return host_ends[label]
        # pos is inside a label: it starts a shorter first label, the rest of the run is shared.
        if label == len(dots) or self._text[dots[label] - 1] in "-_":
            return None
        if host_ends[label + 1] is not None:
            return host_ends[label + 1]
        if underscores[label] >= pos:
            return None
        return _tld_end(self._text, starts[label + 1])

    def _analyse(self, start: int, end: int) -> _RunLabels:
        """Label starts, the dot ending each label, host ends and last "_" of each label."""
        text = self._text
        dots = [i for i in range(start, end) if text[i] == "."]
        starts = [start, *(dot + 1 for dot in dots)]
        underscores = [text.rfind("_", low, dot) for low, dot in zip(starts, dots, strict=False)]
        host_ends: list[int | None] = [None] * len(starts)
        for label in reversed(range(len(dots))):
            low, high = starts[label], dots[label]
            if low == high or text[low] in "-_" or text[high - 1] in "-_":
                continue
            if host_ends[label + 1] is not None:
                host_ends[label] = host_ends[label + 1]
            elif underscores[label] < 0:
                host_ends[label] = _tld_end(text, starts[label + 1])
        return starts, dots, host_ends, underscores


def _tld_end(text: str, pos: int) -> int | None:
    """End of the TLD at `pos`: a known one not followed by a letter, digit, @, + or -."""
    tlds, lengths = _tld_table()
    for length in lengths:
        end = pos + length
        if (
            end <= len(text)
            and text[pos:end].lower() in tlds
            and text[end : end + 1] not in _TLD_ENDS
        ):
            return end
    punycode = _punycode_pattern().match(text, pos)
    return punycode.end() if punycode else None


@cache
def _tld_table() -> tuple[frozenset[str], list[int]]:
    tlds = frozenset(_TLDS.split())
    return tlds, sorted({len(tld) for tld in tlds}, reverse=True)


@cache
def _punycode_pattern() -> re.Pattern[str]:
    return re.compile(r"xn--[0-9a-z-]+", re.IGNORECASE)


def _valid_host(host: str, rest_length: int) -> bool:
    """Every label fits DNS once punycoded, and so does the whole URL (scheme included)."""
    if host[:4].lower() == "xn--" and not host.isascii():
        return False
    ascii_length = -1
    for label in host.split("."):
        encoded = label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        if not 1 <= len(encoded) <= _MAX_LABEL_LENGTH:
            return False
        ascii_length += len(encoded) + 1
    return rest_length + ascii_length <= _MAX_URL_LENGTH


# Character sets of twitter-text's URL extractor (js/src/regexp/*.js), as regex class contents.
_SPACES = r"\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_INVALID = r"\ufffe\ufeff\uffff"
_DIRECTIONAL = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_PUNCTUATION = r"""!"#$%&'()*+,/:;<=>?@\[\\\]^`{|}~"""  # less "-", "_" and ".", which join labels
_LATIN_ACCENTS = (
    r"\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263"
    r"\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = r"\u0400-\u04ff"
_QUERY = r"(?:\?[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]*[a-z0-9\-_&=#/])"
_TLD_ENDS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ@+-")


@cache
def _url_start_pattern() -> re.Pattern[str]:
    return re.compile(
        rf"(?:^|(?<=[^a-z0-9@\uff20$#\uff03{_INVALID}]))"
        rf"(?=(?P<scheme>https?://)|[a-z0-9{_LATIN_ACCENTS}])",
        re.IGNORECASE,
    )


@cache
def _host_run_pattern(*, any_script: bool) -> re.Pattern[str]:
    if any_script:
        return re.compile(f"[^{_PUNCTUATION}{_SPACES}{_INVALID}{_DIRECTIONAL}]+")
    return re.compile(rf"[a-z0-9_.\-{_LATIN_ACCENTS}]+", re.IGNORECASE)


@cache
def _url_tail_pattern() -> re.Pattern[str]:
    """Port, path and query after the host."""
    path_char = rf"[a-z0-9!*';:=+,.$/%#\[\]\-\u2013_~|&@{_LATIN_ACCENTS}{_CYRILLIC}]"
    parens = rf"\((?:{path_char}+|{path_char}*\({path_char}+\){path_char}*)\)"
    path_end = rf"(?:[+\-a-z0-9=_#/{_LATIN_ACCENTS}{_CYRILLIC}]|{parens})"
    path = rf"(?:{path_char}*(?:{parens}{path_char}*)*{path_end}|@{path_char}+/)"
    return re.compile(rf"(?::[0-9]++)?(?:/{path}*)?{_QUERY}?", re.IGNORECASE)


@cache
def _tco_pattern() -> re.Pattern[str]:
    return re.compile(rf"https?://t\.co/([a-z0-9]+){_QUERY}?", re.IGNORECASE)


@cache
def _emoji_pattern() -> re.Pattern[str]:
    pictographic = _char_class(_EXTENDED_PICTOGRAPHIC)
    modifier_base = _char_class(_EMOJI_MODIFIER_BASE)
    element = (
        rf"(?:{modifier_base}\ufe0f?[\U0001f3fb-\U0001f3ff]"
        r"|[\xa9\xae]\ufe0f"
        rf"|{pictographic}(?:\ufe0f|(?!\ufe0e)))"
    )
    # A ZWJ sequence is cut after four elements, the most an RGI one has (families, kiss), so that
    # a long chain of joined pictographs does not pass for a single emoji.
    return re.compile(
        r"[#*0-9]\ufe0f?\u20e3"
        r"|[\U0001f1e6-\U0001f1ff]{2}"
        r"|\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f"
        rf"|{element}(?:\u200d{element}){{0,3}}"
    )


def _char_class(table: str) -> str:
    """A regex class from code points and ranges written in hex: "261D 270A-270D ..."."""
    parts = []
    for item in table.split():
        low, _, high = item.partition("-")
        parts.append(rf"\U{int(low, 16):08x}" + (rf"-\U{int(high, 16):08x}" if high else ""))
    return "[" + "".join(parts) + "]"


# Extended_Pictographic and Emoji_Modifier_Base from Unicode 17.0 emoji-data.txt, extracted with
# the regex package (2026.5.9). © and ® are left out of the first: bare, they are text (weight 1),
# and only an emoji when followed by U+FE0F.
_EXTENDED_PICTOGRAPHIC = (
    "203C 2049 2122 2139 2194-2199 21A9-21AA 231A-231B 2328 23CF 23E9-23F3 23F8-23FA 24C2 "
    "25AA-25AB 25B6 25C0 25FB-25FE 2600-2604 260E 2611 2614-2615 2618 261D 2620 2622-2623 "
    "2626 262A 262E-262F 2638-263A 2640 2642 2648-2653 265F-2660 2663 2665-2666 2668 267B "
    "267E-267F 2692-2697 2699 269B-269C 26A0-26A1 26A7 26AA-26AB 26B0-26B1 26BD-26BE "
    "26C4-26C5 26C8 26CE-26CF 26D1 26D3-26D4 26E9-26EA 26F0-26F5 26F7-26FA 26FD 2702 2705 "
    "2708-270D 270F 2712 2714 2716 271D 2721 2728 2733-2734 2744 2747 274C 274E 2753-2755 "
    "2757 2763-2764 2795-2797 27A1 27B0 27BF 2934-2935 2B05-2B07 2B1B-2B1C 2B50 2B55 3030 "
    "303D 3297 3299 1F004 1F02C-1F02F 1F094-1F09F 1F0AF-1F0B0 1F0C0 1F0CF-1F0D0 1F0F6-1F0FF "
    "1F170-1F171 1F17E-1F17F 1F18E 1F191-1F19A 1F1AE-1F1E5 1F201-1F20F 1F21A 1F22F "
    "1F232-1F23A 1F23C-1F23F 1F249-1F25F 1F266-1F321 1F324-1F393 1F396-1F397 1F399-1F39B "
    "1F39E-1F3F0 1F3F3-1F3F5 1F3F7-1F3FA 1F400-1F4FD 1F4FF-1F53D 1F549-1F54E 1F550-1F567 "
    "1F56F-1F570 1F573-1F57A 1F587 1F58A-1F58D 1F590 1F595-1F596 1F5A4-1F5A5 1F5A8 "
    "1F5B1-1F5B2 1F5BC 1F5C2-1F5C4 1F5D1-1F5D3 1F5DC-1F5DE 1F5E1 1F5E3 1F5E8 1F5EF 1F5F3 "
    "1F5FA-1F64F 1F680-1F6C5 1F6CB-1F6D2 1F6D5-1F6E5 1F6E9 1F6EB-1F6F0 1F6F3-1F6FF "
    "1F7DA-1F7FF 1F80C-1F80F 1F848-1F84F 1F85A-1F85F 1F888-1F88F 1F8AE-1F8AF 1F8BC-1F8BF "
    "1F8C2-1F8CF 1F8D9-1F8FF 1F90C-1F93A 1F93C-1F945 1F947-1F9FF 1FA58-1FA5F 1FA6E-1FAFF "
    "1FC00-1FFFD"
)
_EMOJI_MODIFIER_BASE = (
    "261D 26F9 270A-270D 1F385 1F3C2-1F3C4 1F3C7 1F3CA-1F3CC 1F442-1F443 1F446-1F450 "
    "1F466-1F478 1F47C 1F481-1F483 1F485-1F487 1F48F 1F491 1F4AA 1F574-1F575 1F57A 1F590 "
    "1F595-1F596 1F645-1F647 1F64B-1F64F 1F6A3 1F6B4-1F6B6 1F6C0 1F6CC 1F90C 1F90F "
    "1F918-1F91F 1F926 1F930-1F939 1F93C-1F93E 1F977 1F9B5-1F9B6 1F9B8-1F9B9 1F9BB "
    "1F9CD-1F9CF 1F9D1-1F9DD 1FAC3-1FAC5 1FAF0-1FAF8"
)

# TLDs that make "example.com" a URL without a scheme: the IANA root zone as listed by
# twitter-text's conformance/tld_lib.yml (twitter/twitter-text@30e2430, list of March 2020).
_TLDS = (
    "aaa aarp abarth abb abbott abbvie abc able abogado abudhabi ac academy accenture "
    "accountant accountants aco active actor ad adac ads adult ae aeg aero aetna af "
    "afamilycompany afl africa ag agakhan agency ai aig aigo airbus airforce airtel akdn al "
    "alfaromeo alibaba alipay allfinanz allstate ally alsace alstom am americanexpress "
    "americanfamily amex amfam amica amsterdam an analytics android anquan anz ao aol "
    "apartments app apple aq aquarelle ar arab aramco archi army arpa art arte as asda asia "
    "associates at athleta attorney au auction audi audible audio auspost author auto autos "
    "avianca aw aws ax axa az azure ba baby baidu banamex bananarepublic band bank bar "
    "barcelona barclaycard barclays barefoot bargains baseball basketball bauhaus bayern bb "
    "bbc bbt bbva bcg bcn bd be beats beauty beer bentley berlin best bestbuy bet bf bg bh "
    "bharti bi bible bid bike bing bingo bio biz bj bl black blackfriday blanco blockbuster "
    "blog bloomberg blue bm bms bmw bn bnl bnpparibas bo boats boehringer bofa bom bond boo "
    "book booking boots bosch bostik boston bot boutique box bq br bradesco bridgestone "
    "broadway broker brother brussels bs bt budapest bugatti build builders business buy "
    "buzz bv bw by bz bzh ca cab cafe cal call calvinklein cam camera camp cancerresearch "
    "canon capetown capital capitalone car caravan cards care career careers cars cartier "
    "casa case caseih cash casino cat catering catholic cba cbn cbre cbs cc cd ceb center "
    "ceo cern cf cfa cfd cg ch chanel channel charity chase chat cheap chintai chloe "
    "christmas chrome chrysler church ci cipriani circle cisco citadel citi citic city "
    "cityeats ck cl claims cleaning click clinic clinique clothing cloud club clubmed cm cn "
    "co coach codes coffee college cologne com comcast commbank community company compare "
    "computer comsec condos construction consulting contact contractors cooking "
    "cookingchannel cool coop corsica country coupon coupons courses cpa cr credit "
    "creditcard creditunion cricket crown crs cruise cruises csc cu cuisinella cv cw cx cy "
    "cymru cyou cz dabur dad dance data date dating datsun day dclk dds de deal dealer deals "
    "degree delivery dell deloitte delta democrat dental dentist desi design dev dhl "
    "diamonds diet digital direct directory discount discover dish diy dj dk dm dnp do docs "
    "doctor dodge dog doha domains doosan dot download drive dtv dubai duck dunlop duns "
    "dupont durban dvag dvr dz earth eat ec eco edeka edu education ee eg eh email emerck "
    "energy engineer engineering enterprises epost epson equipment er ericsson erni es esq "
    "estate esurance et etisalat eu eurovision eus events everbank exchange expert exposed "
    "express extraspace fage fail fairwinds faith family fan fans farm farmers fashion fast "
    "fedex feedback ferrari ferrero fi fiat fidelity fido film final finance financial fire "
    "firestone firmdale fish fishing fit fitness fj fk flickr flights flir florist flowers "
    "flsmidth fly fm fo foo food foodnetwork football ford forex forsale forum foundation "
    "fox fr free fresenius frl frogans frontdoor frontier ftr fujitsu fujixerox fun fund "
    "furniture futbol fyi ga gal gallery gallo gallup game games gap garden gay gb gbiz gd "
    "gdn ge gea gent genting george gf gg ggee gh gi gift gifts gives giving gl glade glass "
    "gle global globo gm gmail gmbh gmo gmx gn godaddy gold goldpoint golf goo goodhands "
    "goodyear goog google gop got gov gp gq gr grainger graphics gratis green gripe grocery "
    "group gs gt gu guardian gucci guge guide guitars guru gw gy hair hamburg hangout haus "
    "hbo hdfc hdfcbank health healthcare help helsinki here hermes hgtv hiphop hisamitsu "
    "hitachi hiv hk hkt hm hn hockey holdings holiday homedepot homegoods homes homesense "
    "honda honeywell horse hospital host hosting hot hoteles hotels hotmail house how hr "
    "hsbc ht htc hu hughes hyatt hyundai ibm icbc ice icu id ie ieee ifm iinet ikano il im "
    "imamat imdb immo immobilien in inc industries infiniti info ing ink institute insurance "
    "insure int intel international intuit investments io ipiranga iq ir irish is iselect "
    "ismaili ist istanbul it itau itv iveco iwc jaguar java jcb jcp je jeep jetzt jewelry "
    "jio jlc jll jm jmp jnj jo jobs joburg jot joy jp jpmorgan jprs juegos juniper kaufen "
    "kddi ke kerryhotels kerrylogistics kerryproperties kfh kg kh ki kia kim kinder kindle "
    "kitchen kiwi km kn koeln komatsu kosher kp kpmg kpn kr krd kred kuokgroup kw ky kyoto "
    "kz la lacaixa ladbrokes lamborghini lamer lancaster lancia lancome land landrover "
    "lanxess lasalle lat latino latrobe law lawyer lb lc lds lease leclerc lefrak legal lego "
    "lexus lgbt li liaison lidl life lifeinsurance lifestyle lighting like lilly limited "
    "limo lincoln linde link lipsy live living lixil lk llc llp loan loans locker locus loft "
    "lol london lotte lotto love lpl lplfinancial lr ls lt ltd ltda lu lundbeck lupin luxe "
    "luxury lv ly ma macys madrid maif maison makeup man management mango map market "
    "marketing markets marriott marshalls maserati mattel mba mc mcd mcdonalds mckinsey md "
    "me med media meet melbourne meme memorial men menu meo merckmsd metlife mf mg mh miami "
    "microsoft mil mini mint mit mitsubishi mk ml mlb mls mm mma mn mo mobi mobile mobily "
    "moda moe moi mom monash money monster montblanc mopar mormon mortgage moscow moto "
    "motorcycles mov movie movistar mp mq mr ms msd mt mtn mtpc mtr mu museum mutual "
    "mutuelle mv mw mx my mz na nab nadex nagoya name nationwide natura navy nba nc ne nec "
    "net netbank netflix network neustar new newholland news next nextdirect nexus nf nfl ng "
    "ngo nhk ni nico nike nikon ninja nissan nissay nl no nokia northwesternmutual norton "
    "now nowruz nowtv np nr nra nrw ntt nu nyc nz obi observer off office okinawa olayan "
    "olayangroup oldnavy ollo om omega one ong onion onl online onyourside ooo open oracle "
    "orange org organic orientexpress origins osaka otsuka ott ovh pa page pamperedchef "
    "panasonic panerai paris pars partners parts party passagens pay pccw pe pet pf pfizer "
    "pg ph pharmacy phd philips phone photo photography photos physio piaget pics pictet "
    "pictures pid pin ping pink pioneer pizza pk pl place play playstation plumbing plus pm "
    "pn pnc pohl poker politie porn post pr pramerica praxi press prime pro prod productions "
    "prof progressive promo properties property protection pru prudential ps pt pub pw pwc "
    "py qa qpon quebec quest qvc racing radio raid re read realestate realtor realty recipes "
    "red redstone redumbrella rehab reise reisen reit reliance ren rent rentals repair "
    "report republican rest restaurant review reviews rexroth rich richardli ricoh "
    "rightathome ril rio rip rmit ro rocher rocks rodeo rogers room rs rsvp ru rugby ruhr "
    "run rw rwe ryukyu sa saarland safe safety sakura sale salon samsclub samsung sandvik "
    "sandvikcoromant sanofi sap sapo sarl sas save saxo sb sbi sbs sc sca scb schaeffler "
    "schmidt scholarships school schule schwarz science scjohnson scor scot sd se search "
    "seat secure security seek select sener services ses seven sew sex sexy sfr sg sh "
    "shangrila sharp shaw shell shia shiksha shoes shop shopping shouji show showtime "
    "shriram si silk sina singles site sj sk ski skin sky skype sl sling sm smart smile sn "
    "sncf so soccer social softbank software sohu solar solutions song sony soy space "
    "spiegel sport spot spreadbetting sr srl srt ss st stada staples star starhub statebank "
    "statefarm statoil stc stcgroup stockholm storage store stream studio study style su "
    "sucks supplies supply support surf surgery suzuki sv swatch swiftcover swiss sx sy "
    "sydney symantec systems sz tab taipei talk taobao target tatamotors tatar tattoo tax "
    "taxi tc tci td tdk team tech technology tel telecity telefonica temasek tennis teva tf "
    "tg th thd theater theatre tiaa tickets tienda tiffany tips tires tirol tj tjmaxx tjx tk "
    "tkmaxx tl tm tmall tn to today tokyo tools top toray toshiba total tours town toyota "
    "toys tp tr trade trading training travel travelchannel travelers travelersinsurance "
    "trust trv tt tube tui tunes tushu tv tvs tw tz ua ubank ubs uconnect ug uk um unicom "
    "university uno uol ups us uy uz va vacations vana vanguard vc ve vegas ventures "
    "verisign versicherung vet vg vi viajes video vig viking villas vin vip virgin visa "
    "vision vista vistaprint viva vivo vlaanderen vn vodka volkswagen volvo vote voting voto "
    "voyage vu vuelos wales walmart walter wang wanggou warman watch watches weather "
    "weatherchannel webcam weber website wed wedding weibo weir wf whoswho wien wiki "
    "williamhill win windows wine winners wme wolterskluwer woodside work works world wow ws "
    "wtc wtf xbox xerox xfinity xihuan xin xperia xxx xyz yachts yahoo yamaxun yandex ye "
    "yodobashi yoga yokohama you youtube yt yun za zappos zara zero zip zippo zm zone "
    "zuerich zw "
    "vermögensberater vermögensberatung ελ ευ бг бел дети ею "  # noqa: RUF001
    "католик ком мкд мон москва онлайн орг рус рф сайт срб укр "  # noqa: RUF001
    "қаз հայ קום ابوظبي اتصالات ارامكو الاردن البحرين الجزائر "
    "السعودية العليان المغرب امارات ایران بارت بازار بيتك بھارت "
    "تونس سودان سورية شبكة عراق عرب عمان فلسطين قطر كاثوليك كوم "
    "مصر مليسيا موبايلي موريتانيا موقع همراه پاکستان ڀارت कॉम नेट "
    "भारत भारतम् भारोत संगठन বাংলা ভারত ভাৰত ਭਾਰਤ ભારત ଭାରତ இந்தியா "
    "இலங்கை சிங்கப்பூர் భారత్ ಭಾರತ ഭാരതം ලංකා คอม ไทย ລາວ გე みんな "
    "クラウド グーグル コム ストア セール ファッション ポイント "
    "世界 中信 中国 中國 中文网 企业 佛山 信息 健康 八卦 公司 "
    "公益 台湾 台灣 商城 商店 商标 嘉里 嘉里大酒店 在线 大众汽车 "
    "大拿 天主教 娱乐 家電 工行 广东 微博 慈善 我爱你 手机 手表 "
    "招聘 政务 政府 新加坡 新闻 时尚 書籍 机构 淡马锡 游戏 澳門 "
    "点看 珠宝 移动 组织机构 网址 网店 网站 网络 联通 诺基亚 "
    "谷歌 购物 通販 集团 電訊盈科 飞利浦 食品 餐厅 香格里拉 香港 "
    "닷넷 닷컴 삼성 한국"
)
