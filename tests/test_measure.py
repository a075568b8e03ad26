"""Tests for broadcast.content.measure: SMS segments (GSM 03.38), X weighted length."""

import time

import pytest

from broadcast.content.measure import (
    _EMOJI_MODIFIER_BASE,
    _EXTENDED_PICTOGRAPHIC,
    _LOWEST_EMOJI_CODE_POINT,
    GSM7,
    UCS2,
    SmsMeasure,
    TweetMeasure,
    _emoji_pattern,
    sms_measure,
    sms_segments,
    tweet_measure,
    tweet_weighted_length,
)

# GSM 03.38 default alphabet (3GPP TS 23.038 table 6.2.1), less 0x1B, the escape.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Its extension table (6.2.1.1): form feed, ^ { } \ [ ~ ] | and the euro sign.
GSM_EXTENSION = "\f^{}\\[~]|€"


# SMS ------------------------------------------------------------------------------------------


def test_empty_text_is_zero_segments() -> None:
    measure = sms_measure("")
    assert measure == SmsMeasure(GSM7, 0, 0, ())
    assert measure.remaining() == 160


def test_alphabet_tables() -> None:
    assert len(GSM_BASIC) == 127
    assert len(set(GSM_BASIC)) == 127
    assert sms_measure(GSM_BASIC) == SmsMeasure(GSM7, 127, 1, ())
    assert sms_measure(GSM_EXTENSION) == SmsMeasure(GSM7, 20, 1, ())


