"""Dates written in one language and format, paired with the same dates in another.

A small, real translation task for an encoder-decoder: the source is a date as ``babel``
writes it from the CLDR locale data (``"Nov 22, 2026"``, ``"22/11/2026"``,
``"22 novembre 2026"``), the target is the same date in one fixed format of one target
language (``"22. November 2026"``). Nothing is downloaded: the month names and patterns
ship inside ``babel``.

- :func:`date_pairs` draws ``(source, target)`` string pairs; its ``split`` argument keeps
  training and test dates disjoint.
- :class:`Seq2SeqVocab` numbers characters, with ``<pad>``, ``<sos>`` and ``<eos>``.
- :func:`encode_pairs` turns pairs into padded NumPy arrays of ids, ready for a model.

NumPy, the standard library and ``babel`` only.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from companion._validate import check_positive_int
from companion.data.text import CharVocab

if TYPE_CHECKING:  # babel is optional (rnn-course[data]): imported when a function runs
    from babel import Locale

FORMAT_NAMES = ("short", "medium", "long", "full")
_WEEKDAY_FIELDS = set("Eec")
_YEAR_FIELDS, _MONTH_FIELDS, _DAY_FIELDS = set("yYu"), set("ML"), set("d")


def _babel_dates() -> ModuleType:
    try:
        import babel
        import babel.dates
    except ImportError as err:  # an optional dependency: pip install rnn-course[data]
        raise ImportError(
            "the dates are written by babel; install it (pip install 'rnn-course[data]')"
        ) from err
    return babel


def _parse_locale(name: str, argument: str) -> Locale:
    babel = _babel_dates()
    if not isinstance(name, str):
        raise TypeError(f"{argument}: expected a locale name such as 'en_US', got {name!r}")
    expected = "expected a CLDR locale name such as 'en_US', 'fr_FR' or 'de_DE'"
    try:
        locale = babel.Locale.parse(name)
    except (babel.UnknownLocaleError, ValueError) as err:
        raise ValueError(f"{argument}: unknown locale {name!r} ({expected}): {err}") from err
    asked = babel.core.parse_locale(name)[:4]  # (language, territory, script, variant)
    found = (locale.language, locale.territory, locale.script, locale.variant)
    if any(part is not None and part != got for part, got in zip(asked, found, strict=True)):
        # babel quietly drops what it does not know: it reads 'no_such_locale' as 'no'
        raise ValueError(
            f"{argument}: unknown locale {name!r} ({expected}; babel would read it as "
            f"{str(locale)!r})"
        )
    return locale


def _pattern(fmt: str, locale: Locale, argument: str) -> str:
    """The CLDR pattern of a format name (``"long"``) in ``locale``, or ``fmt`` itself."""
    babel = _babel_dates()
    if not isinstance(fmt, str) or not fmt:
        raise TypeError(f"{argument}: expected a format name or a CLDR pattern, got {fmt!r}")
    if fmt in FORMAT_NAMES:
        return babel.dates.get_date_format(fmt, locale=locale).pattern
    return fmt


def _fields(pattern: str) -> set[str]:
    """The letters of the date fields in a CLDR pattern (``"d MMM y"`` -> ``{"d", "M", "y"}``)."""
    tokens = _babel_dates().dates.tokenize_pattern(pattern)
    return {value[0] for kind, value in tokens if kind == "field"}


def _has_two_digit_year(pattern: str) -> bool:
    tokens = _babel_dates().dates.tokenize_pattern(pattern)
    return any(kind == "field" and value == ("y", 2) for kind, value in tokens)


def is_test_date(date: dt.date, test_fraction: float = 0.2) -> bool:
    """Whether ``date`` belongs to the test dates: a fixed hash of the date, not a random draw.

    About ``test_fraction`` of all dates are test dates; the choice depends on the date alone
    (CRC-32 of its ISO form), so it is the same for every range, seed and Python process.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction: expected a value in (0, 1), got {test_fraction}")
    return zlib.crc32(date.isoformat().encode()) / 2**32 < test_fraction


