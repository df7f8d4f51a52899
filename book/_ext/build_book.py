"""Build the book's HTML, in English or in Chinese, reading two pages at a time.

    python book/_ext/build_book.py SOURCE OUTPUT                  # English
    python book/_ext/build_book.py SOURCE OUTPUT --language zh_CN  # the Chinese edition

It does what ``jupyter-book build SOURCE -W -n --keep-going`` does (warnings are errors; every
warning is reported before the build fails), with one difference: Sphinx reads ``--jobs``
pages at a time (two by default, one per core of the course's machine; see
``book/_ext/parallel_read.py``), and reading a page is when its notebook runs, so a cold build
executes the notebooks two at a time. Jupyter Book's command line has no option for it.

The Chinese edition takes the translations from the catalogues (``locales/``; see
``book/_ext/translations.py``) and never runs a notebook: the configuration's execution mode
decides where the outputs come from (the English build's jupyter-cache, or, in the tests,
executed copies). Code, code output and figures stay as they are.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from translations import LANGUAGE, LOCALES, TITLE  # noqa: E402

ENGLISH = "en"


def run_sphinx(
    source: Path, output: Path, *, builder: str, doctrees: Path, overrides: dict, **options
) -> int | BaseException:
    """Sphinx on the book in ``source``, configured as ``jupyter-book build -n`` configures it
    (``_config.yml``, ``_toc.yml``, nit-picky), with ``overrides`` on top; ``options`` go to
    Jupyter Book's ``build_sphinx``. Returns Sphinx's exit status, or the exception that
    stopped the build (Sphinx has reported it)."""
    from jupyter_book.sphinx import build_sphinx

    jupyter_book = {
        "external_toc_path": (source / "_toc.yml").as_posix(),
        "latex_individualpages": False,
        "nitpicky": True,
    }
    return build_sphinx(
        source,
        output,
        noconfig=True,
        path_config=str(source / "_config.yml"),
        confoverrides=jupyter_book | overrides,
        doctreedir=doctrees,
        builder=builder,
        **options,
    )


def _doctrees_name(language: str) -> str:
    return ".doctrees" if language == ENGLISH else f".doctrees-{language}"


def build(
    source: Path,
    output: Path,
    *,
    language: str = ENGLISH,
    locales: Path = LOCALES,
    jobs: int = 2,
    doctrees: Path | None = None,
) -> int:
    """Build the HTML of the book in ``source`` into ``output``, in ``language`` (``"en"`` or
    ``"zh_CN"``), reading ``jobs`` pages at a time. Sphinx keeps what it read in ``doctrees``
    (by default ``source/_build/.doctrees``, or ``.doctrees-zh_CN``). Returns Sphinx's exit
    status (1 when the build stopped on an exception, which Sphinx has reported)."""
    import yaml

    if language not in (ENGLISH, LANGUAGE):
        raise ValueError(f"language: expected {ENGLISH!r} or {LANGUAGE!r}, got {language!r}")
    if jobs < 1:
        raise ValueError(f"jobs: expected a positive number of processes, got {jobs}")
    overrides: dict[str, object] = {}
    if language != ENGLISH:
        overrides = {
            "language": language,
            "locale_dirs": [str(locales)],
            "gettext_compact": False,
            "html_title": TITLE,
        }
        config = yaml.safe_load((source / "_config.yml").read_text(encoding="utf-8"))
        baseurl = config.get("html", {}).get("baseurl")
        if baseurl:  # the canonical address of each page is its own, not the English one's
            overrides["html_baseurl"] = f"{baseurl.rstrip('/')}/{language}/"
    status = run_sphinx(
        source,
        output,
        builder="html",
        doctrees=doctrees or source / "_build" / _doctrees_name(language),
        overrides=overrides,
        warningiserror=True,
        keep_going=True,
        jobs=jobs,
    )
    return status if isinstance(status, int) else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("source", type=Path, help="the book's folder (with _config.yml)")
    parser.add_argument("output", type=Path, help="where the HTML goes")
    parser.add_argument("--language", default=ENGLISH, choices=[ENGLISH, LANGUAGE])
    parser.add_argument("--locales", type=Path, default=LOCALES, help="the catalogues' folder")
    parser.add_argument("--jobs", type=int, default=2, help="pages read at a time (default 2)")
    parser.add_argument("--doctrees", type=Path, help="Sphinx's doctrees (default SOURCE/_build)")
    args = parser.parse_args()
    status = build(
        args.source.resolve(),
        args.output.resolve(),
        language=args.language,
        locales=args.locales.resolve(),
        jobs=args.jobs,
        doctrees=args.doctrees.resolve() if args.doctrees else None,
    )
    sys.exit(status)


if __name__ == "__main__":
    main()
