/**
 * A small, safe subset of Markdown for agent replies: paragraphs, fenced code blocks, bullet and
 * numbered lists, inline code, bold and italics. It produces a structure that React renders as text
 * nodes, so nothing the model says is ever parsed as HTML. An unterminated fence (a reply still
 * streaming) is shown as a code block already.
 */
export type Block =
  | { type: 'paragraph'; lines: Inline[][] }
  | { type: 'code'; lang: string; text: string }
  | { type: 'list'; ordered: boolean; items: Inline[][] }
  | { type: 'heading'; level: number; text: Inline[] };

export type Inline = { type: 'text' | 'code' | 'strong' | 'em'; text: string };

export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  const pattern = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\s][^*\n]*\*)|(_[^_\s][^_\n]*_)/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    const at = m.index ?? 0;
    if (at > last) out.push({ type: 'text', text: text.slice(last, at) });
    const token = m[0];
    if (m[1]) out.push({ type: 'code', text: token.slice(1, -1) });
    else if (m[2]) out.push({ type: 'strong', text: token.slice(2, -2) });
    else out.push({ type: 'em', text: token.slice(1, -1) });
    last = at + token.length;
  }
  if (last < text.length) out.push({ type: 'text', text: text.slice(last) });
  return out;
}

export function parseMarkdown(source: string): Block[] {
  const blocks: Block[] = [];
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  let paragraph: Inline[][] = [];
  let list: Extract<Block, { type: 'list' }> | undefined;

  const flush = () => {
    if (paragraph.length) blocks.push({ type: 'paragraph', lines: paragraph });
    paragraph = [];
    list = undefined;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^\s*```\s*([\w+-]*)\s*$/.exec(line);
    if (fence) {
      flush();
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^\s*```\s*$/.test(lines[i]!)) body.push(lines[i++]!);
      blocks.push({ type: 'code', lang: fence[1] ?? '', text: body.join('\n') });
      continue;
    }
    if (!line.trim()) {
      flush();
      continue;
    }
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      blocks.push({ type: 'heading', level: heading[1]!.length, text: parseInline(heading[2]!) });
      continue;
    }
    const item = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/.exec(line);
    if (item) {
      const ordered = item[2] !== undefined;
      if (paragraph.length) {
        blocks.push({ type: 'paragraph', lines: paragraph });
        paragraph = [];
      }
      if (!list || list.ordered !== ordered) {
        list = { type: 'list', ordered, items: [] };
        blocks.push(list);
      }
      list.items.push(parseInline(item[3]!));
      continue;
    }
    list = undefined;
    paragraph.push(parseInline(line));
  }
  flush();
  return blocks;
}
