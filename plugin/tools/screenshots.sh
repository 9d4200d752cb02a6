#!/usr/bin/env bash
# Re-create the plugin's screenshots in docs/images/ from a real browser, end to end:
#
#   plugin/tools/screenshots.sh
#
# What runs (all of it started here, and all of it stopped and deleted on exit, even on failure):
# - a real Revisit server: `uv run revisit dev` with a fresh data directory (it seeds the demo store
#   «فروشگاه نمونه» and writes its store key to <data dir>/demo-key);
# - the tests' store: WordPress 6.5.5 (npm, plugin/tests/bin/wordpress.sh; copied into a temp docroot,
#   where wp-load.php looks for wp-config.php) with real WooCommerce 9.4.3 (REVISIT_WOOCOMMERCE_DIR)
#   and the plugin, laid out by plugin/tests/bin/make-site.sh and installed by
#   plugin/tests/bin/install.php into its own MariaDB database (REVISIT_WP_DB_NAME, default
#   revisit_wp_shots, dropped again at the end), served by `php -S`;
# - as a must-use plugin, plugin/tools/screenshots-env.php, which only switches the plugin's background
#   work from Action Scheduler to WP-Cron (see that file), so that each wp-cron.php pass this script
#   makes by hand (as a real cron job would) runs one backfill step and the shot shows progress;
# - 640 customer accounts created before the plugin sees them (plugin/tools/screenshots-seed.php),
#   so the plugin's backfill has history to send;
# - Chromium (Debian's /usr/bin/chromium) driven by playwright-core (npm, installed into the temp
#   directory): it signs in through wp-login.php as the administrator, pastes the demo key, clicks
#   "Save and test connection", etc. No auto-login.
#
# Images: docs/images/plugin-settings-connected.png, plugin-settings-backfill.png, plugin-settings-fa.png,
# each clipped to the plugin's page (WordPress's sidebar and admin bar left out). The Persian one uses
# WordPress's own Persian strings when wp-content/languages of the WordPress tree holds them (the npm
# build has none; else WordPress's strings stay English). The checkout credit box is not taken.
#
# Needs: php (mysqli), MariaDB at REVISIT_WP_DB_HOST:REVISIT_WP_DB_PORT (127.0.0.1:3306, root, no
# password by default), WooCommerce 9.4.3 (REVISIT_WOOCOMMERCE_DIR), chromium, a font with Persian
# glyphs (fonts-noto-core), node + npm, unzip, uv, curl, ImageMagick (convert), wordpress-l10n (WordPress's own Persian strings), and network access to
# the npm registry.
# Environment: SCREENSHOTS_OUT (default docs/images), SCREENSHOTS_KEEP_RAW (a folder for the unprocessed
# PNGs), REVISIT_WP_DB_* as for plugin/tests/run.sh.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PLUGIN_ROOT="$(dirname "$HERE")"
REPO="$(dirname "$PLUGIN_ROOT")"
TESTS="$PLUGIN_ROOT/tests"
OUT="${SCREENSHOTS_OUT:-$REPO/docs/images}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
CONVERT="${CONVERT:-/usr/bin/convert}"
CUSTOMERS=640 # the backfill shot expects "300 of 640" after three steps of 100
export REVISIT_WP_DB_NAME="${REVISIT_WP_DB_NAME:-revisit_wp_shots}"
export REVISIT_WP_DB_HOST="${REVISIT_WP_DB_HOST:-127.0.0.1}"
export REVISIT_WP_DB_PORT="${REVISIT_WP_DB_PORT:-3306}"
export REVISIT_WP_DB_USER="${REVISIT_WP_DB_USER:-root}"
export REVISIT_WP_DB_PASSWORD="${REVISIT_WP_DB_PASSWORD:-}"

say() { echo "== $*"; }
fail() { echo "screenshots.sh: $*" >&2; exit 2; }

for tool in php node npm uv curl "$CHROMIUM" "$CONVERT"; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing"
done
WP_CORE_DIR="$("$TESTS/bin/wordpress.sh")"
php -r 'exit(extension_loaded("mysqli") ? 0 : 1);' || fail "PHP's mysqli extension is missing (apt-get install php-mysql)"

