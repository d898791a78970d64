// The analysis drawn in the page, in the picture's colours: waveforms (min/max
// per column, from the server), the score landscape (grey score bars, the
// dotted orange floor, the blue probability, orange circles for the chosen
// grains sized by use), the selection sequence and the usage. Hover shows the
// numbers; the grain playing now is marked in every panel.
const BLUE = '#4ea1ff', ORANGE = '#ff9f43', GRID = '#222a34', DIM = '#5f6b7a';

function prep(c) {
  const r = c.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, r.width), h = Math.max(1, r.height);
  if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
    c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
  }
  const g = c.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  return { g, w, h };
}

function mix(a, b, u) {
  const p = (s) => [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16));
  const x = p(a), y = p(b);
  return `rgb(${x.map((v, i) => Math.round(v + (y[i] - v) * u)).join(',')})`;
}

// The hop playing at output time t (the last hop starting at or before t).
export function hopAt(pos, t) {
  let lo = 0, hi = pos.length - 1, ans = -1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    if (pos[m] <= t) { ans = m; lo = m + 1; } else hi = m - 1;
  }
  return ans;
}

export function drawWave(c, ov, opts = {}) {
  const { g, w, h } = prep(c);
  if (!ov) return;
  const chs = ov.min.length;
  let peak = 1;
  if (opts.normalise) {
    peak = 0;
    for (let ch = 0; ch < chs; ch++) for (let i = 0; i < ov.min[ch].length; i++) peak = Math.max(peak, -ov.min[ch][i], ov.max[ch][i]);
    peak = peak || 1;
  }
  const bandH = h / chs;
  for (let ch = 0; ch < chs; ch++) {
    const mn = ov.min[ch], mx = ov.max[ch], n = mn.length;
    const mid = bandH * ch + bandH / 2, amp = bandH / 2 - 2;
    g.strokeStyle = GRID; g.beginPath(); g.moveTo(0, mid); g.lineTo(w, mid); g.stroke();
    g.fillStyle = opts.color || BLUE;
    for (let x = 0; x < w; x++) {
      const a = Math.floor(x * n / w), b = Math.max(a + 1, Math.floor((x + 1) * n / w));
      let lo = 0, hi = 0;
      for (let i = a; i < b && i < n; i++) { lo = Math.min(lo, mn[i]); hi = Math.max(hi, mx[i]); }
      const y0 = mid - Math.min(1, hi / peak) * amp, y1 = mid - Math.max(-1, lo / peak) * amp;
      g.fillRect(x, y0, 1, Math.max(1, y1 - y0));
    }
  }
  if (opts.playhead !== undefined && opts.playhead !== null) {
    const x = opts.playhead * w;
    g.fillStyle = '#fff'; g.fillRect(x, 0, 1.5, h);
  }
}

// Score landscape over the source's time.
export function drawScore(c, v, src, opts = {}) {
  const { g, w, h } = prep(c);
  if (!v) return null;
  const n = v.candidates, dur = src;
  const top = 8, bot = h - 14, H = bot - top;
  const x = (i) => (v.start_s[i] + v.grain_s / 2) / dur * w;
  const pmax = Math.max(...v.prob, 1e-30);
  const umax = Math.max(...v.usage, 1);
  // Score bars (darker where gated off), one column per pixel at most.
  const colMax = new Float32Array(Math.ceil(w) + 1);
  const colAct = new Uint8Array(Math.ceil(w) + 1);
  for (let i = 0; i < n; i++) {
    const px = Math.min(colMax.length - 1, Math.max(0, Math.floor(x(i))));
    if (v.score[i] > colMax[px]) colMax[px] = v.score[i];
    if (v.active_mask[i]) colAct[px] = 1;
  }
  const bw = Math.max(1, Math.min(6, w / n - 1));
  for (let px = 0; px < colMax.length; px++) {
    if (!colMax[px]) continue;
    g.fillStyle = colAct[px] ? '#5b6573' : '#333b46';
    const bh = Math.min(1, colMax[px]) * H;
    g.fillRect(px - bw / 2, bot - bh, bw, bh);
  }
  // The floor.
  const fy = bot - Math.min(1, v.floor_value) * H;
  g.strokeStyle = ORANGE; g.lineWidth = 1.5; g.setLineDash([3, 3]);
  g.beginPath(); g.moveTo(0, fy); g.lineTo(w, fy); g.stroke(); g.setLineDash([]);
  g.fillStyle = ORANGE; g.font = '10px system-ui';
  g.fillText(`floor ${(+v.floor_value.toPrecision(3))}${v.floor_value > 1 ? ' (above the best score)' : ''}`, 4, Math.max(10, fy - 3));
  // Probability scaled to its maximum.
  g.strokeStyle = BLUE; g.lineWidth = 1.5; g.beginPath();
  for (let i = 0; i < n; i++) {
    const yy = bot - v.prob[i] / pmax * H;
    if (i === 0) g.moveTo(x(i), yy); else g.lineTo(x(i), yy);
  }
  g.stroke();
  // Chosen grains, sized by use; with more candidates than half the pixels,
  // the most-used grain of each pixel column as a small dot.
  g.strokeStyle = ORANGE; g.lineWidth = 1.2;
  if (n <= w / 2) {
    for (let i = 0; i < n; i++) {
      if (!v.usage[i]) continue;
      const r = 1.5 + 5 * Math.sqrt(v.usage[i] / umax);
      g.beginPath(); g.arc(x(i), bot - Math.min(1, v.score[i]) * H, r, 0, 2 * Math.PI); g.stroke();
    }
  } else {
    const best = new Int32Array(Math.ceil(w) + 1).fill(-1);
    for (let i = 0; i < n; i++) {
      if (!v.usage[i]) continue;
      const px = Math.min(best.length - 1, Math.max(0, Math.floor(x(i))));
      if (best[px] < 0 || v.usage[i] > v.usage[best[px]]) best[px] = i;
    }
    g.fillStyle = ORANGE;
    for (let px = 0; px < best.length; px++) {
      const i = best[px];
      if (i < 0) continue;
      const r = 0.8 + 2.2 * Math.sqrt(v.usage[i] / umax);
      g.beginPath(); g.arc(px, bot - Math.min(1, v.score[i]) * H, r, 0, 2 * Math.PI); g.fill();
    }
  }
  g.fillStyle = DIM;
  g.fillText('0 s', 2, h - 2);
  g.textAlign = 'right'; g.fillText(`${dur.toFixed(1)} s (source)`, w - 2, h - 2); g.textAlign = 'left';
  const mark = (i, colour) => {
    if (i === null || i === undefined || i < 0) return;
    g.fillStyle = colour; g.fillRect(x(i) - 1, top, 2, H);
  };
  mark(opts.hover, 'rgba(255,255,255,.35)');
  mark(opts.playing, '#ffffff');
  return { floorY: fy, probMax: pmax, x };
}

