"""A phone photo as the avatar, through the real admin form, shown on the site: in Chromium, under the CSP."""

import pytest

from portfolio.demo import load_demo
from portfolio.models import Profile
from tests.browser.conftest import DESKTOP, screenshot
from tests.photos import big_photo

pytestmark = pytest.mark.django_db(transaction=True)


def watch(page) -> list[str]:
    """Script errors, CSP violations (console errors) and failed loads on `page`, as they happen."""
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status} {r.url}"))
    return problems


def avatar(page) -> dict:
    return page.locator("img.author__avatar").evaluate(
        "img => ({complete: img.complete, naturalWidth: img.naturalWidth, src: img.currentSrc,"
        " box: [img.getBoundingClientRect().width, img.getBoundingClientRect().height]})"
    )


def test_a_15_mb_phone_photo_becomes_the_avatar(open_page, signed_in, tmp_path):
    load_demo()
    photo = tmp_path / "IMG_0001.JPG"
    photo.write_bytes(big_photo())
    assert photo.stat().st_size > 14_000_000

    page = signed_in()  # which fails the test on any console error, script error or failed load
    problems = []

    page.goto("/admin/portfolio/profile/")  # the one profile's form
    page.set_input_files("#id_avatar", photo)
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    stored = Profile.objects.get().avatar
    assert (stored.width, stored.height) == (1600, 1200)

    # The form shows it small, from its smallest rendition.
    page.goto("/admin/portfolio/profile/")
    preview = page.locator("img.image-input__preview")
    assert preview.evaluate("img => img.complete && img.naturalWidth") == 160
    assert preview.get_attribute("src").endswith("-160w.avif")

    # On the site: the 160 px square on a 1x screen, fitted to its 10rem box, nothing moved.
    page.goto("/")
    shown = avatar(page)
    assert shown["complete"] and shown["naturalWidth"] > 0
    assert shown["src"].endswith("-160w.avif")
    assert shown["box"] == [160, 160]
    screenshot(page, "avatar-desktop")

    # A 2x screen takes the 320 px square.
    sharp = open_page("/", viewport=DESKTOP, device_scale_factor=2)
    problems += watch(sharp)
    sharp.reload()
    shown = avatar(sharp)
    assert shown["complete"] and shown["src"].endswith("-320w.avif") and shown["box"] == [160, 160]

    assert problems == []
