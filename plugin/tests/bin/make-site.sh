#!/usr/bin/env bash
# Lay out one test site in <work dir> and write its wp-config.php (no database work: bin/install.php
# does that):
#
#   plugin/tests/bin/make-site.sh <work dir>
#
#   <work dir>/wp-config.php            written by bin/write-config.php (ABSPATH: bin/wordpress.sh's tree)
#   <work dir>/wp-content/plugins/      woocommerce  -> $REVISIT_WOOCOMMERCE_DIR (a link: WordPress
#                                                      follows it, WooCommerce never writes to itself)
#                                       revisit-woocommerce -> plugin/revisit-woocommerce
#   <work dir>/wp-content/mu-plugins/   plugin/tests/mu-plugins/*.php (linked)
#   <work dir>/wp-content/uploads, languages
#
# Environment: REVISIT_WOOCOMMERCE_DIR [<project>/../shared/vendor/woocommerce] (a built WooCommerce
# 9.4.3; outside this workplace, the plugin from wordpress.org), REVISIT_WP_DB_* as for run.sh.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TESTS="$(dirname "$HERE")"
PLUGIN_ROOT="$(dirname "$TESTS")"
REPO="$(dirname "$PLUGIN_ROOT")"
WORK="${1:?usage: make-site.sh <work dir>}"
WOOCOMMERCE="${REVISIT_WOOCOMMERCE_DIR:-$REPO/../shared/vendor/woocommerce}"

fail() { echo "make-site.sh: $*" >&2; exit 2; }

[ -f "$WOOCOMMERCE/woocommerce.php" ] || fail "WooCommerce not found in $WOOCOMMERCE (set REVISIT_WOOCOMMERCE_DIR to a built WooCommerce 9.4.3)"
grep -q '^ \* Version: 9\.4\.3$' "$WOOCOMMERCE/woocommerce.php" \
  || echo "make-site.sh: warning: $WOOCOMMERCE is not WooCommerce 9.4.3; the tests are written for 9.4.3" >&2
CORE="$("$HERE/wordpress.sh")"

mkdir -p "$WORK/wp-content/plugins" "$WORK/wp-content/mu-plugins" "$WORK/wp-content/uploads" "$WORK/wp-content/languages"
ln -sfn "$(cd "$WOOCOMMERCE" && pwd)" "$WORK/wp-content/plugins/woocommerce"
ln -sfn "$PLUGIN_ROOT/revisit-woocommerce" "$WORK/wp-content/plugins/revisit-woocommerce"
for file in "$TESTS"/mu-plugins/*.php; do
  [ -e "$file" ] && ln -sfn "$file" "$WORK/wp-content/mu-plugins/$(basename "$file")"
done
php "$HERE/write-config.php" "$WORK/wp-config.php" "$CORE" "$WORK/wp-content" "$WORK/wp-content/plugins" "$WORK/wp-content/mu-plugins"
