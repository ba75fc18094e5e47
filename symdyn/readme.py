"""Splicing generated text into the README: the one helper behind ``--readme`` (verify, reproduce) and
``make bench``.  A section is the text between ``<!-- key:start -->`` and ``<!-- key:end -->``."""
from __future__ import annotations

from pathlib import Path

__all__ = ["splice_readme"]


def splice_readme(path: str | Path | None, key: str, text: str) -> bool:
    """Replace the section ``key`` of the file ``path`` by ``text``; returns whether the section was found.

    Nothing is written when ``path`` is None/empty, the file is missing or either marker is absent.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "R.md")
    >>> _ = open(p, "w").write("a\\n<!-- t:start -->\\nold\\n<!-- t:end -->\\nb\\n")
    >>> splice_readme(p, "t", "new"), open(p).read()
    (True, 'a\\n<!-- t:start -->\\nnew\\n<!-- t:end -->\\nb\\n')
    """
    if not path:
        return False
    p = Path(path)
    start, end = f"<!-- {key}:start -->", f"<!-- {key}:end -->"
    body = p.read_text() if p.exists() else ""
    if start not in body or end not in body:
        return False
    head, rest = body.split(start, 1)
    _, tail = rest.split(end, 1)
    p.write_text(head + start + "\n" + text.rstrip() + "\n" + end + tail)
    return True
