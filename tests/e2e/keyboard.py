"""Driving pages with the keyboard alone: moving focus with Tab, and seeing where it is."""

from __future__ import annotations

FOCUSED = "element => element === document.activeElement"
# The focused element's outline, and the first opaque background behind it, as [r, g, b] and pixels.
FOCUS_RING = """() => {
  const element = document.activeElement;
  const rgb = text => (text.match(/[\\d.]+/g) || []).slice(0, 4).map(Number);
  let behind = element.parentElement, background = [255, 255, 255];
  for (; behind; behind = behind.parentElement) {
    const colour = rgb(getComputedStyle(behind).backgroundColor);
    if (colour.length === 3 || colour[3] > 0) { background = colour.slice(0, 3); break; }
  }
  const style = getComputedStyle(element);
  return {style: style.outlineStyle, width: parseFloat(style.outlineWidth), colour: rgb(style.outlineColor).slice(0, 3),
          background, tag: element.tagName.toLowerCase(), id: element.id};
}"""


def tab_to(page, target, key: str = "Tab", limit: int = 80) -> int:
    """Press Tab (or Shift+Tab) until the target has the focus; return how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if target.evaluate(FOCUSED):
            return presses
    raise AssertionError(f"{target} cannot be reached with {key} in {limit} presses")


def has_focus(target) -> bool:
    """Tell whether the element holds the keyboard focus."""
    return target.evaluate(FOCUSED)


def luminance(rgb: list[float]) -> float:
    """Return a colour's relative luminance (WCAG 2)."""
    channels = [c / 255 for c in rgb]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: list[float], b: list[float]) -> float:
    """Return the WCAG contrast ratio of two colours."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def assert_focus_visible(page) -> None:
    """Fail unless the focused element draws an outline of 2 px or more at 3:1 against what is behind it (WCAG 1.4.11)."""
    ring = page.evaluate(FOCUS_RING)
    where = f"<{ring['tag']} id={ring['id']!r}>"
    assert ring["style"] not in ("none", "hidden") and ring["width"] >= 2, f"{where} shows no focus outline: {ring}"
    ratio = contrast(ring["colour"], ring["background"])
    assert ratio >= 3, f"{where}'s focus outline {ring['colour']} is {ratio:.2f}:1 against {ring['background']}; 3:1 is needed"
