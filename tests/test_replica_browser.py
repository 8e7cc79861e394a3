"""In real Chromium, a section page's "Load more" button fetches the next cards."""

from __future__ import annotations

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
CARD = 'a[data-qa="BaseLink-renderAnchor-StyledAnchor"]'

pytestmark = pytest.mark.browser


def test_load_more_appends_the_next_cards(replica):
    from playwright.sync_api import sync_playwright

    world = replica.world
    expected = [s.path for s in world.newest_first("news/hong-kong")]
    assert len(expected) > 45, "the section needs more than two pages of cards"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(replica.base_url + "/news/hong-kong", wait_until="domcontentloaded")

            def card_paths() -> list[str]:
                hrefs = page.eval_on_selector_all(CARD, "els => els.map(e => e.getAttribute('href'))")
                return list(dict.fromkeys(h.split("?")[0] for h in hrefs if "/article/" in h
                                          or h.startswith("/video/")))

            def load_more() -> None:
                shown = len(page.query_selector_all(CARD))
                page.get_by_text("Load more", exact=False).first.click()
                page.wait_for_function(f"document.querySelectorAll('{CARD}').length > {shown}",
                                       timeout=15_000)

            first = card_paths()
            assert first == expected[: len(first)] and len(first) == 20
            load_more()
            second = card_paths()
            assert second[:20] == first
            assert second == expected[: len(second)] and len(second) == 40
            load_more()
            assert card_paths() == expected[: min(60, len(expected))]
            assert not errors
        finally:
            browser.close()
