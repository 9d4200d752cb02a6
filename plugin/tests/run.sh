#!/usr/bin/env bash
# The Revisit WooCommerce plugin's tests: php -l on every file, then PHPUnit against a real WordPress
# (Debian's `wordpress` package in /usr/share/wordpress) installed into a fresh MariaDB database,
# with a stand-in for the WooCommerce functions the plugin uses and a local Revisit (php -S).
#
#   plugin/tests/run.sh [phpunit arguments]     e.g. --filter Outage
#
# Environment (defaults in brackets): WP_CORE_DIR [/usr/share/wordpress], REVISIT_WP_DB_NAME
# [revisit_wp_test_<pid>, dropped afterwards], REVISIT_WP_DB_HOST [127.0.0.1], REVISIT_WP_DB_PORT [3306], REVISIT_WP_DB_USER
# [root], REVISIT_WP_DB_PASSWORD [empty], PHPUNIT [phpunit], REVISIT_EVENTS_DUMP (a file: every event
# the local Revisit accepted, one JSON per line — the Python wrapper checks them against the real schema).
# Exits non-zero when anything fails.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PLUGIN_ROOT="$(dirname "$HERE")"
WP_CORE_DIR="${WP_CORE_DIR:-/usr/share/wordpress}"
PHPUNIT="${PHPUNIT:-phpunit}"
# One database per run, so runs side by side (two checkouts, a developer and CI) never share rows.
export REVISIT_WP_DB_NAME="${REVISIT_WP_DB_NAME:-revisit_wp_test_$$}"
export REVISIT_WP_DB_HOST="${REVISIT_WP_DB_HOST:-127.0.0.1}"
export REVISIT_WP_DB_PORT="${REVISIT_WP_DB_PORT:-3306}"
export REVISIT_WP_DB_USER="${REVISIT_WP_DB_USER:-root}"
export REVISIT_WP_DB_PASSWORD="${REVISIT_WP_DB_PASSWORD:-}"

fail() { echo "run.sh: $*" >&2; exit 2; }

command -v php >/dev/null 2>&1 || fail "php is missing (apt-get install php-cli php-mysql php-curl php-mbstring php-xml php-intl)"
command -v "$PHPUNIT" >/dev/null 2>&1 || fail "phpunit is missing (apt-get install phpunit)"
[ -f "$WP_CORE_DIR/wp-settings.php" ] || fail "WordPress not found in $WP_CORE_DIR (apt-get install wordpress)"
php -r 'exit(extension_loaded("mysqli") ? 0 : 1);' || fail "PHP's mysqli extension is missing (apt-get install php-mysql)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/revisit-wp-test.XXXXXX")"
drop_database() {
  php -r '$m = @new mysqli(getenv("REVISIT_WP_DB_HOST"), getenv("REVISIT_WP_DB_USER"), getenv("REVISIT_WP_DB_PASSWORD"), "", (int) getenv("REVISIT_WP_DB_PORT"));
    if (!$m->connect_errno) { $m->query("DROP DATABASE IF EXISTS `" . getenv("REVISIT_WP_DB_NAME") . "`"); }' || true
}
trap 'drop_database; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/wp-content/uploads" "$WORK/wp-content/languages" "$WORK/server"

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

echo "== wp-config for tests ($REVISIT_WP_DB_USER@$REVISIT_WP_DB_HOST:$REVISIT_WP_DB_PORT/$REVISIT_WP_DB_NAME)"
php "$HERE/bin/write-config.php" "$WORK/wp-config.php" "$WP_CORE_DIR" "$WORK/wp-content" "$PLUGIN_ROOT" "$HERE/woocommerce-stand-in"
export REVISIT_WP_CONFIG="$WORK/wp-config.php"
export REVISIT_TEST_STATE_DIR="$WORK/server"

echo "== fresh database + wp_install() + plugin activation"
php "$HERE/bin/install.php"

echo "== phpunit"
cd "$HERE"
"$PHPUNIT" --configuration "$HERE/phpunit.xml.dist" "$@"
