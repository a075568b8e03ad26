"""Hostile input: the thread splitter's growth with the text, and how fast bad files are refused.

Run with `python bench/bench_hostile.py`. The splitter is timed on French prose of 10 kB, 100 kB
and 1 MB, with the characters it hands to the X measure: both should grow tenfold per row, not a
hundredfold. Then the reader is timed on files it must refuse (each a few hundred bytes to 1 MiB).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from broadcast.content import measure, thread
from broadcast.input.yamlfile import load_yaml
from broadcast.problems import InputError

PARAGRAPH = (
    "Depuis 8h10 ce matin, l'électricité est coupée dans une partie de Lille et de Roubaix. Un "
    "câble souterrain a été endommagé pendant des travaux de voirie, rue de la Gare. Nos "
    "techniciens sont sur place. Suivez https://status.example.com/panne-nord pour la suite.\n\n"
)


def split_once(size: int) -> tuple[int, int, float]:
    """Posts, characters measured and seconds for a text of ``size`` characters."""
    text = (PARAGRAPH * (size // len(PARAGRAPH) + 1))[:size]
    measured = 0

    def counting(piece: str) -> int:
        nonlocal measured
        measured += len(piece)
        return measure.tweet_weighted_length(piece)

    thread.tweet_weighted_length = counting  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        posts = thread.split_thread(text)
        return len(posts), measured, time.perf_counter() - started
    finally:
        thread.tweet_weighted_length = measure.tweet_weighted_length


def bomb(levels: int) -> str:
    lines = ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


HOSTILE_FILES = {
    "alias bomb, 9 levels": bomb(9),
    "cyclic alias": "loop: &loop [*loop]\n",
    "3,000-deep nesting": "deep: " + "[" * 3000 + "]" * 3000 + "\n",
    "200,000 values": "many: [" + "x, " * 200_000 + "x]\n",
    "1 MiB plain scalar": "summary: " + "mot " * 262_000 + "\n",
}


def main() -> None:
    print(f"{'text':>10} {'posts':>6} {'measured':>10} {'per char':>8} {'seconds':>8}")
    for size in (10_000, 100_000, 1_000_000):
        posts, measured, seconds = split_once(size)
        print(f"{size:>10,} {posts:>6} {measured:>10,} {measured / size:>8.1f} {seconds:>8.2f}")
    print()
    with tempfile.TemporaryDirectory() as folder:
        for name, text in HOSTILE_FILES.items():
            path = Path(folder) / "hostile.yaml"
            path.write_text(text, encoding="utf-8")
            started = time.perf_counter()
            try:
                load_yaml(path)
                outcome = "read"
            except InputError as exc:
                outcome = exc.problems[0].message[:60]
            elapsed = time.perf_counter() - started
            print(f"{name:>20} ({len(text.encode()):>9,} B): {elapsed:5.2f} s  {outcome}")


if __name__ == "__main__":
    main()
