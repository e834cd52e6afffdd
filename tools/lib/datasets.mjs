// datasets.mjs — labelled image sets for eval and calibration sets for
// quantize, from three sources:
//   - a folder holding labels.csv (columns file,class[,...]; class = index),
//   - a CSV file of the same form (paths relative to the CSV),
//   - IDX files (MNIST / Fashion-MNIST: images-idx3-ubyte[.gz]; the labels
//     file is found beside it by the usual name, or given).
// Each item is {name, image, label}: `image` is a file path or a Pixels
// object ({data, width, height, channels}) that classify() accepts.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

export class DatasetError extends Error {}

/** @returns {{kind: string, items: {name: string, image: any, label: number|null}[]}} */
export function openDataset(source, { labelsFile } = {}) {
  if (!existsSync(source)) throw new DatasetError(`dataset ${source} does not exist`);
  if (statSync(source).isDirectory()) {
    const csv = path.join(source, 'labels.csv');
    if (!existsSync(csv)) throw new DatasetError(`folder ${source} has no labels.csv (columns file,class)`);
    return { kind: 'folder', items: readCsv(csv) };
  }
  if (/idx3-ubyte(\.gz)?$/.test(source)) return { kind: 'idx', items: readIdx(source, labelsFile) };
  if (source.endsWith('.csv')) return { kind: 'csv', items: readCsv(source) };
  throw new DatasetError(`${source}: expected a folder with labels.csv, a .csv file or an IDX images file`);
}

function parseCsvLine(line) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') quoted = false; else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out;
}

function readCsv(file) {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!lines.length) throw new DatasetError(`${file} is empty`);
  const header = parseCsvLine(lines[0]).map((h) => h.trim().toLowerCase());
  const fileCol = header.indexOf('file');
  const classCol = header.indexOf('class');
  if (fileCol < 0) throw new DatasetError(`${file}: the header needs a "file" column (has ${header.join(', ')})`);
  const dir = path.dirname(file);
  return lines.slice(1).map((line, i) => {
    const cols = parseCsvLine(line);
    const name = cols[fileCol];
    if (!name) throw new DatasetError(`${file}:${i + 2}: no file name`);
    let label = null;
    if (classCol >= 0) {
      label = Number(cols[classCol]);
      if (!Number.isInteger(label) || label < 0) throw new DatasetError(`${file}:${i + 2}: class "${cols[classCol]}" is not an index`);
    }
    return { name, image: path.resolve(dir, name), label };
  });
}

function readMaybeGzip(file) {
  const b = readFileSync(file);
  return b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b;
}

/** IDX: magic 0x00000803 (images, u8) / 0x00000801 (labels), big-endian dims. */
function readIdx(imagesFile, labelsFile) {
  const img = readMaybeGzip(imagesFile);
  if (img.length < 16 || img.readUInt32BE(0) !== 0x803) throw new DatasetError(`${imagesFile} is not an IDX image file (magic 0x803)`);
  const [n, h, w] = [img.readUInt32BE(4), img.readUInt32BE(8), img.readUInt32BE(12)];
  if (img.length !== 16 + n * h * w) throw new DatasetError(`${imagesFile}: ${img.length - 16} pixel bytes for ${n} images of ${w}x${h} (truncated?)`);
  const guess = imagesFile.replace('images-idx3-ubyte', 'labels-idx1-ubyte');
  const lf = labelsFile ?? (guess !== imagesFile && existsSync(guess) ? guess : null);
  let labels = null;
  if (lf) {
    const lb = readMaybeGzip(lf);
    if (lb.length < 8 || lb.readUInt32BE(0) !== 0x801) throw new DatasetError(`${lf} is not an IDX label file (magic 0x801)`);
    if (lb.readUInt32BE(4) !== n || lb.length !== 8 + n) throw new DatasetError(`${lf}: labels do not match the ${n} images`);
    labels = lb.subarray(8);
  }
  const items = [];
  for (let i = 0; i < n; i++) {
    const data = new Uint8Array(img.buffer, img.byteOffset + 16 + i * h * w, h * w);
    items.push({ name: `${path.basename(imagesFile)}#${i}`, image: { data, width: w, height: h, channels: 1 }, label: labels ? labels[i] : null });
  }
  return items;
}

/** --range "100:" / ":100" / "100:200" (0-based, end exclusive) → [start, end). */
export function sliceItems(items, range) {
  if (!range) return items;
  const m = /^(\d*):(\d*)$/.exec(range);
  if (!m) throw new DatasetError(`range "${range}" is not start:end`);
  const start = m[1] === '' ? 0 : Number(m[1]);
  const end = m[2] === '' ? items.length : Math.min(items.length, Number(m[2]));
  if (start >= end) throw new DatasetError(`range ${range} selects nothing of ${items.length} items`);
  return items.slice(start, end);
}
