#!/usr/bin/env bash
# The Revisit WooCommerce plugin's tests: php -l on every file, then PHPUnit against real WordPress
# 6.5.5 (from npm, bin/wordpress.sh) with real WooCommerce 9.4.3 active, each installed into a fresh
# MariaDB database, once per order storage: HPOS (WooCommerce's order tables) and posts, compatibility
# mode off. The plugin talks to a local Revisit (php -S server/router.php).
#
#   plugin/tests/run.sh [phpunit arguments]     e.g. --filter Outage
#
# Environment (defaults in brackets): REVISIT_WC_HPOS [both] on|off|both, REVISIT_WOOCOMMERCE_DIR
# [<project>/../shared/vendor/woocommerce], REVISIT_WP_CACHE_DIR [<project>/.revisit/plugin-tests,
# where bin/wordpress.sh keeps WordPress], REVISIT_WP_DB_NAME [revisit_wp_test_<pid>; the run uses
# <name>_hpos and <name>_posts and drops them afterwards], REVISIT_WP_DB_HOST [127.0.0.1],
# REVISIT_WP_DB_PORT [3306], REVISIT_WP_DB_USER [root], REVISIT_WP_DB_PASSWORD [empty], PHPUNIT
# [phpunit], REVISIT_EVENTS_DUMP (a file: every event the local Revisit accepted, one JSON per line,
# both storages — the Python wrapper checks them against the real schema).
# Exits non-zero when anything fails.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PLUGIN_ROOT="$(dirname "$HERE")"
PHPUNIT="${PHPUNIT:-phpunit}"
MODES="${REVISIT_WC_HPOS:-both}"
# One database per run, so runs side by side (two checkouts, a developer and CI) never share rows.
DB_BASE="${REVISIT_WP_DB_NAME:-revisit_wp_test_$$}"
export REVISIT_WP_DB_HOST="${REVISIT_WP_DB_HOST:-127.0.0.1}"
export REVISIT_WP_DB_PORT="${REVISIT_WP_DB_PORT:-3306}"
export REVISIT_WP_DB_USER="${REVISIT_WP_DB_USER:-root}"
export REVISIT_WP_DB_PASSWORD="${REVISIT_WP_DB_PASSWORD:-}"

fail() { echo "run.sh: $*" >&2; exit 2; }

case "$MODES" in
  both) MODES="on off" ;;
  on | off) ;;
  *) fail "REVISIT_WC_HPOS must be on, off or both, not $MODES" ;;
esac
command -v php >/dev/null 2>&1 || fail "php is missing (apt-get install php-cli php-mysql php-curl php-mbstring php-xml php-intl)"
command -v "$PHPUNIT" >/dev/null 2>&1 || fail "phpunit is missing (apt-get install phpunit)"
php -r 'exit(extension_loaded("mysqli") ? 0 : 1);' || fail "PHP's mysqli extension is missing (apt-get install php-mysql)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/revisit-wp-test.XXXXXX")"
drop_databases() {
  for mode in on off; do
    REVISIT_WP_DB_NAME="$(db_name "$mode")" php "$HERE/bin/drop-database.php" || true
  done
}
db_name() { if [ "$1" = on ]; then echo "${DB_BASE}_hpos"; else echo "${DB_BASE}_posts"; fi; }
trap 'drop_databases; rm -rf "$WORK"' EXIT

echo "== php -l (every PHP file under plugin/)"
lint_failed=0
while IFS= read -r -d '' file; do
  if ! out="$(php -l "$file" 2>&1)"; then
    echo "$out" >&2
    lint_failed=1
  fi
done < <(find "$PLUGIN_ROOT" -name '*.php' -print0)
[ "$lint_failed" -eq 0 ] || fail "php -l found syntax errors"
echo "ok"

status=0
for mode in $MODES; do
  site="$WORK/hpos-$mode"
  export REVISIT_WC_HPOS="$mode"
  export REVISIT_WP_DB_NAME
  REVISIT_WP_DB_NAME="$(db_name "$mode")"
  echo "== HPOS $mode: site in $site, database $REVISIT_WP_DB_USER@$REVISIT_WP_DB_HOST:$REVISIT_WP_DB_PORT/$REVISIT_WP_DB_NAME"
  mkdir -p "$site/server"
  "$HERE/bin/make-site.sh" "$site"
  export REVISIT_WP_CONFIG="$site/wp-config.php"
  export REVISIT_TEST_STATE_DIR="$site/server"
  php "$HERE/bin/install.php"
  echo "== HPOS $mode: phpunit"
  (cd "$HERE" && "$PHPUNIT" --configuration "$HERE/phpunit.xml.dist" "$@") || status=1
done
exit "$status"
