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
[ ${#dirs[@]} -gt 0 ] || dirs=(. api coordination workflows workflows/discharge workflows/sip workflows/deviations notifications oversight)
compendium=""
if command -v msgcat >/dev/null && command -v msgmerge >/dev/null; then
  compendium="$(mktemp)"
  trap 'rm -f "$compendium"' EXIT
  existing=()
  for po in locale/sv/LC_MESSAGES/django.po */locale/sv/LC_MESSAGES/django.po */*/locale/sv/LC_MESSAGES/django.po; do
    [ -f "$po" ] && existing+=("$po")
  done
  # KARDBORRE_PO_EXTRA: more catalogues to take translations from (e.g. a merged branch's).
  # shellcheck disable=SC2206
  extra=(${KARDBORRE_PO_EXTRA:-})
  msgcat --use-first -o "$compendium" "${existing[@]}" "${extra[@]}"
fi
for dir in "${dirs[@]}"; do
  mkdir -p "$dir/locale"
  ignore=(-i .venv -i .tools -i var -i tests -i bench -i 'locale')
  case "$dir" in
    .) ignore+=(-i api -i coordination -i workflows -i notifications -i oversight) ;;
    workflows) ignore+=(-i discharge -i sip -i deviations) ;;
  esac
  (cd "$dir" && "$admin" makemessages -l sv --no-obsolete "${ignore[@]}" >/dev/null)
  # A message whose code moved to another app keeps its translation: every catalogue
  # is a compendium for the others.
  po="$dir/locale/sv/LC_MESSAGES/django.po"
  if [ -n "${compendium:-}" ]; then
    "$root/.venv/bin/python" "$root/scripts/po_unfuzzy.py" "$po"
    msgmerge --quiet --no-fuzzy-matching --compendium "$compendium" -o "$po" "$po" "$po"
  fi
  (cd "$dir" && "$admin" compilemessages -l sv >/dev/null)
  echo "$dir/locale/sv: $(grep -c '^msgid' "$dir/locale/sv/LC_MESSAGES/django.po") messages, $(grep -B1 -A0 '^msgstr ""$' "$dir/locale/sv/LC_MESSAGES/django.po" | grep -c '^msgid "[^"]' || true) untranslated"
done
