"""Every relative link in the docs leads somewhere: the file exists and so does the heading.

README.md, CHANGELOG.md and docs/*.md are read; each Markdown link or image whose target is not an
absolute URL must name a file of the repository (relative to the linking document), and a
``#fragment`` must be a heading's anchor in the target document, made as GitHub makes them
(lower case, punctuation dropped, spaces to hyphens, ``-1``, ``-2`` … for repeats). Links inside
code blocks and code spans are not links.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.docs import ROOT, document_paths

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)


def _documents() -> list[Path]:
    return sorted({*document_paths(), ROOT / "CHANGELOG.md"})


def _prose(text: str) -> str:
    return CODE_SPAN.sub("", FENCE.sub("", text))


def github_anchor(heading: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    text = text.lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for heading in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        anchor = github_anchor(heading)
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        found.add(anchor if count == 0 else f"{anchor}-{count}")
    return found


def _links() -> Iterator[tuple[str, Path, str]]:
    for document in _documents():
        text = _prose(document.read_text(encoding="utf-8"))
        for match in LINK.finditer(text):
            target = match.group(1)
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
                continue  # https:, mailto:
            line = text.count("\n", 0, match.start()) + 1
            yield f"{document.relative_to(ROOT)}:{line}:{target}", document, target


LINKS = list(_links())


@pytest.mark.parametrize(("where", "document", "target"), LINKS, ids=[w for w, _, _ in LINKS])
def test_relative_link_resolves(where: str, document: Path, target: str) -> None:
    path_part, _, fragment = target.partition("#")
    destination = (document.parent / path_part).resolve() if path_part else document
    assert destination.exists(), f"{where}: {path_part} does not exist"
    if fragment and destination.suffix == ".md":
        assert fragment in anchors(destination), f"{where}: no heading #{fragment} there"


def test_the_anchor_rules_are_githubs() -> None:
    assert github_anchor("Metrics in Prometheus, no Docker") == "metrics-in-prometheus-no-docker"
    assert github_anchor("`OTelObserver`") == "otelobserver"
    assert github_anchor("SDKs that trace themselves (anthropic 2.x)") == (
        "sdks-that-trace-themselves-anthropic-2x"
    )
    assert len(LINKS) > 50
