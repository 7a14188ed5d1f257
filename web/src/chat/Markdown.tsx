import { Fragment } from 'react';
import { type Inline, parseMarkdown } from './markdown.ts';

function Inlines({ parts }: { parts: Inline[] }) {
  return (
    <>
      {parts.map((p, i) => {
        const key = `${i}:${p.type}`;
        if (p.type === 'code') return <code key={key}>{p.text}</code>;
        if (p.type === 'strong') return <strong key={key}>{p.text}</strong>;
        if (p.type === 'em') return <em key={key}>{p.text}</em>;
        return <Fragment key={key}>{p.text}</Fragment>;
      })}
    </>
  );
}

/** Renders model text as paragraphs, lists and code blocks; everything stays a text node. */
export function Markdown({ text }: { text: string }) {
  const blocks = parseMarkdown(text);
  return (
    <div className="md">
      {blocks.map((b, i) => {
        const key = `${i}:${b.type}`;
        switch (b.type) {
          case 'code':
            return (
              <pre key={key} className="code-block" data-lang={b.lang || undefined}>
                <code>{b.text}</code>
              </pre>
            );
          case 'list': {
            const items = b.items.map((item, j) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: list items have no identity but their place
              <li key={j}>
                <Inlines parts={item} />
              </li>
            ));
            return b.ordered ? <ol key={key}>{items}</ol> : <ul key={key}>{items}</ul>;
          }
          case 'heading':
            return (
              <p key={key} className={`md-h md-h${b.level}`}>
                <Inlines parts={b.text} />
              </p>
            );
          default:
            return (
              <p key={key}>
                {b.lines.map((line, j) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: lines have no identity but their place
                  <Fragment key={j}>
                    {j > 0 ? <br /> : null}
                    <Inlines parts={line} />
                  </Fragment>
                ))}
              </p>
            );
        }
      })}
    </div>
  );
}
