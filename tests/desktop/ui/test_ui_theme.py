"""Both themes keep their text readable: WCAG contrast ratios of the colour pairs we paint."""

import pytest

from desktop.ui.theme import DARK, LIGHT


def _luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_helper_matches_the_wcag_extremes():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#777777") == pytest.approx(1.0)


@pytest.mark.parametrize("theme", [LIGHT, DARK], ids=["light", "dark"])
def test_body_text_links_errors_and_node_labels_read_at_aa(theme):
    t = theme
    pairs = {
        "text on base": (t.text, t.base), "text on window": (t.text, t.window),
        "link on window": (t.link, t.window), "error text": (t.stderr, t.base),
        "grad labels": (t.grad_label, t.scene), "keyword": (t.keyword, t.base),
        **{f"label on {k}": (t.text, getattr(t, k)) for k in (
            "node_leaf_grad", "node_leaf_const", "node_op", "node_custom", "current_line",
            "error_line")},
    }
    low = {k: round(contrast(*v), 2) for k, v in pairs.items() if contrast(*v) < 4.5}
    assert low == {}


@pytest.mark.parametrize("theme", [LIGHT, DARK], ids=["light", "dark"])
def test_secondary_text_and_curves_stay_visible(theme):
    t = theme
    pairs = {"muted on base": (t.muted, t.base), "muted on window": (t.muted, t.window),
             "freed node label": (t.muted, t.node_freed), "line numbers": (t.muted, t.gutter),
             "comments": (t.comment, t.base),
             **{f"pen {i}": (p, t.base) for i, p in enumerate(t.plot_pens)}}
    low = {k: round(contrast(*v), 2) for k, v in pairs.items() if contrast(*v) < 3.0}
    assert low == {}