@pytest.mark.parametrize(
    ("length", "segments"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_gsm7_segments(length: int, segments: int) -> None:
    measure = sms_measure("a" * length)
    assert (measure.encoding, measure.units, measure.segments) == (GSM7, length, segments)
    assert sms_segments("a" * length) == segments


@pytest.mark.parametrize(("count", "segments"), [(1, 1), (80, 1), (81, 2), (152, 2), (153, 3)])
def test_extension_characters_count_two_septets(count: int, segments: int) -> None:
    measure = sms_measure("€" * count)
    assert (measure.encoding, measure.units, measure.segments) == (GSM7, 2 * count, segments)


def test_escape_pair_is_not_split_across_segments() -> None:
    # 306 septets would fill two segments exactly, but the "€" at septets 153-154 must move whole
    # to the second segment, which then overflows into a third.
    measure = sms_measure("a" * 152 + "€" + "a" * 152)
    assert (measure.units, measure.segments) == (306, 3)
    assert measure.last_segment_units == 1
    assert sms_measure("a" * 151 + "€" + "a" * 153).segments == 2


@pytest.mark.parametrize(
    ("length", "segments"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
)
def test_ucs2_segments(length: int, segments: int) -> None:
    measure = sms_measure("ç" * length)
    assert measure == SmsMeasure(UCS2, length, segments, ("ç",))


def test_emoji_counts_two_units() -> None:
    assert sms_measure("\U0001f6a8") == SmsMeasure(UCS2, 2, 1, ("\U0001f6a8",))
    assert sms_measure("ç" * 68 + "\U0001f6a8").segments == 1
    assert sms_measure("ç" * 69 + "\U0001f6a8").segments == 2


def test_surrogate_pair_is_not_split_across_segments() -> None:
    measure = sms_measure("ç" * 66 + "\U0001f6a8" + "ç" * 66)
    assert (measure.units, measure.segments) == (134, 3)
    assert sms_measure("ç" * 65 + "\U0001f6a8" + "ç" * 67).segments == 2


def test_french_accents_in_the_basic_set_stay_gsm7() -> None:
    assert sms_measure("Rétablissement prévu à 14h") == SmsMeasure(GSM7, 26, 1, ())
    assert sms_measure("ÇA COUPE").encoding == GSM7


@pytest.mark.parametrize(
    ("text", "culprits"),
    [
        ("Fête", ("ê",)),
        ("français", ("ç",)),
        ("œuf", ("œ",)),
        ("l\u2019alerte", ("\u2019",)),
        ("«\xa0Évacuez\xa0»", ("«", "\xa0", "»")),
        ("Fête française, œufs, fête", ("ê", "ç", "œ")),
        ("Cre\u0301teil", ("\u0301",)),
        ("\x1b", ("\x1b",)),
    ],
)
def test_non_gsm_characters_force_ucs2(text: str, culprits: tuple[str, ...]) -> None:
    measure = sms_measure(text)
    assert measure.encoding == UCS2
    assert measure.non_gsm == culprits


def test_remaining_units_in_the_last_segment() -> None:
    assert sms_measure("a" * 10).remaining() == 150
    assert sms_measure("a" * 160).remaining() == 0
    assert sms_measure("a" * 161).remaining() == 145
    assert sms_measure("ç" * 10).remaining() == 60
    assert sms_measure("a" * 152 + "€" + "a" * 152).remaining() == 152
    assert SmsMeasure(GSM7, 161, 2, ()).remaining() == 145


# X (twitter-text) ---------------------------------------------------------------------------

# Transcribed from github.com/twitter/twitter-text, conformance/validate.yml at commit
# 30e2430d90cff3b46393ea54caf511441983c260: (description, text, weightedLength, valid,
# permillage). Long texts are written as the expressions that rebuild them exactly.
X10 = "xxxxxxxxxx-"
POEM = (  # 160 CJK characters
    "故人西辞黄鹤楼，烟花三月下扬州。孤帆远影碧空尽，唯见长江天际流。"  # noqa: RUF001
    "朱雀桥边野草花，乌衣巷口夕阳斜。旧时王谢堂前燕，飞入寻常百姓家。"  # noqa: RUF001
    "朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。"  # noqa: RUF001
    "泪湿罗巾梦不成，夜深前殿按歌声。红颜未老恩先断，斜倚薰笼坐到明。"  # noqa: RUF001
    "独在异乡为异客，每逢佳节倍思亲。遥知兄弟登高处，遍插茱萸少一人。"  # noqa: RUF001
)
KANA = "あいうえおかきくけこ"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
LONG_URL = "https://" + "somesuperlongurl" * 249 + ".com/foo"
PUNCTUATION = (
    "This is a tweet with general punctuation characters: "
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b{zw}"
    " \u2010 \u2011 \u2012 \u2013 \u2014 \u2015 \u2016  \u2017 \u2018 \u2019 \u201a \u201b"
    " \u201c \u201d \u201e \u201f \u2032 \u2033 \u2034 \u2035 \u2036 \u2037"
)

# Section WeightedTweetsWithDiscountedEmojiCounterTest: configuration v3, the one X uses.
V3_CASES = [
    ("Regular Tweet with url", "Hi http://test.co", 26, True, 92),
    ("Just url", "http://test.co", 23, True, 82),
    ("Long tweet, overflow at char index 280", "285 chars-" + X10 * 25, 285, False, 1017),
    (
        "Long tweet with url in the middle, overflow at char index 284",
        "285 chars- http://www.twitter.com/jack " + X10 * 24,
        299,
        False,
        1067,
    ),
    (
        "Long tweet with url at the end, overflow at char index 265",
        X10 * 24 + " http://www.twitter.com/jack ",
        289,
        False,
        1032,
    ),
    ("10 url string, no overflow", "https://www.twitter.com/aloha " * 10, 240, True, 857),
    ("160 CJK char, overflow at char index 140", POEM, 320, False, 1142),
    ("160 emoji char, overflow at char index 140", "\U0001f637" * 160, 320, False, 1142),
    ("3 latin char + 160 CJK char, overflow at char index 141", "the" + POEM, 323, False, 1153),
    (
        "282 chars with a normalized character within valid range but outside 280",
        "282 chars-" + X10 * 24 + "xxxxxA\u0301x",
        281,
        False,
        1003,
    ),
    (
        "Count a mix of single byte single word, and double word unicode characters",
        "H\U0001f431\u263a" + FAMILY,
        7,
        True,
        25,
    ),
    (
        "Count unicode emoji chars inside the basic multilingual plane",
        "\U0001f637\U0001f47e\U0001f621\U0001f525\U0001f4a9",
        10,
        True,
        35,
    ),
    (
        "Count unicode emoji chars outside the basic multilingual plane with skin tone modifiers",
        "\U0001f64b\U0001f3fd\U0001f468\u200d\U0001f3a4",
        4,
        True,
        14,
    ),
    (
        "Handle General Punctuation Characters with visible spaces(u2000-200A), no ZWJ/ZWNJ",
        PUNCTUATION.format(zw=""),
        110,
        True,
        392,
    ),
    (
        "Handle long url with invalid domain labels and short url",
        "Long url with invalid domain labels and a short url: "
        + " ".join([LONG_URL] * 3)
        + " https://validurl.com",
        12079,
        False,
        43139,
    ),
    ("Handle a 64 character domain without protocol", "randomurl" * 7 + "s.com", 68, True, 242),
    (
        "Do not allow > 140 CJK characters by virtue of CJK chars greater than 63 punycode "
        "encoded chars in the host",
        KANA * 12 + " http://" + KANA * 5 + "あいう.com",
        358,
        False,
        1278,
    ),
    (
        "Allow > 140 CJK characters by virtue of CJK chars less than 63 punycode encoded chars in "
        "the host",
        KANA * 12 + " http://" + KANA * 5 + "あい.com",
        264,
        True,
        942,
    ),
    ("140 family emoji", FAMILY * 140, 280, True, 1000),
    ("Emoji with a leading character in the latin range is counted as 2", "1\u20e3", 2, True, 7),
    (
        "Unicode 10.0 emoji",
        "Unicode 10.0 emoji: \U0001f92a; \U0001f9d5; \U0001f9d5\U0001f3fe; "
        "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
        34,
        True,
        121,
    ),
    (
        "Unicode 9.0 emoji",
        "Unicode 9.0 emoji: \U0001f920; \U0001f483; \U0001f483\U0001f3fe",
        29,
        True,
        103,
    ),
]

# Section UnicodeDirectionalMarkerCounterTest, run by twitter-text with its default configuration.
DIRECTIONAL_CASES = [
    ("Handle invalid characters", "ABC\u202a\uffffABC\ufffe", 12, False, 42),
    (
        "Tweet text containing directional characters should be considered valid",
        "\u2066\u202ahttp://foobar.\u067e\u0627\u06a9\u0633\u062a\u0627\u0646/\u202c\u2069",
        31,
        True,
        110,
    ),
]

# Section WeightedTweetsCounterTest: configuration v2, identical but without emoji parsing.
V2_CASES = [
    ("Regular Tweet with url", "Hi http://test.co", 26, True, 92),
    ("Just url", "http://test.co", 23, True, 82),
    ("Long tweet, overflow at char index 280", "285 chars-" + X10 * 25, 285, False, 1017),
    (
        "Long tweet with url in the middle, overflow at char index 284",
        "285 chars- http://www.twitter.com/jack " + X10 * 24,
        299,
        False,
        1067,
    ),
    (
        "Long tweet with url at the end, overflow at char index 265",
        X10 * 24 + " http://www.twitter.com/jack ",
        289,
        False,
        1032,
    ),
    ("10 url string, no overflow", "https://www.twitter.com/aloha " * 10, 240, True, 857),
    ("160 CJK char, overflow at char index 140", POEM, 320, False, 1142),
    ("160 emoji char, overflow at char index 140", "\U0001f637" * 160, 320, False, 1142),
    ("3 latin char + 160 CJK char, overflow at char index 141", "the" + POEM, 323, False, 1153),
    ("'A\u0301' is normalized into 1 char", "A\u0301B", 2, True, 7),
    ("\ufb2c is normalized into 3 chars", "A\ufb2c", 4, True, 14),
    (
        "282 chars with a normalized character within valid range but outside 280",
        "282 chars-" + X10 * 24 + "xxxxxA\u0301x",
        281,
        False,
        1003,
    ),
    (
        "Count a mix of single byte single word, and double word unicode characters",
        "H\U0001f431\u263a" + FAMILY,
        16,
        True,
        57,
    ),
    (
        "Count unicode emoji chars inside the basic multilingual plane",
        "\U0001f637\U0001f47e\U0001f621\U0001f525\U0001f4a9",
        10,
        True,
        35,
    ),
    (
        "Count unicode emoji chars outside the basic multilingual plane with skin tone modifiers",
        "\U0001f64b\U0001f3fd\U0001f468\u200d\U0001f3a4",
        9,
        True,
        32,
    ),
    (
        "Handle General Punctuation Characters with visible spaces(u2000-200A)",
        PUNCTUATION.format(zw="\u200c\u200d"),
        112,
        True,
        400,
    ),
    (
        "Handle long url with invalid domain labels and short url",
        "Long url with invalid domain labels and a short url: "
        + " ".join([LONG_URL] * 3)
        + " https://validurl.com",
        12079,
        False,
        43139,
    ),
    ("Handle a 64 character domain without protocol", "randomurl" * 7 + "s.com", 68, True, 242),
    (
        "Do not allow > 140 CJK characters by virtue of CJK chars greater than 63 punycode "
        "encoded chars in the host",
        KANA * 12 + " http://" + KANA * 5 + "あいう.com",
        358,
        False,
        1278,
    ),
    (
        "Allow > 140 CJK characters by virtue of CJK chars less than 63 punycode encoded chars in "
        "the host",
        KANA * 12 + " http://" + KANA * 5 + "あい.com",
        264,
        True,
        942,
    ),
]


def _ids(cases: list[tuple[str, str, int, bool, int]]) -> list[str]:
    return [case[0] for case in cases]


@pytest.mark.parametrize(
    ("description", "text", "weighted_length", "valid", "permillage"),
    V3_CASES + DIRECTIONAL_CASES,
    ids=_ids(V3_CASES + DIRECTIONAL_CASES),
)
def test_twitter_text_conformance_v3(
    description: str, text: str, weighted_length: int, valid: bool, permillage: int
) -> None:
    assert tweet_measure(text) == TweetMeasure(weighted_length, valid, permillage), description
    assert tweet_weighted_length(text) == weighted_length


@pytest.mark.parametrize(
    ("description", "text", "weighted_length", "valid", "permillage"),
    V2_CASES,
    ids=_ids(V2_CASES),
)
def test_twitter_text_conformance_v2(
    description: str, text: str, weighted_length: int, valid: bool, permillage: int
) -> None:
    measure = tweet_measure(text, emoji_parsing=False)
    assert measure == TweetMeasure(weighted_length, valid, permillage), description


def test_conformance_transcription_sizes() -> None:
    assert len(POEM) == 160
    assert [len(case[1]) for case in V3_CASES[2:10]] == [285, 303, 293, 300, 160, 160, 163, 282]
    assert len(V3_CASES[14][1]) == 12076
    assert len(V3_CASES[18][1]) == 980


@pytest.mark.parametrize(
    ("text", "weighted_length"),
    [
        ("", 0),
        ("a" * 280, 280),
        ("Rétablissement prévu à 14h. Infos : https://www.gouv.fr/alerte-inondation", 59),
        ("Infos sur gouv.fr.", 34),
        ("example.com/path/to/resource?search=foo&lang=en", 23),
        ("www.example.com t.co foo.co.jp", 71),
        ("Écrire à contact@gouv.fr", 24),
        ("node.js", 7),
        ("l\u2019eau \u2014 \u201cpotable\u201d", 17),
        ("\u00e9" * 3 + "e\u0301", 4),
        ("\u0643\u0647\u0631\u0628\u0627\u0621", 6),
        ("\u6c34" * 3, 6),
        ("\u26a0\ufe0f Alerte", 9),
        ("\u26a0\ufe0e", 4),
        ("\u00a9 2026", 6),
        ("\u00a9\ufe0f", 2),
        ("\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea", 4),
        ("1\ufe0f\u20e3 2\ufe0f\u20e3", 5),
        ("\U0001f9d1\U0001f3fd\u200d\U0001f692", 2),
        ("\U0001f468\u200d" * 8 + "\U0001f468", 8),
    ],
)
def test_weighted_length(text: str, weighted_length: int) -> None:
    assert tweet_weighted_length(text) == weighted_length


def test_a_text_below_the_first_emoji_code_point_holds_no_emoji() -> None:
    """tweet_measure skips the emoji pattern (slow to compile) for a text whose code points
    are all below _LOWEST_EMOJI_CODE_POINT: no emoji can be made of them."""
    tables = f"{_EXTENDED_PICTOGRAPHIC} {_EMOJI_MODIFIER_BASE}".split()
    lowest = min(int(item.partition("-")[0], 16) for item in tables)
    assert lowest >= ord(_LOWEST_EMOJI_CODE_POINT)
    below = "".join(chr(code) for code in range(ord(_LOWEST_EMOJI_CODE_POINT)))
    assert _emoji_pattern().search(below) is None
    assert _emoji_pattern().search(below + _LOWEST_EMOJI_CODE_POINT) is not None


def test_validity() -> None:
    assert tweet_measure("a" * 280) == TweetMeasure(280, True, 1000)
    assert tweet_measure("a" * 281) == TweetMeasure(281, False, 1003)
    assert tweet_measure("") == TweetMeasure(0, False, 0)
    assert tweet_measure(" \n ") == TweetMeasure(3, False, 10)
    assert tweet_measure("Alerte\ufeff").valid is False


def test_url_detection_stays_linear() -> None:
    # Runs of dotted labels without a TLD make a backtracking URL regex quadratic.
    started = time.perf_counter()
    assert tweet_weighted_length("a." * 10_000) == 20_000
    assert tweet_weighted_length("a-b." * 3_000) == 12_000
    assert time.perf_counter() - started < 5
