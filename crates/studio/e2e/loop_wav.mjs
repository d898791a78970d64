// Builds the speed test's long files from the committed recording: `gar
// render IN --wet 0 --normalize none --dc-block off --bits 32f` writes the
// source itself (the dry signal, untouched) as a WAV, whose sample data is
// then repeated to 60 s and to 10 minutes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const [input, gar, dir] = process.argv.slice(2);
const dry = path.join(dir, 'dry.wav');
execFileSync(gar, ['render', input, '--wet', '0', '--normalize', 'none', '--dc-block', 'off',
  '--bits', '32f', '--seed', '1', '--quiet', '-o', dry]);
const wav = fs.readFileSync(dry);
// Find the chunks: everything before `data` is the header we keep.
let off = 12, fmtEnd = 0, dataAt = -1, dataLen = 0;
while (off + 8 <= wav.length) {
  const id = wav.toString('ascii', off, off + 4);
  const len = wav.readUInt32LE(off + 4);
  if (id === 'fmt ') fmtEnd = off + 8 + len;
  if (id === 'data') { dataAt = off + 8; dataLen = len; break; }
  off += 8 + len + (len & 1);
}
if (dataAt < 0 || !fmtEnd) throw new Error('no data chunk in ' + dry);
const fmt = wav.subarray(12, fmtEnd);
const channels = fmt.readUInt16LE(10), rate = fmt.readUInt32LE(12), bps = fmt.readUInt16LE(22) / 8;
const pcm = wav.subarray(dataAt, dataAt + dataLen);
for (const [name, seconds] of [['guit_60s.wav', 60], ['guit_10min.wav', 600]]) {
  const bytes = Math.round(seconds * rate) * channels * bps;
  const out = Buffer.alloc(12 + fmt.length + 8 + bytes);
  out.write('RIFF', 0); out.writeUInt32LE(out.length - 8, 4); out.write('WAVE', 8);
  fmt.copy(out, 12);
  out.write('data', 12 + fmt.length); out.writeUInt32LE(bytes, 16 + fmt.length);
  for (let o = 0; o < bytes; o += pcm.length) pcm.copy(out, 20 + fmt.length + o, 0, Math.min(pcm.length, bytes - o));
  fs.writeFileSync(path.join(dir, name), out);
}
