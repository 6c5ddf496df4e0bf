"""The web fonts cut down to what the pages use, into static/kardborre/fonts/.

* Roboto (each face in use): Latin and Latin Extended (Swedish names and the names of
  people from elsewhere), general punctuation, €, arrows: ~29 KB a face instead of ~65 KB.
* Material Icons: only the icons whose names occur in our templates and code and in
  viewflow's (its templates and scripts), found by matching every word against the
  font's ligatures: ~19 KB instead of 128 KB. A page whose icon is missing would show
  the icon's name as text; tests/config/test_page_weight.py fails first.

Fonts requested before the first paint count against it on a slow network, so this is
what keeps the list pages' first paint short. Run after a viewflow upgrade or after
using a new icon (scripts/build_css.sh runs it too); the output is committed.
"""

import importlib.util
import re
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "static/kardborre/fonts"
VIEWFLOW = Path(importlib.util.find_spec("viewflow").origin).parent
FONTS = VIEWFLOW / "static/viewflow/fonts"
ROBOTO_FACES = [
    "Roboto-Light",
    "Roboto-Regular",
    "Roboto-RegularItalic",
    "Roboto-Medium",
    "Roboto-Bold",
]
LATIN = [
    *range(0x20, 0x250),  # Basic Latin, Latin-1, Latin Extended-A and -B
    *range(0x2000, 0x2070),  # general punctuation
    0x20AC, 0x2122, 0x2190, 0x2191, 0x2192, 0x2193, 0x2212, 0x2215, 0xFEFF, 0xFFFD,
]  # fmt: skip
ICON_SOURCES = [
    ROOT / "templates",
    ROOT / "api",
    ROOT / "config",
    ROOT / "coordination",
    ROOT / "notifications",
    ROOT / "oversight",
    ROOT / "workflows",
    VIEWFLOW,
]


def ligatures(font: TTFont) -> dict[str, str]:
    """Icon name → glyph name, from the font's ligature substitutions."""
    characters = {glyph: chr(code) for code, glyph in font.getBestCmap().items()}
    found = {}
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for table in lookup.SubTable:
            table = getattr(table, "ExtSubTable", table)
            for first, entries in getattr(table, "ligatures", {}).items():
                for entry in entries:
                    parts = [first, *entry.Component]
                    if all(part in characters for part in parts):
                        found["".join(characters[part] for part in parts)] = entry.LigGlyph
    return found


#: In Python an icon is named as ``icon = "…"`` (a viewflow Application or viewset) or
#: ``"icon": "…"``; in templates and scripts any word may be one (ligature text).
PY_ICON = re.compile(r"""icon["']?\s*[=:]\s*["']([a-z0-9_]+)["']""")


def icons_in_use(names) -> list[str]:
    words = set()
    for base in ICON_SOURCES:
        for path in base.rglob("*"):
            if "migrations" in path.parts or path.suffix not in (".html", ".py", ".js"):
                continue
            text = path.read_text(errors="ignore")
            if path.suffix == ".py":
                words.update(PY_ICON.findall(text))
            else:
                words.update(re.findall(r"[a-z0-9_]+", text))
    return sorted(words & set(names))


def subset_icons() -> Path:
    font = TTFont(FONTS / "material-icons/material-icons.woff2")
    names = ligatures(font)
    options = subset.Options()
    options.layout_closure = False  # keep only the ligatures of the icons in use
    options.layout_features = ["rlig", "liga"]
    options.flavor = "woff2"
    subsetter = subset.Subsetter(options)
    subsetter.populate(
        glyphs=[names[name] for name in icons_in_use(names)],
        text="abcdefghijklmnopqrstuvwxyz0123456789_",
    )
    subsetter.subset(font)
    target = OUT / "material-icons.woff2"
    font.save(target)
    return target


def subset_roboto(face: str) -> Path:
    font = TTFont(FONTS / f"roboto/{face}.woff2")
    options = subset.Options()
    options.layout_features = ["*"]
    options.flavor = "woff2"
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=LATIN)
    subsetter.subset(font)
    target = OUT / f"{face}.woff2"
    font.save(target)
    return target


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for path in [subset_icons(), *(subset_roboto(face) for face in ROBOTO_FACES)]:
        sys.stdout.write(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes\n")
