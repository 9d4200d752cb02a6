#!/usr/bin/env bash
# Regenerate the plugin's translation template, merge it into the Persian translation and compile it.
#   plugin/tools/i18n.sh          (needs gettext: xgettext, msgmerge, msgfmt)
# Translate new strings in languages/revisit-woocommerce-fa_IR.po, then run this again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../revisit-woocommerce"
LANG_DIR=languages
POT="$LANG_DIR/revisit-woocommerce.pot"
PO="$LANG_DIR/revisit-woocommerce-fa_IR.po"
MO="$LANG_DIR/revisit-woocommerce-fa_IR.mo"

find . -name '*.php' -not -path './languages/*' | LC_ALL=C sort | xargs xgettext \
  --language=PHP --from-code=UTF-8 --add-comments=translators: --sort-by-file \
  --keyword=__ --keyword=_e --keyword=esc_html__ --keyword=esc_html_e \
  --keyword=esc_attr__ --keyword=esc_attr_e --keyword=_x:1,2c --keyword=_n:1,2 \
  --package-name="Revisit for WooCommerce" --package-version="$(sed -n "s/^ \* Version: *//p" revisit-woocommerce.php)" \
  --msgid-bugs-address="https://revisit.example/support" \
  --output="$POT"
# Stable headers: no creation date churn, the text domain named.
sed -i -e '1s/.*/# Translation template for Revisit for WooCommerce./' \
       -e '2s/.*/# Distributed under the same license as the plugin (GPL-2.0-or-later)./' -e '3,4d' \
       -e 's/^"POT-Creation-Date: .*\\n"$/"POT-Creation-Date: 2024-12-20 00:00+0000\\n"/' \
       -e 's/^"Content-Type: text\/plain; charset=CHARSET\\n"$/"Content-Type: text\/plain; charset=UTF-8\\n"/' \
       -e '/^"X-Domain: /d' "$POT"
if [ -f "$PO" ]; then
  msgmerge --quiet --update --backup=none --no-fuzzy-matching --sort-by-file "$PO" "$POT"
fi
msgfmt --check --statistics --output-file="$MO" "$PO"