export function scoreIndexAt(v, src, frac) {
  if (!v) return -1;
  const t = frac * src;
  let best = -1, bd = Infinity;
  // Candidates are in time order: binary search then look at neighbours.
  let lo = 0, hi = v.candidates - 1;
  while (lo < hi) { const m = (lo + hi) >> 1; if (v.start_s[m] + v.grain_s / 2 < t) lo = m + 1; else hi = m; }
  for (const i of [lo - 1, lo, lo + 1]) {
    if (i < 0 || i >= v.candidates) continue;
    const d = Math.abs(v.start_s[i] + v.grain_s / 2 - t);
    if (d < bd) { bd = d; best = i; }
  }
  return best;
}

// Grain index per output hop, coloured by the grain's score.
const SEQ_STEPS = 256;
const seqColours = [];
function seqColour(b) {
  return seqColours[b] ??= mix(BLUE, ORANGE, b / (SEQ_STEPS - 1));
}

export function drawSeq(c, v, dur, opts = {}) {
  const { g, w, h } = prep(c);
  if (!v) return;
  const n = Math.max(1, v.candidates - 1);
  const smax = Math.max(...v.score, 1e-30);
  const r = v.hops > 6000 ? 1.5 : v.hops > 1500 ? 2 : 3;
  // Dense sequences become a density picture rather than a wall of dots.
  g.globalAlpha = v.hops > 3 * w ? Math.max(0.15, 3 * w / v.hops) : 1;
  // The colour of a dot in 256 steps from blue to orange, each made once:
  // building and parsing a colour per dot took most of the drawing.
  const q = new Uint16Array(v.hops);
  for (let k = 0; k < v.hops; k++) {
    q[k] = Math.round(Math.min(1, Math.max(0, v.score[v.grain[k]] / smax)) * (SEQ_STEPS - 1));
  }
  const dot = (k) => {
    const i = v.grain[k];
    g.fillRect(v.pos_s[k] / dur * w - r / 2, h - 4 - i / n * (h - 8) - r / 2, r, r);
  };
  if (g.globalAlpha < 1) {
    // A density picture: in time order, as the dots overlap.
    let last = -1;
    for (let k = 0; k < v.hops; k++) {
      if (q[k] !== last) { last = q[k]; g.fillStyle = seqColour(last); }
      dot(k);
    }
  } else {
    // Opaque dots: by colour, one fill style per colour.
    const count = new Uint32Array(SEQ_STEPS + 1);
    for (let k = 0; k < v.hops; k++) count[q[k] + 1]++;
    for (let b = 1; b <= SEQ_STEPS; b++) count[b] += count[b - 1];
    const order = new Uint32Array(v.hops), at = count.slice(0, SEQ_STEPS);
    for (let k = 0; k < v.hops; k++) order[at[q[k]]++] = k;
    for (let b = 0; b < SEQ_STEPS; b++) {
      if (count[b] === count[b + 1]) continue;
      g.fillStyle = seqColour(b);
      for (let j = count[b]; j < count[b + 1]; j++) dot(order[j]);
    }
  }
  g.globalAlpha = 1;
  if (opts.playhead !== undefined && opts.playhead !== null) {
    g.fillStyle = '#fff'; g.fillRect(opts.playhead * w, 0, 1.5, h);
  }
}

export function drawUsage(c, v, opts = {}) {
  const { g, w, h } = prep(c);
  if (!v) return;
  const n = v.candidates;
  const umax = Math.max(...v.usage, 1);
  const bw = w / n;
  g.fillStyle = BLUE;
  for (let i = 0; i < n; i++) {
    if (!v.usage[i]) continue;
    const bh = v.usage[i] / umax * (h - 6);
    g.fillRect(i * bw, h - bh, Math.max(1, bw - (bw > 3 ? 1 : 0)), bh);
  }
  const mean = v.hops / n;
  const my = h - mean / umax * (h - 6);
  g.strokeStyle = ORANGE; g.setLineDash([5, 4]); g.beginPath(); g.moveTo(0, my); g.lineTo(w, my); g.stroke(); g.setLineDash([]);
  g.fillStyle = DIM; g.font = '10px system-ui'; g.fillText(`max ${umax} uses · mean ${mean.toFixed(2)}`, 4, 11);
  if (opts.playing !== undefined && opts.playing >= 0) {
    g.fillStyle = '#fff'; g.fillRect(opts.playing * bw + bw / 2 - 1, 0, 2, h);
  }
}
