import { describe, expect, it } from 'vitest';
import { isToolName } from '../registry.ts';
import { mcpSlugify } from './service.ts';
import { argumentsSchema, mcpToolName, namedTools, toolOutput } from './source.ts';

describe('mcpToolName', () => {
  it('makes an MCP tool name a registry word under mcp.<slug>', () => {
    expect(mcpToolName('github', 'create_issue')).toBe('mcp.github.create_issue');
    expect(mcpToolName('github', 'Create-Issue.v2')).toBe('mcp.github.create_issue_v2');
    expect(mcpToolName('fs', '2fa-reset')).toBe('mcp.fs.t_2fa_reset');
  });

  it('cuts long names to 64 characters, keeping cut names apart with a hash', () => {
    const long = `get_${'very_'.repeat(20)}`;
    const a = mcpToolName('abcdefghijklmnopqrstuvwx', `${long}one`)!;
    const b = mcpToolName('abcdefghijklmnopqrstuvwx', `${long}two`)!;
    expect(a).toHaveLength(64);
    expect(a.startsWith('mcp.abcdefghijklmnopqrstuvwx.get_very_very_')).toBe(true);
    expect(a).not.toBe(b);
    expect(isToolName(a) && isToolName(b)).toBe(true);
  });

  it('keeps the first of two tools whose names come out the same', () => {
    const info = (name: string) => ({ name, description: name, inputSchema: { type: 'object' } });
    expect(namedTools('s', [info('get-user'), info('get_user'), info('list')])).toEqual([
      { name: 'mcp.s.get_user', info: info('get-user') },
      { name: 'mcp.s.list', info: info('list') },
    ]);
  });
});

describe('argumentsSchema', () => {
  it('drops the dialect and always gives an object schema with properties', () => {
    expect(
      argumentsSchema({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: { a: { type: 'number' } },
        required: ['a'],
      }),
    ).toEqual({ type: 'object', properties: { a: { type: 'number' } }, required: ['a'] });
    expect(argumentsSchema({})).toEqual({ type: 'object', properties: {} });
  });
});

describe('toolOutput', () => {
  it('prefers structured content, then the text, then the raw content', () => {
    expect(toolOutput({ content: [{ type: 'text', text: '5' }], structuredContent: { sum: 5 } })).toEqual({
      sum: 5,
    });
    expect(
      toolOutput({
        content: [
          { type: 'text', text: 'line 1' },
          { type: 'text', text: 'line 2' },
        ],
      }),
    ).toBe('line 1\nline 2');
    const image = { type: 'image' as const, data: 'aGk=', mimeType: 'image/png' };
    expect(toolOutput({ content: [{ type: 'text', text: 'see' }, image] })).toEqual([
      { type: 'text', text: 'see' },
      image,
    ]);
  });
});

describe('mcpSlugify', () => {
  it('derives a slug that is one tool-name word', () => {
    expect(mcpSlugify('GitHub Tools!')).toBe('github_tools');
    expect(mcpSlugify('2 Files & Folders')).toBe('files_folders');
    expect(mcpSlugify('Été')).toBe('ete');
    expect(mcpSlugify('***')).toBe('mcp');
    expect(mcpSlugify('a very long name for an mcp server indeed')).toBe('a_very_long_name_for_an');
  });
});
