"""Timings for broadcast.content.measure: first call, typical messages, and texts built to be slow.

Run with `python bench/bench_measure.py`. Import cost is measured separately, with
`python -X importtime -c "import broadcast.content.measure"`.
"""

import time
from collections.abc import Callable

from broadcast.content.measure import sms_measure, tweet_measure

TYPICAL = (
    "Coupure d'eau à Créteil : rétablissement prévu à 14h. Ne buvez pas l'eau du robinet. "
    "Infos : https://www.example.fr/alerte-eau \u26a0\ufe0f"
)
SLOW_FOR_A_REGEX = {
    "dotted labels": "a." * 10_000,
    "hyphenated labels": "a-b." * 3_000,
    "accented labels": "é." * 10_000,
    "long URL path": "https://example.com/" + "a." * 5_000,
    "CJK": "\u6c34" * 20_000,
}


def timed(function: Callable[[str], object], text: str, repeat: int = 1) -> float:
    """Milliseconds per call."""
    started = time.perf_counter()
    for _ in range(repeat):
        function(text)
    return (time.perf_counter() - started) * 1000 / repeat


def main() -> None:
    print(f"first tweet_measure (compiles patterns): {timed(tweet_measure, TYPICAL):8.3f} ms")
    print(f"tweet_measure, typical alert:            {timed(tweet_measure, TYPICAL, 2000):8.3f} ms")
    print(f"sms_measure, typical alert:              {timed(sms_measure, TYPICAL, 2000):8.3f} ms")
    for name, text in SLOW_FOR_A_REGEX.items():
        label = f"{name}, {len(text)} chars:"
        print(f"tweet_measure, {label:32} {timed(tweet_measure, text):8.1f} ms")


if __name__ == "__main__":
    main()
