"""The book's build script and its parallel read (book/_ext/build_book.py, parallel_read.py).

The builds themselves run in tests/test_book_html.py, with warnings as errors: a build that
fell back to reading one page at a time would warn, and fail there.
"""

import sys
from pathlib import Path

import pytest
from helpers import ROOT
from sphinx.util.parallel import make_chunks

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import build_book  # noqa: E402
from parallel_read import dealt  # noqa: E402

PAGES = [f"page{i:02d}" for i in range(82)]


def test_dealing_keeps_every_page_and_the_chunk_sizes():
    order = dealt(PAGES, 2)
    assert sorted(order) == PAGES
    assert [len(c) for c in make_chunks(order, 2)] == [len(c) for c in make_chunks(PAGES, 2)]


def test_dealing_spreads_neighbouring_pages_over_the_chunks():
    # In Sphinx's own order, a chunk is a run of consecutive pages.
    assert make_chunks(PAGES, 2)[0] == PAGES[:20]
    chunks = make_chunks(dealt(PAGES, 2), 2)
    home = {page: i for i, chunk in enumerate(chunks) for page in chunk}
    assert all(home[a] != home[b] for a, b in zip(PAGES[:-1], PAGES[1:], strict=True))
    for chunk in chunks[:-1]:  # every full chunk reaches from the first pages to the last
        indices = [PAGES.index(page) for page in chunk]
        assert min(indices) < 5 and max(indices) > 75, chunk


@pytest.mark.parametrize(
    ("arguments", "message"),
    [({"language": "fr"}, "language: expected 'en' or 'zh_CN', got 'fr'"), ({"jobs": 0}, "jobs")],
)
def test_build_rejects_bad_arguments(tmp_path: Path, arguments: dict, message: str):
    with pytest.raises(ValueError, match=message):
        build_book.build(ROOT, tmp_path, **arguments)
