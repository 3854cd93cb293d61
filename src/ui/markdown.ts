// Lesson text to HTML. Labs may come from anywhere (a file, a URL), so whatever
// marked produces goes through DOMPurify: no script, no event handlers, no
// javascript: links, whatever the Markdown says. The lesson also stays in its box:
// no inline styles, no style sheets, no page classes, nothing that draws over the
// terminals (dialogs, popovers), no forms or frames, and every link opens outside
// the lab, so nothing in a lesson can navigate the lab's tab away.
import DOMPurify from 'dompurify';
import { marked } from 'marked';

/** Elements a lesson never needs, each of which could leave its box or act on the page. */
const FORBID_TAGS = [
  'style', 'link', 'meta', 'base', 'form', 'input', 'button', 'select', 'textarea', 'option', 'fieldset',
  'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'portal', 'dialog', 'template', 'slot', 'video', 'audio', 'source', 'track',
];
/** Attributes that style, position or wire elements to the page's own behaviour. */
const FORBID_ATTR = ['style', 'popover', 'popovertarget', 'popovertargetaction', 'formaction', 'form', 'autofocus', 'tabindex', 'target', 'ping', 'srcset'];
/** The only classes kept: marked's code block languages. The page's own classes could place lesson text over the lab. */
const KEPT_CLASS = /^language-[\w+#-]+$/;

let hooked = false;
function addHooks(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.hasAttribute('class')) {
      const kept = [...node.classList].filter((name) => KEPT_CLASS.test(name));
      if (kept.length) node.setAttribute('class', kept.join(' '));
      else node.removeAttribute('class');
    }
    if (node.hasAttribute('href') || node.tagName === 'A' || node.tagName === 'AREA') {
      // Links (a, area) open beside the lab and cannot reach back into it. An in-page
      // anchor (#...) would change the lab's route, so it goes too.
      const href = node.getAttribute('href')?.trim() ?? '';
      if (!href || href.startsWith('#')) {
        node.removeAttribute('href');
      } else {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer');
      }
    }
  });
}

export function sanitizeHtml(html: string): string {
  addHooks();
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS,
    FORBID_ATTR,
    ALLOW_DATA_ATTR: false,
    SANITIZE_NAMED_PROPS: true,
  });
}

export function renderMarkdown(text: string): string {
  return sanitizeHtml(marked.parse(text, { async: false, gfm: true }));
}