def date_pairs(
    src: str | Sequence[str],
    tgt: str,
    n: int,
    *,
    formats: Sequence[str] = ("short", "medium", "long"),
    target_format: str = "long",
    start: dt.date = dt.date(1950, 1, 1),
    end: dt.date = dt.date(2049, 12, 31),
    split: str | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> list[tuple[str, str]]:
    """``n`` pairs ``(source, target)``: one date written two ways by ``babel``.

    Each pair draws a different date from ``start .. end`` (inclusive), a source locale from
    ``src`` and a source format from ``formats``, all uniformly; the target is always the same
    date in ``target_format`` of locale ``tgt``. Example with ``src=["en_US", "fr_FR"]``,
    ``tgt="de_DE"``: ``("Nov 22, 2026", "22. November 2026")``,
    ``("22/11/2026", "22. November 2026")``.

    Args:
        src: a source locale (``"en_US"``) or a list of them.
        tgt: the target locale.
        n: the number of pairs; at most the number of dates available.
        formats: source formats, each a CLDR format name (``"short"``, ``"medium"``,
            ``"long"``, ``"full"``) or a CLDR pattern (``"dd.MM.y"``).
        target_format: the one target format, a name or a pattern (``"y-MM-dd"`` for ISO).
        start, end: the range of dates (``datetime.date``), both included.
        split: ``None`` for any date; ``"train"`` or ``"test"`` for dates on one side of the
            fixed split of :func:`is_test_date`, so training and test dates never overlap.
        test_fraction: the share of dates that are test dates (for ``split``).
        seed: seeds the draws; the same arguments give the same list.

    Raises:
        ValueError: an unknown locale; a format without year, month or day; a target format
            with a weekday that some source format lacks (the target would not be a function
            of the source); a source with a two-digit year over a range of 100 years or more;
            two source formats that write different dates the same way (e.g. ``en_US`` and
            ``es_ES`` short formats, month/day against day/month); ``n`` larger than the
            number of dates available.
    """
    babel = _babel_dates()
    locales = [src] if isinstance(src, str) else list(src)
    if not locales:
        raise ValueError("src: expected a locale name or a non-empty list of them, got []")
    sources = [_parse_locale(name, "src") for name in locales]
    target_locale = _parse_locale(tgt, "tgt")
    if isinstance(formats, str) or not formats:
        raise TypeError(f"formats: expected a non-empty sequence of formats, got {formats!r}")
    check_positive_int(n, "n")
    if not (isinstance(start, dt.date) and isinstance(end, dt.date)) or start > end:
        raise ValueError(f"start, end: expected two dates with start <= end, got {start}, {end}")
    if split not in (None, "train", "test"):
        raise ValueError(f"split: expected None, 'train' or 'test', got {split!r}")

    target_pattern = _pattern(target_format, target_locale, "target_format")
    target_weekday = bool(_fields(target_pattern) & _WEEKDAY_FIELDS)
    for locale in sources:
        for fmt in formats:
            pattern = _pattern(fmt, locale, "formats")
            fields = _fields(pattern)
            for letters, what in (
                (_YEAR_FIELDS, "year"),
                (_MONTH_FIELDS, "month"),
                (_DAY_FIELDS, "day"),
            ):
                if not fields & letters:
                    raise ValueError(
                        f"formats: {fmt!r} in {locale} ({pattern!r}) has no {what}; the "
                        "target could not be recovered from the source"
                    )
            if target_weekday and not fields & _WEEKDAY_FIELDS:
                raise ValueError(
                    f"target_format: {target_format!r} ({target_pattern!r}) writes the weekday, "
                    f"but source format {fmt!r} in {locale} ({pattern!r}) does not; a model "
                    "cannot guess a weekday the input does not show"
                )
            if _has_two_digit_year(pattern) and end.year - start.year >= 100:
                raise ValueError(
                    f"formats: {fmt!r} in {locale} ({pattern!r}) writes the year with two "
                    f"digits, which is ambiguous over {start} .. {end}; use a range shorter "
                    "than 100 years"
                )

    days = np.arange(start.toordinal(), end.toordinal() + 1)
    if split is not None:
        in_test = np.array([is_test_date(dt.date.fromordinal(int(d)), test_fraction) for d in days])
        days = days[in_test == (split == "test")]
    if n > len(days):
        raise ValueError(
            f"n: asked for {n} pairs, but only {len(days)} distinct dates are available "
            f"in {start} .. {end} (split={split!r})"
        )
    rng = np.random.default_rng(seed)
    chosen = rng.choice(days, size=n, replace=False)
    locale_choice = rng.integers(len(sources), size=n)
    format_choice = rng.integers(len(formats), size=n)

    format_date = babel.dates.format_date
    pairs: list[tuple[str, str]] = []
    meaning: dict[str, str] = {}
    for ordinal, i, j in zip(
        chosen.tolist(), locale_choice.tolist(), format_choice.tolist(), strict=True
    ):
        date = dt.date.fromordinal(ordinal)
        source = format_date(date, formats[j], locale=sources[i])
        target = format_date(date, target_format, locale=target_locale)
        if meaning.setdefault(source, target) != target:
            raise ValueError(
                f"src, formats: {source!r} stands for two dates ({meaning[source]!r} and "
                f"{target!r}); these source locales and formats are ambiguous together"
            )
        pairs.append((source, target))
    return pairs


class Seq2SeqVocab:
    """Characters numbered for a sequence-to-sequence model, after three special tokens.

    Ids 0, 1, 2 are ``<pad>`` (fills short sequences), ``<sos>`` (start of a target
    sequence: the decoder's first input) and ``<eos>`` (end of a target sequence); the
    characters of ``texts`` follow in sorted order.

    Args:
        texts: every character that occurs in them gets an id.
    """

    PAD, SOS, EOS = 0, 1, 2
    SPECIALS = ("<pad>", "<sos>", "<eos>")

    def __init__(self, texts: Iterable[str]) -> None:
        texts = [texts] if isinstance(texts, str) else list(texts)
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"texts: expected strings, got {type(text).__name__}")
        self._chars = CharVocab("".join(texts))

    @property
    def size(self) -> int:
        """Number of tokens, the three special ones included, ``V``."""
        return len(self.SPECIALS) + self._chars.size

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"Seq2SeqVocab(size={self.size})"

    @property
    def tokens(self) -> tuple[str, ...]:
        """The token of every id: ``tokens[i]`` is the text of id ``i``."""
        return self.SPECIALS + self._chars.chars

    def encode(self, text: str, *, sos: bool = False, eos: bool = False) -> list[int]:
        """The ids of the characters of ``text``, with ``<sos>`` before and ``<eos>`` after
        if asked. An unknown character raises ``ValueError`` naming it."""
        ids = (self._chars.encode(text) + len(self.SPECIALS)).tolist()
        return [self.SOS] * sos + ids + [self.EOS] * eos

    def decode(self, ids: Iterable[int]) -> str:
        """The text of a sequence of ids: stops at the first ``<eos>``, skips ``<pad>`` and
        ``<sos>``."""
        chars = []
        for i in ids:
            i = int(i)
            if not 0 <= i < self.size:
                raise ValueError(f"ids: expected ids in [0, {self.size}), got {i}")
            if i == self.EOS:
                break
            if i >= len(self.SPECIALS):
                chars.append(self._chars.chars[i - len(self.SPECIALS)])
        return "".join(chars)


