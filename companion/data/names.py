"""Surnames labelled with their language of origin, from ``faker``'s per-locale name lists.

Like the classic character-RNN name classifier, but offline: every name comes from the lists
that the ``faker`` package ships for its locales, so nothing is downloaded. A class is a
language (or a country, where the language would be ambiguous), fed by one or more
``(locale, attribute)`` lists of ``faker.providers.person.<locale>.Provider``:

============  ==========================================================  =====================
class         faker lists                                                 note
============  ==========================================================  =====================
Chinese       zh_CN, zh_TW ``last_romanized_names``                       pinyin / Wade-Giles
Croatian      hr_HR ``last_names``
Czech         cs_CZ ``last_names``                                        male and female forms
Dutch         nl_NL, nl_BE ``last_names``
English       en_GB ``last_names``                                        not en_US (see below)
Finnish       fi_FI ``last_names``
French        fr_FR ``last_names``
German        de_DE, de_AT ``last_names``
Hungarian     hu_HU ``last_names``                                        below the minimum
Indian        en_IN ``last_names``                                        a country, many languages
Indonesian    id_ID ``last_names``
Irish         ga_IE ``last_names``                                        Irish-language spelling
Italian       it_IT ``last_names``
Japanese      ja_JP ``last_romanized_names``                              below the minimum
Polish        pl_PL ``unisex_last_names``, ``male_last_names``            (``last_names`` is "Doe")
Portuguese    pt_BR, pt_PT ``last_names``                                 below the minimum
Russian       et_EE ``last_names_rus``                                    Latin transliteration
Spanish       es_ES, es_MX, es_CL, es_CO, es_AR ``last_names``
Swedish       sv_SE ``last_names``
Turkish       tr_TR ``last_names``                                        below the minimum
Yoruba        yo_NG ``last_names``                                        below the minimum
Zulu          zu_ZA ``last_names``
============  ==========================================================  =====================

Locales that write names in another script (Greek, Cyrillic, Arabic, Chinese characters, ...)
are left out unless faker also ships a romanised list, because accents can be folded to ASCII
but scripts cannot. ``en_US`` is left out on purpose: it lists American surnames of every
origin, so as a class it would overlap all the others.

Cleaning, in this order (:func:`fold_name`):

1. *ASCII folding*: a few Latin letters that have no Unicode decomposition are spelt out
   (``ł`` -> ``l``, ``ø`` -> ``o``, ``æ`` -> ``ae``, ...), then accents are removed (Unicode
   NFKD, combining marks dropped, via :func:`companion.data.text.to_ascii`), then the name is
   lowercased.
2. A folded name must be letters ``a-z`` with single spaces, apostrophes or hyphens between
   them (``"o'brien"``, ``"mac carthaigh"``, ``"lopez-garcia"``) and at least two letters long;
   any other name is *dropped* (about a dozen: names with commas such as
   ``"Bourgondie, van"``, an apostrophe at the edge of a word as in ``"van 't Erve"``,
   one-letter names).
3. Duplicates within a class are removed.
4. A name that occurs in the lists of two or more classes of :data:`SOURCES` (``"ali"``,
   ``"martin"``) is *dropped* from all of them: it has no single answer. This is decided
   over every class of the table, whichever classes you load, so a class always holds the
   same names.
5. Classes with fewer than ``min_names`` names left are not loaded (by default); asking for
   one of them explicitly is an error.

The numbers of names each step drops are in :attr:`SurnameDataset.dropped`; the sizes of
the lists depend on the installed faker version, so nothing here assumes a size.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from companion._validate import check_fraction, check_int
from companion.data.text import CharVocab, to_ascii

# class -> the faker lists it is made of: (locale, attribute of that locale's person Provider)
SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "Chinese": (("zh_CN", "last_romanized_names"), ("zh_TW", "last_romanized_names")),
    "Croatian": (("hr_HR", "last_names"),),
    "Czech": (("cs_CZ", "last_names"),),
    "Dutch": (("nl_NL", "last_names"), ("nl_BE", "last_names")),
    "English": (("en_GB", "last_names"),),
    "Finnish": (("fi_FI", "last_names"),),
    "French": (("fr_FR", "last_names"),),
    "German": (("de_DE", "last_names"), ("de_AT", "last_names")),
    "Hungarian": (("hu_HU", "last_names"),),
    "Indian": (("en_IN", "last_names"),),
    "Indonesian": (("id_ID", "last_names"),),
    "Irish": (("ga_IE", "last_names"),),
    "Italian": (("it_IT", "last_names"),),
    "Japanese": (("ja_JP", "last_romanized_names"),),
    "Polish": (("pl_PL", "unisex_last_names"), ("pl_PL", "male_last_names")),
    "Portuguese": (("pt_BR", "last_names"), ("pt_PT", "last_names")),
    "Russian": (("et_EE", "last_names_rus"),),
    "Spanish": tuple(
        (locale, "last_names") for locale in ("es_ES", "es_MX", "es_CL", "es_CO", "es_AR")
    ),
    "Swedish": (("sv_SE", "last_names"),),
    "Turkish": (("tr_TR", "last_names"),),
    "Yoruba": (("yo_NG", "last_names"),),
    "Zulu": (("zu_ZA", "last_names"),),
}

# Latin letters that Unicode does not decompose into a base letter and an accent.
LETTERS = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "Ae",
        "œ": "oe",
        "Œ": "Oe",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "ı": "i",
    }
)

PAD = "\0"
"""The padding character; it sorts before every other, so its id is 0."""
ALPHABET = " '-abcdefghijklmnopqrstuvwxyz"
"""Every character a folded name may contain."""
VOCAB = CharVocab(PAD + ALPHABET)
"""Character ids of folded names: ``PAD`` is 0, then space, apostrophe, hyphen, ``a`` .. ``z``."""
PADDING_IDX = int(VOCAB.encode(PAD)[0])

_NAME = re.compile(r"[a-z]+(?:[ '-][a-z]+)*")


def fold_name(name: str) -> str | None:
    """``name`` folded to lowercase ASCII, or ``None`` if it cannot be folded reasonably.

    ``"Wiśniewski"`` -> ``"wisniewski"``, ``"Łukasik"`` -> ``"lukasik"``, ``"Ó Briain"`` ->
    ``"o briain"``; ``"Смирнов"`` and ``"Bourgondië, van"`` -> ``None`` (another script; a
    comma). See the module docstring for the rules.
    """
    if not isinstance(name, str):
        raise TypeError(f"name: expected a str, got {type(name).__name__}")
    folded = to_ascii(name.strip().translate(LETTERS)).lower()
    if len(folded) < 2 or not _NAME.fullmatch(folded):
        return None
    return folded


def _faker_list(locale: str, attribute: str) -> list[str]:
    """The names of one faker list (weighted lists are dicts: their keys are the names)."""
    try:
        module = importlib.import_module(f"faker.providers.person.{locale}")
    except ImportError as err:
        raise ImportError(
            f"the surnames come from the 'faker' package, which could not provide locale "
            f"{locale!r}: {err}. Install it with `pip install faker`."
        ) from err
    names = getattr(module.Provider, attribute, None)
    if not names or isinstance(names, str):
        raise RuntimeError(
            f"faker locale {locale!r} has no name list {attribute!r} in this faker version; "
            "companion.data.names.SOURCES needs updating"
        )
    return list(names)


@functools.cache
def _clean_classes() -> tuple[dict[str, tuple[str, ...]], dict[str, dict[str, int]]]:
    """Every class of SOURCES, cleaned: ``({class: sorted names}, {class: drop counts})``."""
    folded, dropped = {}, {}
    for label, lists in SOURCES.items():
        raw = [name for locale, attribute in lists for name in _faker_list(locale, attribute)]
        kept = [fold_name(name) for name in raw]
        unique = {name for name in kept if name is not None}
        folded[label] = unique
        dropped[label] = {
            "unfoldable": sum(name is None for name in kept),
            "duplicate": len(raw) - sum(name is None for name in kept) - len(unique),
        }
    owners: dict[str, int] = {}
    for names in folded.values():
        for name in names:
            owners[name] = owners.get(name, 0) + 1
    clean = {}
    for label, names in folded.items():
        clean[label] = tuple(sorted(name for name in names if owners[name] == 1))
        dropped[label]["ambiguous"] = len(names) - len(clean[label])
    return clean, dropped


Example = tuple[str, int]


@dataclass(frozen=True)
class SurnameDataset:
    """Folded surnames and their class ids, split into training, validation and test sets.

    Attributes:
        classes: the class names; a label ``k`` means ``classes[k]``.
        train, val, test: lists of ``(name, label)``, each shuffled.
        dropped: ``{class: {"unfoldable": n, "duplicate": n, "ambiguous": n}}``, the names
            each cleaning step removed from the class's faker lists.
        vocab: the character vocabulary (:data:`VOCAB`); ``vocab.size`` includes padding.
        padding_idx: the id of the padding character, 0.
    """

    classes: tuple[str, ...]
    train: list[Example]
    val: list[Example]
    test: list[Example]
    dropped: dict[str, dict[str, int]]
    vocab: CharVocab = field(default=VOCAB, repr=False)
    padding_idx: int = PADDING_IDX

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def encode(self, name: str) -> np.ndarray:
        """``(N,)`` int64 character ids of ``name`` after :func:`fold_name` (no padding).

        Raises:
            ValueError: ``name`` cannot be folded to the alphabet of the dataset.
        """
        folded = fold_name(name)
        if folded is None:
            raise ValueError(
                f"name: expected at least two letters a-z (accents are removed), with single "
                f"spaces, apostrophes or hyphens between them, got {name!r}"
            )
        return self.vocab.encode(folded)

    def counts(self, split: str = "train") -> np.ndarray:
        """``(C,)`` number of names of each class in ``split`` ('train', 'val' or 'test')."""
        if split not in ("train", "val", "test"):
            raise ValueError(f"split: expected 'train', 'val' or 'test', got {split!r}")
        labels = [label for _, label in getattr(self, split)]
        return np.bincount(np.array(labels, dtype=np.int64), minlength=self.num_classes)


def load_surnames(
    classes: Sequence[str] | None = None,
    *,
    min_names: int = 100,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
) -> SurnameDataset:
    """Surnames by language of origin, cleaned and split, deterministically.

    Each class is split on its own (*stratified*): its names, in sorted order, are shuffled
    with a generator seeded by ``seed``; ``round(val_fraction * n)`` go to validation,
    ``round(test_fraction * n)`` to test, the rest to training. The same arguments give
    the same splits on every run.

    Args:
        classes: class names from :data:`SOURCES`, in the order their labels should have;
            ``None``: every class with at least ``min_names`` names, in alphabetical order.
        min_names: the smallest class that is loaded (after cleaning).
        val_fraction, test_fraction: shares of every class held out.
        seed: seeds the shuffles.

    Raises:
        ValueError: an unknown or repeated class; a requested class with fewer than
            ``min_names`` names; a class too small to give every split at least one name.
    """
    check_int(min_names, "min_names", minimum=3)
    val_fraction = check_fraction(val_fraction, "val_fraction")
    test_fraction = check_fraction(test_fraction, "test_fraction")
    if val_fraction + test_fraction >= 1:
        total = val_fraction + test_fraction
        raise ValueError(f"val_fraction + test_fraction: expected less than 1, got {total}")
    check_int(seed, "seed", minimum=0)
    clean, dropped = _clean_classes()
    if classes is None:
        labels = tuple(label for label in sorted(clean) if len(clean[label]) >= min_names)
    else:
        if isinstance(classes, str):
            raise TypeError(f"classes: expected a sequence of class names, got the str {classes!r}")
        labels = tuple(classes)
        unknown = [label for label in labels if label not in clean]
        if unknown:
            raise ValueError(f"classes: unknown {unknown}; expected names from {sorted(clean)}")
        if len(set(labels)) != len(labels):
            raise ValueError(f"classes: expected each class once, got {list(labels)}")
        small = {label: len(clean[label]) for label in labels if len(clean[label]) < min_names}
        if small:
            raise ValueError(
                f"classes: {small} have fewer than min_names={min_names} names after cleaning; "
                "lower min_names to load them"
            )
    if len(labels) < 2:
        raise ValueError(f"classes: expected at least two classes, got {list(labels)}")

    rng = np.random.default_rng(seed)
    splits: dict[str, list[Example]] = {"train": [], "val": [], "test": []}
    for label, name in enumerate(labels):
        names = clean[name]
        n_val, n_test = round(val_fraction * len(names)), round(test_fraction * len(names))
        if min(n_val, n_test, len(names) - n_val - n_test) < 1:
            raise ValueError(
                f"classes: {name!r} has {len(names)} names, too few to give training, "
                f"validation and test at least one each with val_fraction={val_fraction} and "
                f"test_fraction={test_fraction}"
            )
        order = rng.permutation(len(names))
        parts = np.split(order, [n_val, n_val + n_test])
        for split, part in zip(("val", "test", "train"), parts, strict=True):
            splits[split] += [(names[i], label) for i in part]
    for examples in splits.values():
        examples[:] = [examples[i] for i in rng.permutation(len(examples))]
    return SurnameDataset(
        classes=labels,
        train=splits["train"],
        val=splits["val"],
        test=splits["test"],
        dropped={label: dict(dropped[label]) for label in labels},
    )
