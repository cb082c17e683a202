/**
 * A tiny element builder: h('li', { class: 'row', dataset: { seq: 4 } }, 'text', child).
 * Attributes starting with `on` are listeners; text is always set as text, never as HTML, so
 * nothing the gateway sends can inject markup.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function')
      element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

/** The element with this id; throws when the page lacks it (a typo, found at once). */
export function byId(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`no element #${id}`);
  return element;
}

/** Replaces the children of `element`. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

/**
 * Calls `fn` once, `ms` after the last of a burst of calls (refetches after bursts of messages).
 * `.cancel()` drops a pending call.
 */
export function debounce(fn, ms) {
  let timer;
  const debounced = () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}
