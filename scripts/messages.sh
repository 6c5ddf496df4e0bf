#!/usr/bin/env bash
# Extract and compile the Swedish translations. Each app keeps its own catalogue
# (APP/locale/sv); templates/ and config/ use locale/sv at the top.
# Usage: scripts/messages.sh [DIR ...]   (default: every catalogue)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
unset DJANGO_SETTINGS_MODULE  # without settings each catalogue stays in its own dir
admin="$root/.venv/bin/django-admin"
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(. coordination workflows workflows/discharge workflows/sip notifications oversight)
for dir in "${dirs[@]}"; do
  mkdir -p "$dir/locale"
  ignore=(-i .venv -i .tools -i var -i tests -i bench -i 'locale')
  case "$dir" in
    .) ignore+=(-i coordination -i workflows -i notifications -i oversight) ;;
    workflows) ignore+=(-i discharge -i sip) ;;
  esac
  (cd "$dir" && "$admin" makemessages -l sv --no-obsolete "${ignore[@]}" >/dev/null)
  (cd "$dir" && "$admin" compilemessages -l sv >/dev/null)
  echo "$dir/locale/sv: $(grep -c '^msgid' "$dir/locale/sv/LC_MESSAGES/django.po") messages, $(grep -B1 -A0 '^msgstr ""$' "$dir/locale/sv/LC_MESSAGES/django.po" | grep -c '^msgid "[^"]' || true) untranslated"
done
