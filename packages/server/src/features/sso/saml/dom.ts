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

export function parseXML(xml: string) {
  try {
    return new DOMParser({
      onError: (level) => {
        if (level !== 'warning') throw new Error('malformed XML');
      },
    }).parseFromString(xml, 'text/xml');
  } catch {
    fail('malformed');
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
