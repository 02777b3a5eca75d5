"""Build-time metadata: the project URLs and the README as PyPI shows it.

Why: README.md is written for reading in the repository, so its links are relative
(``docs/bridge.md``, ``benchmarks/results/overhead.png``). On PyPI a relative link points nowhere,
so the long description is the README with every relative link and image made absolute against
:data:`REPOSITORY_URL`. That constant is the only place the repository's address is written; the
project URLs (``[project.urls]`` in the metadata) are built from it too.

Hatchling runs this hook (``[tool.hatch.metadata.hooks.custom]`` in pyproject.toml) when it builds
the sdist or the wheel; it needs nothing beyond the standard library.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hatchling.metadata.plugin.interface import MetadataHookInterface

# PLACEHOLDER: the repository has no public address yet. Set the real one here before publishing
# (the ``.invalid`` top-level domain is reserved, so no link can silently point at a stranger).
REPOSITORY_URL = "https://example.invalid/opentelemetry-instrumentation-llm-router"
BRANCH = "main"

# [text](target) and ![alt](target), target without spaces; an optional "title" is kept.
_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)((?:\s+\"[^\"]*\")?)\)")
_ABSOLUTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|#|/)")


def absolute_links(markdown: str, base: str = REPOSITORY_URL, branch: str = BRANCH) -> str:
    """``markdown`` with relative links to ``{base}/blob/{branch}/…`` and images to ``…/raw/…``.

    In-page anchors (``#section``) point at the README in the repository (PyPI gives headings
    no anchors); absolute URLs and ``mailto:`` are left as they are.
    """

    def rewrite(match: re.Match[str]) -> str:
        bang, text, target, title = match.groups()
        if target.startswith("#"):
            return f"{bang}[{text}]({base}/blob/{branch}/README.md{target}{title})"
        if _ABSOLUTE.match(target):
            return match.group(0)
        kind = "raw" if bang else "blob"
        path = target[2:] if target.startswith("./") else target
        return f"{bang}[{text}]({base}/{kind}/{branch}/{path}{title})"

    return _LINK.sub(rewrite, markdown)


def project_urls(base: str = REPOSITORY_URL, branch: str = BRANCH) -> dict[str, str]:
    return {
        "Homepage": base,
        "Documentation": f"{base}/blob/{branch}/README.md",
        "Source": base,
        "Issues": f"{base}/issues",
        "Changelog": f"{base}/blob/{branch}/CHANGELOG.md",
    }


class CustomMetadataHook(MetadataHookInterface):
    """Fills the ``readme`` and ``urls`` fields that pyproject.toml declares dynamic."""

    def update(self, metadata: dict[str, Any]) -> None:
        readme = Path(self.root, "README.md").read_text(encoding="utf-8")
        metadata["readme"] = {"content-type": "text/markdown", "text": absolute_links(readme)}
        metadata["urls"] = project_urls()
