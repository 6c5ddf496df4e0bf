"""The browser journeys fail on untranslated text (tests/e2e/untranslated.py): the
checker finds English that the catalogues translate, and leaves icons, language names
and Swedish alone."""

from tests.e2e.untranslated import untranslated


def test_the_checker_finds_english_that_has_a_swedish_translation():
    html = (
        "<main><h1>Spara</h1><p>Save</p><button aria-label='Close'>x</button>"
        "<i class='material-icons'>notes</i><a lang='en'>English</a><p>Ärende #12</p></main>"
    )
    assert untranslated(html) == ["Close", "Save"]
    assert untranslated("<p>Påminnelser och e-post</p><p>Rosenlunds vårdcentral</p>") == []
