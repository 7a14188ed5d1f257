import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { loadHighlighter, Markdown, safeUrl } from './Markdown.tsx';

const render = (text: string) => renderToStaticMarkup(createElement(Markdown, { text }));

describe('Markdown', () => {
  it('renders GitHub tables, task lists and strikethrough', () => {
    const html = render('| a | b |\n|---|--:|\n| 1 | 2 |\n\n- [x] done\n- [ ] open\n\n~~gone~~');
    expect(html).toContain('<table><thead><tr><th>a</th><th style="text-align:right">b</th></tr></thead>');
    expect(html).toContain('<td>1</td>');
    expect(html).toContain('<input type="checkbox" disabled="" checked=""/> done');
    expect(html).toContain('<del>gone</del>');
  });

  it('opens links in a new tab, safely, and keeps other addresses as text', () => {
    const html = render(
      '[docs](https://example.com/a?b=1) [mail](mailto:a@example.com) [x](javascript:alert(1))',
    );
    expect(html).toContain(
      '<a href="https://example.com/a?b=1" target="_blank" rel="noopener noreferrer nofollow">docs</a>',
    );
    expect(html).toContain(
      '<a href="mailto:a@example.com" target="_blank" rel="noopener noreferrer nofollow">',
    );
    expect(html).toContain('<span class="md-link">x</span>');
    expect(html).not.toContain('javascript:');
  });

  it('shows HTML in the text as text, never as elements', () => {
    const html = render('Hi <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n<b>bold?</b>');
    expect(html).not.toMatch(/<script|<img|<b>/);
    expect(html).toContain('<p>Hi &lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('shows images as links to them instead of loading them', () => {
    expect(render('![chart](https://example.com/c.png)')).toBe(
      '<div class="md"><p><a href="https://example.com/c.png" target="_blank" rel="noopener noreferrer nofollow">chart</a></p></div>',
    );
  });

  it('shows a fence still open while a reply streams as a code block', () => {
    expect(render('Run:\n```sh\nnpm start')).toContain(
      '<pre class="code-block"><code class="language-sh">npm start\n</code></pre>',
    );
  });

  it('highlights code by its language once the highlighter is loaded, and leaves unknown ones plain', async () => {
    await loadHighlighter();
    const html = render('```ts\nconst answer: number = 42;\n```\n\n```klingon\nqapla\n```');
    expect(html).toContain('<code class="hljs language-ts"><span class="hljs-keyword">const</span>');
    expect(html).toContain('<span class="hljs-number">42</span>');
    expect(html).toContain('<code class="language-klingon">qapla\n</code>');
  });
});

describe('safeUrl', () => {
  it('lets through absolute http, https and mailto addresses only', () => {
    expect(safeUrl('https://example.com')).toBe('https://example.com');
    expect(safeUrl('HTTP://example.com')).toBe('HTTP://example.com');
    expect(safeUrl('mailto:a@example.com')).toBe('mailto:a@example.com');
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', '/admin', '//evil.example', 'vbscript:x'])
      expect(safeUrl(bad)).toBeUndefined();
  });
});
