// Lesson text to HTML. Labs may come from anywhere (a file, a URL), so whatever
// marked produces goes through DOMPurify: no script, no event handlers, no
// javascript: links, whatever the Markdown says.
import DOMPurify from 'dompurify';
import { marked } from 'marked';

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  // Links open beside the lab, and cannot reach back into it.
  if (node.tagName === 'A' && node.getAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false, gfm: true });
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS: ['style', 'form', 'input', 'iframe', 'object', 'embed'] });
}
