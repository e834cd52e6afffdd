// cli.mjs — option parsing shared by the command-line tools: --flag value
// pairs, boolean flags, positional arguments; model-metadata options; usage
// and errors under the name the tool is run by (its package.json bin).

/**
 * usage(message) for the tool `bin` (e.g. 'qwasm-classify'), whose synopsis
 * is `lines` (continuation lines are indented under the first): without a
 * message (--help) it prints the usage to stdout and exits 0; with one, the
 * error and the usage to stderr, exit code 2.
 */
export function usageOf(bin, ...lines) {
  const text = `usage: ${bin} ${lines.join(`\n${' '.repeat(`usage: ${bin} `.length)}`)}`;
  return (message) => {
    if (message === undefined) {
      console.log(text);
      process.exit(0);
    }
    console.error(`${bin}: error: ${message}\n`);
    console.error(text);
    process.exit(2);
  };
}

/** Prints `${bin}: error: ${message}` and exits 1 (a failure that is no usage error). */
export function fail(bin, message) {
  console.error(`${bin}: error: ${message}`);
  process.exit(1);
}
export function parseCli(argv, { values = [], flags = [], usage }) {
  const o = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') usage();
    else if (flags.includes(a)) o[a.replace(/^--?/, '')] = true;
    else if (values.includes(a)) {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      o[a.replace(/^--?/, '')] = argv[++i];
    } else if (a.startsWith('-') && a !== '-') usage(`unknown option ${a}`);
    else o._.push(a);
  }
  return o;
}

export const METADATA_OPTIONS = ['--labels', '--mean', '--std', '--crop', '--name', '--description', '--version', '--author', '--license'];

/** Metadata options of convert() / quantize() from parsed CLI values. */
export function metadataOptions(o, usage) {
  const nums = (s, k) => {
    const v = s.split(',').map(Number);
    if (!(v.length === 1 || v.length === 3) || !v.every(Number.isFinite)) usage(`--${k} needs 1 or 3 comma-separated numbers`);
    return v;
  };
  const m = {};
  for (const k of ['labels', 'name', 'description', 'version', 'author', 'license']) if (o[k] != null) m[k] = o[k];
  if (o.mean != null) m.mean = nums(o.mean, 'mean');
  if (o.std != null) m.std = nums(o.std, 'std');
  if (o.crop != null) {
    m.cropFraction = Number(o.crop);
    if (!(m.cropFraction > 0 && m.cropFraction <= 1)) usage('--crop needs a number in (0, 1]');
  }
  return m;
}

export const kB = (n) => `${(n / 1024).toFixed(1)} kB`;
