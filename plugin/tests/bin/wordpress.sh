#!/usr/bin/env bash
# Print the folder of a WordPress 6.5.5 core tree for the plugin's tests, building it first when the
# cache does not hold it yet.
#
#   plugin/tests/bin/wordpress.sh            -> /…/.revisit/plugin-tests/wordpress-6.5.5
#
# WordPress comes from npm, @wp-playground/wordpress-builds@0.9.19: its src/wordpress/wp-6.5.zip holds
# the PHP and public/wp-6.5/ the static files (scripts, styles, images) that the zip leaves out; both
# are merged into one tree. The package's own wp-config.php and SQLite database are left out (the tests
# write their own config, for MariaDB). The tree is shared by every run and never written to by one:
# each run has its own wp-content, plugins and database.
#
# Environment: REVISIT_WP_CACHE_DIR [<project>/.revisit/plugin-tests] (never committed: .revisit/ is
# ignored), NPM [npm]. Needs npm (registry access the first time), unzip, flock.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
PACKAGE="@wp-playground/wordpress-builds@0.9.19"
VERSION="6.5.5"
CACHE="${REVISIT_WP_CACHE_DIR:-$REPO/.revisit/plugin-tests}"
TARGET="$CACHE/wordpress-$VERSION"
NPM="${NPM:-npm}"

fail() { echo "wordpress.sh: $*" >&2; exit 2; }

if [ -f "$TARGET/wp-settings.php" ]; then
  echo "$TARGET"
  exit 0
fi
for tool in "$NPM" unzip flock tar; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing (apt-get install npm unzip util-linux tar)"
done
mkdir -p "$CACHE"
# Two runs starting side by side build the tree once: the second waits for the first.
exec 9>"$CACHE/wordpress.lock"
flock 9
if [ ! -f "$TARGET/wp-settings.php" ]; then
  BUILD="$(mktemp -d "$CACHE/build.XXXXXX")"
  trap 'rm -rf "$BUILD"' EXIT
  echo "wordpress.sh: fetching $PACKAGE" >&2
  (cd "$BUILD" && "$NPM" pack --silent --no-audit --no-fund "$PACKAGE" >/dev/null)
  tarball="$(ls "$BUILD"/*.tgz)"
  tar -xzf "$tarball" -C "$BUILD" package/src/wordpress/wp-6.5.zip package/public/wp-6.5
  mkdir "$BUILD/wordpress"
  unzip -q "$BUILD/package/src/wordpress/wp-6.5.zip" -d "$BUILD/wordpress"
  # The static files: copy only what the zip lacks (the zip's PHP wins where both have a file).
  cp -r -n "$BUILD/package/public/wp-6.5/." "$BUILD/wordpress/"
  rm -rf "$BUILD/wordpress/wp-config.php" "$BUILD/wordpress/wp-content/database" \
    "$BUILD/wordpress/wordpress-remote-asset-paths"
  grep -q "wp_version = '$VERSION'" "$BUILD/wordpress/wp-includes/version.php" \
    || fail "$PACKAGE did not hold WordPress $VERSION"
  [ -f "$BUILD/wordpress/wp-includes/js/jquery/jquery.min.js" ] || fail "$PACKAGE's static files are missing"
  rm -rf "$TARGET"
  mv "$BUILD/wordpress" "$TARGET"
fi
echo "$TARGET"