free_port() { php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo substr(strrchr(stream_socket_get_name($s, false), ":"), 1);'; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/revisit-shots.XXXXXX")"
REVISIT_PID=""
PHP_PID=""
DB_CREATED=0

stop_pid() { # stop_pid <pid> <signal>: signal one process we started, wait up to 30 s, then KILL it.
  local pid="$1" sig="$2"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  set +e
  stop_pid "$PHP_PID" TERM
  if [ -n "$REVISIT_PID" ]; then
    # `uv run` starts the revisit process as its child; Ctrl-C (SIGINT) to that child is the clean stop
    # that also shuts its embedded PostgreSQL and Redis down.
    for child in $(pgrep -P "$REVISIT_PID" 2>/dev/null); do stop_pid "$child" INT; done
    stop_pid "$REVISIT_PID" TERM
  fi
  if [ "$DB_CREATED" = 1 ]; then
    php "$TESTS/bin/drop-database.php"
  fi
  if [ "$rc" != 0 ]; then
    for log in revisit.log php-server.log debug.log; do
      [ -s "$WORK/$log" ] && { echo "--- last lines of $log" >&2; tail -n 25 "$WORK/$log" >&2; }
    done
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

REVISIT_PORT="$(free_port)"
WP_PORT="$(free_port)"
WP_URL="http://127.0.0.1:$WP_PORT"

say "Revisit: uv run revisit dev --port $REVISIT_PORT (fresh data directory, demo store)"
mkdir -p "$WORK/revisit-data"
(cd "$REPO" && REVISIT_DATA_DIR="$WORK/revisit-data" exec uv run revisit dev --port "$REVISIT_PORT" >"$WORK/revisit.log" 2>&1) &
REVISIT_PID=$!

say "WordPress: core copied to $WORK/wordpress, WooCommerce and the plugin, database $REVISIT_WP_DB_NAME"
"$TESTS/bin/make-site.sh" "$WORK/site"
mkdir -p "$WORK/wordpress"
for entry in "$WP_CORE_DIR"/*; do
  case "$(basename "$entry")" in wp-content|wp-config.php) continue ;; esac
  cp -r "$entry" "$WORK/wordpress/"
done
# The site's wp-content (plugins, uploads) under the docroot too, so php -S serves its scripts and styles.
ln -s "$WORK/site/wp-content" "$WORK/wordpress/wp-content"
# WordPress's own Persian strings (and with them its right-to-left layout): from the WordPress tree when
# it has them, else from Debian's wordpress-l10n (WordPress 6.1's strings: close enough for a picture).
CORE_LANGUAGES="$WP_CORE_DIR/wp-content/languages"
[ -f "$CORE_LANGUAGES/fa_IR.mo" ] || CORE_LANGUAGES=/usr/share/wordpress/wp-content/languages
if [ -f "$CORE_LANGUAGES/fa_IR.mo" ]; then
  cp "$CORE_LANGUAGES"/*fa_IR.mo "$WORK/site/wp-content/languages/"
  CORE_FA=1
else
  echo "   (no Persian strings of WordPress's own here: they will stay English in the Persian shot)"
  CORE_FA=0
fi
cat >"$WORK/site/wp-content/mu-plugins/revisit-screenshots.php" <<PHP
<?php // Screenshot environment only: background work on WP-Cron (see the file).
require '$HERE/screenshots-env.php';
PHP
export REVISIT_WP_CONFIG="$WORK/site/wp-config.php"
DB_CREATED=1
php "$TESTS/bin/install.php"
php "$HERE/screenshots-seed.php" customers "$CUSTOMERS"

# The docroot's wp-config.php: the harness's settings, plus the address of the Revisit started above.
# Errors go to a log (as on a live site) instead of onto the page; the plugin's are reported below.
cat >"$WORK/wordpress/wp-config.php" <<PHP
<?php
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_DISPLAY', false );
define( 'WP_DEBUG_LOG', '$WORK/debug.log' );
define( 'WP_HOME', '$WP_URL' );
define( 'WP_SITEURL', '$WP_URL' );
define( 'REVISIT_API_URL', 'http://127.0.0.1:$REVISIT_PORT' );
require '$WORK/site/wp-config.php';
require_once ABSPATH . 'wp-settings.php';
PHP

say "php -S $WP_URL"
(cd "$WORK/wordpress" && exec php -S "127.0.0.1:$WP_PORT" -t "$WORK/wordpress" >"$WORK/php-server.log" 2>&1) &
PHP_PID=$!

say "playwright-core (npm, in the temp directory)"
mkdir -p "$WORK/node"
(cd "$WORK/node" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent playwright-core >/dev/null)

cat >"$WORK/node/shots.js" <<'JS'
// One step per call; the signed-in session is kept in state.json between calls.
const { chromium } = require('playwright-core');
const fs = require('fs');
const [step, base, arg1, arg2] = process.argv.slice(2);
const state = __dirname + '/state.json';
const settings = base + '/wp-admin/admin.php?page=revisit';

// The settings page itself (the plugin's .wrap with a small margin), without WordPress's sidebar and
// admin bar.
async function shoot(page, file) {
  const box = await page.locator('.wrap.revisit-settings').boundingBox();
  const bar = await page.locator('#wpadminbar').boundingBox();
  const x = Math.max(0, box.x - 16);
  const y = Math.max(bar ? bar.y + bar.height : 0, box.y - 12);
  await page.screenshot({ path: file, clip: { x, y, width: box.width + 32, height: box.y + box.height + 16 - y } });
}

async function expectText(page, texts) {
  const body = await page.locator('#wpbody-content').innerText();
  for (const text of texts) {
    if (!body.includes(text)) throw new Error(`the page does not show "${text}":\n${body}`);
  }
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    storageState: fs.existsSync(state) ? state : undefined,
  });
  const page = await context.newPage();
  try {
    if (step === 'login') {
      await page.goto(base + '/wp-login.php');
      await page.fill('#user_login', 'admin');
      await page.fill('#user_pass', 'password');
      await Promise.all([page.waitForURL('**/wp-admin/**'), page.click('#wp-submit')]);
      await context.storageState({ path: state });
    } else if (step === 'connect') { // arg1: key file, arg2: png
      await page.goto(settings);
      await page.fill('#revisit_access_key', fs.readFileSync(arg1, 'utf8').trim());
      await Promise.all([page.waitForURL(/revisit_notice=connected/), page.click('#submit')]);
      await expectText(page, ['فروشگاه نمونه']);
      await shoot(page, arg2);
    } else if (step === 'test') { // arg1: png; clicks the "Test connection" button
      await page.goto(settings);
      await Promise.all([
        page.waitForURL(/revisit_notice=connected/),
        page.click('form:has(input[name="action"][value="revisit_test"]) button'),
      ]);
      await expectText(page, ['فروشگاه نمونه']);
      await shoot(page, arg1);
    } else if (step === 'shot') { // arg1: png, arg2: text the page must show
      await page.goto(settings);
      if (arg2) await expectText(page, [arg2]);
      await shoot(page, arg1);
    } else {
      throw new Error('unknown step ' + step);
    }
  } finally {
    await browser.close();
  }
})().catch((error) => { console.error(error); process.exit(1); });
JS
shots() { CHROMIUM="$CHROMIUM" node "$WORK/node/shots.js" "$@"; }
cron() { curl -fsS -o /dev/null "$WP_URL/wp-cron.php"; } # one WP-Cron pass: due sends + one backfill step

say "waiting for Revisit and WordPress"
for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "http://127.0.0.1:$REVISIT_PORT/readyz" 2>/dev/null && [ -s "$WORK/revisit-data/demo-key" ] && break
  kill -0 "$REVISIT_PID" 2>/dev/null || fail "revisit dev stopped"
  sleep 1
done
[ -s "$WORK/revisit-data/demo-key" ] || fail "Revisit did not come up"
curl -fsS -o /dev/null "$WP_URL/wp-login.php" || fail "WordPress does not answer on $WP_URL"

SHOTS="$WORK/shots"
mkdir -p "$SHOTS" "$OUT"
say "browser: sign in, paste the demo store's key, Save and test connection"
shots login "$WP_URL"
shots connect "$WP_URL" "$WORK/revisit-data/demo-key" "$SHOTS/connected.png"

say "background work: three WP-Cron passes (backfill steps of 100 customers; deliveries to Revisit)"
cron; cron; cron
shots shot "$WP_URL" "$SHOTS/backfill.png" "Sending customers and orders: 300 of 640."

say "site language fa_IR, then Test connection in Persian"
php "$HERE/screenshots-seed.php" language fa_IR
shots test "$WP_URL" "$SHOTS/fa.png"

[ -n "${SCREENSHOTS_KEEP_RAW:-}" ] && cp "$SHOTS"/*.png "$SCREENSHOTS_KEEP_RAW"/
say "images (metadata stripped, recompressed) in $OUT"
for name in connected backfill fa; do
  "$CONVERT" "$SHOTS/$name.png" -strip -define png:compression-level=9 "$OUT/plugin-settings-$name.png"
  echo "   $OUT/plugin-settings-$name.png ($(du -k "$OUT/plugin-settings-$name.png" | cut -f1) KB)"
done

if [ -s "$WORK/debug.log" ] && grep -q 'revisit-woocommerce' "$WORK/debug.log"; then
  echo "PHP reported problems in the plugin while the screenshots were taken:" >&2
  grep 'revisit-woocommerce' "$WORK/debug.log" | sort | uniq -c | head -n 20 >&2
  exit 1
fi
[ "$CORE_FA" = 1 ] || echo "note: WordPress's own strings are English in plugin-settings-fa.png (apt-get install wordpress-l10n)"
say "done"
