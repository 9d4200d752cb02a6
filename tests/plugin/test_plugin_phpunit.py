"""The WooCommerce plugin's own suite (PHPUnit on real WordPress, WooCommerce and MariaDB), run from pytest.

`plugin/tests/run.sh` lints every PHP file, installs WordPress 6.5.5 (from npm) with WooCommerce 9.4.3
into a fresh MariaDB database, and runs PHPUnit with the plugin active and a local Revisit. It does so
once per order storage WooCommerce offers: its own order tables (HPOS) and posts, each with
compatibility mode off. Both runs go side by side here, each with its own database and site.

The local Revisit records every event it accepted; here each one is checked again against the real
unified event schema, so the plugin and `domain/events/schema.py` cannot drift apart.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from domain.events.schema import EventType, ValidatedEvent, validate_event
from tests.support.woocommerce import HPOS_MODES, INSTALL_HINT, PLUGIN_TESTS, ROOT, missing_for_plugin_tests

RUN_SH = PLUGIN_TESTS / "run.sh"
MISSING = missing_for_plugin_tests(phpunit=True)


def _start(mode: str, work: Path) -> subprocess.Popen[str]:
    """run.sh for one order storage, its output in <work>/run.log, its events in <work>/events.jsonl."""
    work.mkdir()
    env = {
        **os.environ,
        "REVISIT_WC_HPOS": mode,
        "REVISIT_EVENTS_DUMP": str(work / "events.jsonl"),
        "TMPDIR": str(work),
    }
    with (work / "run.log").open("w") as log:
        return subprocess.Popen(
            ["bash", str(RUN_SH)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
        )


def _checked_events(dump: Path) -> set[EventType]:
    """The event types in the dump; fails on any event the real schema rejects."""
    events = [json.loads(line) for line in dump.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert events, "the local Revisit accepted no events"
    rejected = []
    types = set()
    for raw in events:
        validated = validate_event(raw)
        if isinstance(validated, ValidatedEvent):
            types.add(validated.type)
        else:
            rejected.append((validated.id, validated.reason))
    assert not rejected, f"events the plugin sent that Revisit's schema rejects: {rejected[:5]}"
    return types


# CI sets REVISIT_REQUIRE_ALL_TESTS so a missing tool fails the run instead of skipping it.
@pytest.mark.skipif(
    bool(MISSING) and not os.environ.get("REVISIT_REQUIRE_ALL_TESTS"),
    reason=f"the plugin's PHP tests need {', '.join(MISSING)} ({INSTALL_HINT})",
)
def test_plugin_phpunit_suite_passes_with_hpos_and_with_posts_storage(tmp_path: Path) -> None:
    """Every PHPUnit test passes on real WooCommerce with each order storage, and every event the plugin
    sent in either run is valid under Revisit's schema, all event types exercised."""
    # given: two fresh test stores, one per order storage, each run by plugin/tests/run.sh
    runs = {mode: _start(mode, tmp_path / f"hpos-{mode}") for mode in HPOS_MODES}

    # when: both suites have run
    try:
        codes = {mode: process.wait(timeout=900) for mode, process in runs.items()}
    finally:
        for process in runs.values():
            if process.poll() is None:
                process.kill()

    # then: each passed, and each sent only valid events of every type
    for mode in HPOS_MODES:
        output = (tmp_path / f"hpos-{mode}" / "run.log").read_text(errors="replace")
        assert codes[mode] == 0, (
            f"run.sh (REVISIT_WC_HPOS={mode}) exited with {codes[mode]}:\n{output[-8000:]}"
        )
        assert "OK (" in output, output[-4000:]
        types = _checked_events(tmp_path / f"hpos-{mode}" / "events.jsonl")
        assert types == set(EventType), f"HPOS {mode}: event types never exercised: {set(EventType) - types}"
