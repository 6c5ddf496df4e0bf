"""Turn the guesses that makemessages writes for new messages ("#, fuzzy", matched to a
similar old message) into untranslated entries, so that the compendium of all
catalogues (scripts/messages.sh) fills them with their exact translation, and what is
left shows up as untranslated instead of silently falling back to English."""

import re
import sys


def unfuzzy(text: str) -> str:
    blocks = text.split("\n\n")
    out = []
    for block in blocks:
        lines = block.split("\n")
        flags = [i for i, line in enumerate(lines) if line.startswith("#,")]
        if not flags or "fuzzy" not in lines[flags[0]] or 'msgid ""\nmsgstr ""\n"' in block:
            out.append(block)  # not fuzzy, or the header (msgid "" with fields)
            continue
        if re.search(r'^msgid ""$', block, re.M) and not re.search(r'^msgid ""\n"', block, re.M):
            out.append(block)
            continue
        i = flags[0]
        rest = [f.strip() for f in lines[i][2:].split(",") if f.strip() and f.strip() != "fuzzy"]
        lines[i] = "#, " + ", ".join(rest) if rest else None
        kept, in_str = [], False
        for line in lines:
            if line is None or line.startswith("#|"):
                continue
            if line.startswith("msgstr"):
                in_str = True
                kept.append(re.sub(r"^(msgstr(\[\d+\])?) .*$", r'\1 ""', line))
                continue
            if in_str and line.startswith('"'):
                continue
            kept.append(line)
        out.append("\n".join(kept))
    return "\n\n".join(out)


if __name__ == "__main__":
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(unfuzzy(text))
