import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

/** Scripts are CommonJS modules: the worker loads them with require(). */
const SCRIPT_EXTENSIONS = ['.js', '.cjs'];

/** The path of a script named in the configuration: relative to the configuration file's directory, or absolute. */
export function resolveScript(configDir: string, name: string): string {
  return path.isAbsolute(name) ? path.normalize(name) : path.resolve(configDir, name);
}

/**
 * What is wrong with the script at `file` for a configuration check, or null: it must end in
 * .js or .cjs, exist, be a readable file and parse as CommonJS. Nothing of it runs here.
 */
export function scriptProblems(file: string): string | null {
  if (!SCRIPT_EXTENSIONS.includes(path.extname(file).toLowerCase())) return `${file} is not a JavaScript module (a script ends in .js or .cjs)`;
  let source: string;
  try {
    if (!fs.statSync(file).isFile()) return `${file} is not a file`;
    source = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${file} does not exist`;
    if (code === 'EACCES' || code === 'EPERM') return `${file} cannot be read (permission denied)`;
    return `${file} cannot be read: ${(err as Error).message}`;
  }
  try {
    // The wrapper require() puts around a module: parsed, not run.
    vm.compileFunction(source.replace(/^#!.*/, ''), ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
  } catch (err) {
    const message = (err as Error).message;
    const esm = /\b(import|export)\b/.test(message) ? ' (scripts are CommonJS: use require() and module.exports)' : '';
    return `${file} does not parse: ${message}${esm}`;
  }
  return null;
}

/**
 * The compiled worker. From dist it sits beside this file; when this file runs as TypeScript
 * (tests) it is the build's copy in dist/scripts, so the build must have run (npm test builds).
 */
export function workerFile(): { file: string } | { problem: string } {
  const beside = path.join(__dirname, 'worker.js');
  if (fs.existsSync(beside)) return { file: beside };
  const built = path.join(__dirname, '..', '..', 'dist', 'scripts', 'worker.js');
  if (fs.existsSync(built)) return { file: built };
  return { problem: `the script worker ${beside} is missing: run "npm run build"` };
}

/** Whether the path ends in a script extension (the runner refuses others before starting a worker). */
export function hasScriptExtension(file: string): boolean {
  return SCRIPT_EXTENSIONS.includes(path.extname(file).toLowerCase());
}
