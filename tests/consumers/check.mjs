// The exports as their real readers see them, for tests/export.rs:
//   node check.mjs mermaid DIR    Mermaid's own parser on every DIR/*.mmd
//   node check.mjs markdown DIR   markdown-it on every DIR/*.md: code spans render as code (no
//                                 literal backtick left in the text) and every ```mermaid block
//                                 parses with Mermaid's parser
// Prints one line per problem ("file: what") and exits 1 if there was any.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';

const [mode, dir] = process.argv.slice(2);
if (!['mermaid', 'markdown'].includes(mode) || !dir) {
  console.error('usage: node check.mjs mermaid|markdown DIR');
  process.exit(2);
}

// Mermaid needs a DOM (DOMPurify) even to parse.
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

const problems = [];
async function parseMermaid(where, text) {
  try {
    await mermaid.parse(text);
  } catch (e) {
    problems.push(`${where}: ${String(e.message ?? e).split('\n').slice(0, 4).join(' | ')}`);
  }
}

const extension = mode === 'mermaid' ? '.mmd' : '.md';
const files = readdirSync(dir).filter((f) => f.endsWith(extension)).sort();
if (files.length === 0) problems.push(`${dir}: no ${extension} files`);

for (const file of files) {
  const text = readFileSync(join(dir, file), 'utf8');
  if (mode === 'mermaid') {
    await parseMermaid(file, text);
    continue;
  }
  const { default: MarkdownIt } = await import('markdown-it');
  const md = new MarkdownIt({ html: false });
  const tokens = md.parse(text, {});
  let blocks = 0;
  for (const token of tokens) {
    if (token.type === 'fence' && token.info.trim() === 'mermaid') {
      blocks += 1;
      await parseMermaid(`${file} mermaid block ${blocks} (line ${token.map[0] + 1})`, token.content);
    }
  }
  // Text outside code that still shows a backtick is a code span the renderer did not see.
  const html = md.render(text);
  const outside = html
    .replace(/<pre>[\s\S]*?<\/pre>/g, '')
    .replace(/<code>[\s\S]*?<\/code>/g, '');
  const at = outside.indexOf('`');
  if (at >= 0) {
    problems.push(`${file}: literal backtick in rendered text: …${outside.slice(Math.max(0, at - 60), at + 60)}…`);
  }
  if (!html.includes('<table>')) problems.push(`${file}: no table rendered`);
}

for (const p of problems) console.log(p);
console.log(`${files.length} file(s) checked, ${problems.length} problem(s)`);
process.exit(problems.length === 0 ? 0 : 1);
