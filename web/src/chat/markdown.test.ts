import { describe, expect, it } from 'vitest';
import { parseInline, parseMarkdown } from './markdown.ts';

describe('parseMarkdown', () => {
  it('splits paragraphs on blank lines and keeps line breaks inside one', () => {
    expect(parseMarkdown('Hello\nworld\n\nAgain')).toEqual([
      {
        type: 'paragraph',
        lines: [[{ type: 'text', text: 'Hello' }], [{ type: 'text', text: 'world' }]],
      },
      { type: 'paragraph', lines: [[{ type: 'text', text: 'Again' }]] },
    ]);
  });

  it('reads fenced code blocks, and an unterminated one while a reply streams', () => {
    expect(parseMarkdown('Run:\n```sh\nnpm start\n```\nDone')).toEqual([
      { type: 'paragraph', lines: [[{ type: 'text', text: 'Run:' }]] },
      { type: 'code', lang: 'sh', text: 'npm start' },
      { type: 'paragraph', lines: [[{ type: 'text', text: 'Done' }]] },
    ]);
    expect(parseMarkdown('```\nlet a =')).toEqual([{ type: 'code', lang: '', text: 'let a =' }]);
  });

  it('keeps HTML as plain text', () => {
    expect(parseMarkdown('<img src=x onerror=alert(1)>')).toEqual([
      { type: 'paragraph', lines: [[{ type: 'text', text: '<img src=x onerror=alert(1)>' }]] },
    ]);
  });

  it('reads bullet and numbered lists', () => {
    expect(parseMarkdown('- a\n- b\n1. c')).toEqual([
      { type: 'list', ordered: false, items: [[{ type: 'text', text: 'a' }], [{ type: 'text', text: 'b' }]] },
      { type: 'list', ordered: true, items: [[{ type: 'text', text: 'c' }]] },
    ]);
  });
});

describe('parseInline', () => {
  it('reads inline code, bold and italics', () => {
    expect(parseInline('use `npm` **now** or *later*')).toEqual([
      { type: 'text', text: 'use ' },
      { type: 'code', text: 'npm' },
      { type: 'text', text: ' ' },
      { type: 'strong', text: 'now' },
      { type: 'text', text: ' or ' },
      { type: 'em', text: 'later' },
    ]);
  });
});
