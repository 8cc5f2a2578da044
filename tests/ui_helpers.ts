/**
 * What the browser tests read of a page that playwright's locators do not
 * give directly: computed colours, how focus shows, keyboard moves.
 *
 * @module
 */
import type { Locator, Page } from "playwright-core";

/** An element's colour as the browser renders it (run in the page: typed without the DOM library). */
export function computedColor(element: {
  ownerDocument: { defaultView: { getComputedStyle(element: unknown): { color: string } } };
}): string {
  return element.ownerDocument.defaultView.getComputedStyle(element).color;
}

/**
 * What shows around an element: its outline when one is drawn (style not none, width over 0) and its box shadow.
 * A focused button must show more than an unfocused one (a colour change of its text alone is not a focus ring).
 */
export function focusRing(element: {
  ownerDocument: {
    defaultView: {
      getComputedStyle(
        element: unknown,
      ): { outlineStyle: string; outlineWidth: string; outlineColor: string; boxShadow: string };
    };
  };
}): string {
  const style = element.ownerDocument.defaultView.getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0
    ? `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`
    : "none";
  return `outline ${outline} | shadow ${style.boxShadow}`;
}

/** Presses Tab (at most 12 times) until `target` has the focus. */
export async function tabTo(page: Page, target: Locator): Promise<void> {
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Tab");
    if (await target.evaluate((element) => element === element.ownerDocument.activeElement)) return;
  }
  throw new Error(`Tab never reached ${target}`);
}
