import pytest


@pytest.fixture(autouse=True)
def no_csp_violations(browser, monkeypatch):
    """Every page of every browser test runs under the production Content Security Policy: anything it
    blocks (an inline style or script, an unlisted host) fails the test, as it would break the page."""
    blocked: list[str] = []
    new_context = browser.new_context

    def watched(*args, **kwargs):
        context = new_context(*args, **kwargs)
        context.on(
            "console",
            lambda msg: (
                blocked.append(
                    f"{msg.text} (page {msg.page.url if msg.page else '?'}, "
                    f"script {msg.location.get('url')}:{msg.location.get('lineNumber')})"
                )
                if "Content Security Policy" in msg.text
                else None
            ),
        )
        return context

    monkeypatch.setattr(browser, "new_context", watched)
    yield
    assert blocked == [], "blocked by the Content Security Policy"
