// The names a source file exports, read with regular expressions line by line (a file is
// never run, imported or parsed by its language's tools): JavaScript and TypeScript
// `export` and `module.exports`, Python's top-level def and class (or its __all__), Go's
// exported funcs, methods and types. A line is looked at only up to MAX_LINE characters,
// so a minified or hostile file costs no more than its size.

export type SourceLanguage = 'js' | 'python' | 'go';

const LANGUAGES: Record<string, SourceLanguage> = {
  js: 'js',
  mjs: 'js',
  cjs: 'js',
  jsx: 'js',
  ts: 'js',
  tsx: 'js',
  mts: 'js',
  cts: 'js',
  py: 'python',
  go: 'go',
};
const MAX_LINE = 400;
const MAX_NAMES = 40;
const PARAMS = /^\(([^()]{0,80})\)/;

export function sourceLanguage(path: string): SourceLanguage | undefined {
  if (/\.d\.[cm]?ts$/.test(path)) return undefined;
  return LANGUAGES[/\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase() ?? ''];
}

/** The file's exported names, with a function's parameters when they fit on its line. */
export function exportedNames(language: SourceLanguage, text: string): string[] {
  if (language === 'python') {
    // A module that lists its public names says so itself.
    const all = /^__all__\s*=\s*[[(]([^\])]{0,4000})/m.exec(text);
    const listed = [...(all?.[1] ?? '').matchAll(/['"](\w+)['"]/g)].map((m) => m[1]!);
    if (listed.length > 0) return listed.slice(0, MAX_NAMES);
  }
  const names = new Set<string>();
  const scan = { js: jsExports, python: pythonExports, go: goExports }[language];
  for (const raw of text.split('\n')) {
    if (names.size >= MAX_NAMES) break;
    for (const name of scan(raw.slice(0, MAX_LINE))) names.add(name);
  }
  return [...names].slice(0, MAX_NAMES);
}

const withParams = (name: string, rest: string) => {
  const params = PARAMS.exec(rest.trimStart())?.[1];
  return params === undefined ? name : `${name}(${params.replace(/\s+/g, ' ').trim()})`;
};

const JS_DECLARATION =
  /^export\s+(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(function\*?|class|const|let|var|interface|type|enum)\s+([\w$]+)(.*)$/;
const JS_LIST = /^export\s+(?:type\s+)?\{([^}]*)\}(?:\s*from\s*['"]([^'"]+)['"])?/;
const JS_STAR = /^export\s+\*\s+(?:as\s+([\w$]+)\s+)?from\s*['"]([^'"]+)['"]/;
const CJS_OBJECT = /^module\.exports\s*=\s*\{([^}]*)\}?/;
const CJS_NAME = /^(?:module\.)?exports\.([\w$]+)\s*=/;
const CJS_VALUE = /^module\.exports\s*=\s*(?:async\s+)?(?:function\*?\s+|class\s+)?([\w$]+)(.*)$/;

function jsExports(line: string): string[] {
  const text = line.trim();
  let m = JS_DECLARATION.exec(text);
  if (m) return [m[1]!.startsWith('function') ? withParams(m[2]!, m[3]!) : m[2]!];
  m = JS_LIST.exec(text);
  if (m) {
    const names = listNames(m[1]!).map((n) => /\bas\s+([\w$]+)$/.exec(n)?.[1] ?? n);
    return m[2] ? names.map((n) => `${n} (from ${m![2]})`) : names;
  }
  m = JS_STAR.exec(text);
  if (m) return [m[1] ? `${m[1]} (* from ${m[2]})` : `* from ${m[2]}`];
  if (/^export\s+default\b/.test(text)) return ['default'];
  m = CJS_OBJECT.exec(text);
  if (m) return listNames(m[1]!).map((n) => n.split(':')[0]!.trim());
  m = CJS_NAME.exec(text);
  if (m) return [m[1]!];
  m = CJS_VALUE.exec(text);
  if (m && m[1] !== 'function' && m[1] !== 'class') return [withParams(m[1]!, m[2]!)];
  return [];
}

const listNames = (list: string) =>
  list
    .split(',')
    .map((n) => n.replace(/^\s*type\s+/, '').trim())
    .filter((n) => /^[\w$]+(\s+as\s+[\w$]+)?(\s*:.*)?$/.test(n));

function pythonExports(line: string): string[] {
  const m = /^(?:async\s+)?(def|class)\s+([A-Za-z]\w*)(.*)$/.exec(line);
  if (!m) return [];
  return [m[1] === 'def' ? withParams(m[2]!, m[3]!) : m[2]!];
}

function goExports(line: string): string[] {
  let m = /^func\s+\(\s*\w*\s*\*?\s*([\w.]+)(?:\[[^\]]*\])?\s*\)\s*([A-Z]\w*)(.*)$/.exec(line);
  if (m) return [withParams(`${m[1]}.${m[2]}`, m[3]!)];
  m = /^func\s+([A-Z]\w*)(?:\[[^\]]*\])?(.*)$/.exec(line);
  if (m) return [withParams(m[1]!, m[2]!)];
  m = /^(?:type|var|const)\s+([A-Z]\w*)\b/.exec(line);
  return m ? [m[1]!] : [];
}
