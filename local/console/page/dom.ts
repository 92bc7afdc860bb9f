/**
 * Building the page's DOM: elements with attributes and children, where every string becomes a text node. Nothing in
 * the page ever parses HTML (no innerHTML, no insertAdjacentHTML), so a record's text is shown, never run.
 */

export type Child = Node | string | number | null | undefined | false;
type AttributeValue = string | number | boolean | undefined;
type Listener = (event: Event) => void;
export type Props = Record<string, AttributeValue | Listener>;

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el: Element, props: Props): void {
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') {
      // Listeners are attached as functions: an attribute named on* is never written.
      el.addEventListener(name.replace(/^on/, ''), value);
    } else if (!/^on/i.test(name)) {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(
      typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child,
    );
  }
}

/** An HTML element. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, props);
  append(el, children);
  return el;
}

/** An SVG element (its text through <text> and text nodes). */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, props);
  append(el, children);
  return el;
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** Re-renders `container` keeping keyboard focus on the element with the same data-focus key, when there is one. */
export function keepingFocus(container: Element, render: () => void): void {
  const active = document.activeElement;
  const key = active instanceof HTMLElement || active instanceof SVGElement ? active.dataset['focus'] : undefined;
  const inside = active !== null && container.contains(active);
  render();
  if (!inside || key === undefined) return;
  const again = [...container.querySelectorAll<HTMLElement | SVGElement>('[data-focus]')].find(
    (e) => e.dataset['focus'] === key,
  );
  again?.focus();
}
