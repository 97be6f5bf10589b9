import { DOMParser, type Element, type Node } from '@xmldom/xmldom';
import { fail } from './failure.js';

/**
 * Reading the DOM of a SAML message strictly: elements matched by namespace and local name, at most
 * one where the schema allows one, text read whole (a comment inside a value refuses the message).
 */

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const COMMENT_NODE = 8;

/**
 * Bounds no real SAML response comes near: one signed as a whole and in its assertion, with 150
 * attribute values, has about 330 elements, nested at most 8 deep (Response, Assertion, Signature,
 * SignedInfo, Reference, Transforms, Transform, InclusiveNamespaces). Signature checking scans the
 * whole document more than once (xml-crypto's XPath look-ups, about 40 µs an element) and parsing
 * costs about 10 µs an element: a response padded with thousands of elements, honestly signed or
 * not, would hold the event loop for up to a second. The count is checked on the text before it
 * is parsed, the depth right after; both before any signature work.
 */
export const MAX_ELEMENTS = 1000;
export const MAX_DEPTH = 32;

export function parseXML(xml: string) {
  if (countMarkupOpenings(xml) > MAX_ELEMENTS) fail('too_complex');
  let document: ReturnType<DOMParser['parseFromString']>;
  try {
    document = new DOMParser({
      onError: (level) => {
        if (level !== 'warning') throw new Error('malformed XML');
      },
    }).parseFromString(xml, 'text/xml');
  } catch {
    fail('malformed');
  }
  checkDepth(document as unknown as Node);
  return document;
}

/**
 * Every `<` not followed by `/`: each element's start tag, and each comment, processing
 * instruction and CDATA section (a `<` inside those two counts too). At least the element count.
 */
function countMarkupOpenings(xml: string): number {
  let openings = 0;
  for (let at = xml.indexOf('<'); at !== -1; at = xml.indexOf('<', at + 1)) {
    if (xml.charCodeAt(at + 1) !== 0x2f) openings += 1;
  }
  return openings;
}

/** Nesting, measured without recursion (a deep document must not exhaust the stack). */
function checkDepth(root: Node): void {
  const pending: Array<{ node: Node; depth: number }> = [{ node: root, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    for (let child = next.node.firstChild; child; child = child.nextSibling) {
      if (child.nodeType !== ELEMENT_NODE) continue;
      if (next.depth + 1 > MAX_DEPTH) fail('too_complex');
      pending.push({ node: child, depth: next.depth + 1 });
    }
  }
}

export function isElement(node: Node | null | undefined, ns: string, localName: string): node is Element {
  return (
    node !== null &&
    node !== undefined &&
    node.nodeType === ELEMENT_NODE &&
    (node as Element).namespaceURI === ns &&
    (node as Element).localName === localName
  );
}

export function children(parent: Element, ns: string, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (isElement(node, ns, localName)) found.push(node);
  }
  return found;
}

export function onlyChild(parent: Element, ns: string, localName: string): Element | null {
  const found = children(parent, ns, localName);
  if (found.length > 1) fail('malformed');
  return found[0] ?? null;
}

/**
 * An element's whole text: every text and CDATA child joined. A comment or element inside makes the
 * value ambiguous, so it is refused rather than read in part.
 */
export function wholeText(element: Element): string {
  let text = '';
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE) {
      text += (node as unknown as { data: string }).data;
    } else if (node.nodeType === COMMENT_NODE) {
      fail('comment_in_assertion');
    } else {
      fail('malformed');
    }
  }
  return text.trim();
}

export function containsComment(node: Node): boolean {
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === COMMENT_NODE) return true;
    if (child.nodeType === ELEMENT_NODE && containsComment(child)) return true;
  }
  return false;
}

export function attribute(element: Element, name: string): string | null {
  return element.hasAttribute(name) ? element.getAttribute(name) : null;
}