def _pad(sequences: list[list[int]], padding_value: int) -> np.ndarray:
    out = np.full((len(sequences), max(map(len, sequences))), padding_value, dtype=np.int64)
    for row, sequence in zip(out, sequences, strict=True):
        row[: len(sequence)] = sequence
    return out


def encode_pairs(
    pairs: Sequence[tuple[str, str]], src_vocab: Seq2SeqVocab, tgt_vocab: Seq2SeqVocab
) -> tuple[np.ndarray, ...]:
    """Pairs of strings as padded arrays of ids, for training with teacher forcing.

    Returns:
        ``(src, src_lengths, tgt_in, tgt_out)``, int64: ``src`` (N, S) the source ids padded
        with ``<pad>``; ``src_lengths`` (N,) the unpadded lengths; ``tgt_in`` (N, T) the
        decoder inputs ``<sos> y_1 ... y_m``; ``tgt_out`` (N, T) the outputs it must
        predict, ``y_1 ... y_m <eos>``, both padded with ``<pad>``. ``S`` and ``T`` are the
        longest lengths in ``pairs``.
    """
    if not pairs:
        raise ValueError("pairs: expected at least one (source, target) pair, got none")
    sources = [src_vocab.encode(source) for source, _ in pairs]
    targets = [tgt_vocab.encode(target) for _, target in pairs]
    if min(map(len, sources)) == 0:
        raise ValueError("pairs: every source must have at least one character")
    return (
        _pad(sources, Seq2SeqVocab.PAD),
        np.array([len(s) for s in sources], dtype=np.int64),
        _pad([[Seq2SeqVocab.SOS, *t] for t in targets], Seq2SeqVocab.PAD),
        _pad([[*t, Seq2SeqVocab.EOS] for t in targets], Seq2SeqVocab.PAD),
    )
