// Tiny DOM helpers: no framework, just element creation.

/**
 * h('button', {class: 'btn', 'aria-label': 'Mute', onclick: fn}, child…)
 * Keys: "class", "text", "on<event>" (listener), "data-*"/"aria-*" and
 * other dashed names (attributes), anything else is set as a property
 * when the element has it, else as an attribute. null/undefined values
 * are skipped, and so is false for an attribute.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (!key.includes('-') && key in el) el[key] = value;
    else if (value !== false) el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces all content of el. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Whether a key event comes from a text field (shortcuts must not fire). */
export function isTyping(event) {
  const target = event.target;
  if (!(target instanceof Element)) return false;
  return target.isContentEditable || target.closest('input, textarea, select, [contenteditable]') !== null;
}
