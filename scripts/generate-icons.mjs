#!/usr/bin/env node
/**
 * Draws the extension icon (512x512) and the state icons (one per kill-switch state) as PNG files in assets/.
 *
 * Shapes are described as coverage functions on the unit square and sampled 4x4 per pixel for smooth edges.
 * State icons are template images: black with alpha only, so they can be tinted to the text colour.
 * They are 44x44: 22 points on a Retina display, scaled down by Raycast elsewhere.
 *
 * Run: node scripts/generate-icons.mjs
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";

const ASSETS = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "assets");
const SAMPLES = 4;

// ---------- PNG encoding ----------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** RGBA pixels (Uint8Array, width*height*4) to a PNG file (8-bit RGBA, no interlace). */
function encodePng(width, height, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  const rows = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) {
    rows[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, y * width * 4, width * 4).copy(rows, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// ---------- Shapes on the unit square (x right, y down) ----------

/** A shield: straight sides, a rounded point at the bottom; `inset` shrinks it evenly (for outlines). */
function shield(inset = 0) {
  const left = 0.2 + inset;
  const right = 0.8 - inset;
  const top = 0.1 + inset;
  const shoulder = 0.42;
  const bottom = 0.92 - inset * 2;
  const halfWidth = (right - left) / 2;
  return (x, y) => {
    if (y < top || y > bottom) return false;
    const dx = Math.abs(x - 0.5);
    if (y <= shoulder) return dx <= halfWidth;
    const t = (y - shoulder) / (bottom - shoulder);
    return dx <= halfWidth * Math.pow(1 - t, 0.55);
  };
}

function segment(ax, ay, bx, by, width) {
  return (x, y) => {
    const vx = bx - ax;
    const vy = by - ay;
    const t = Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy)));
    const dx = x - (ax + t * vx);
    const dy = y - (ay + t * vy);
    return dx * dx + dy * dy <= (width / 2) ** 2;
  };
}

function disc(cx, cy, radius) {
  return (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius;
}

/** Part of a ring between two angles (radians, 0 = right, clockwise since y points down). */
function arc(cx, cy, radius, width, from, to) {
  return (x, y) => {
    const distance = Math.hypot(x - cx, y - cy);
    if (Math.abs(distance - radius) > width / 2) return false;
    let angle = Math.atan2(y - cy, x - cx);
    if (angle < from) angle += 2 * Math.PI;
    return angle >= from && angle <= to;
  };
}

const union =
  (...shapes) =>
  (x, y) =>
    shapes.some((shape) => shape(x, y));
const minus = (shape, hole) => (x, y) => shape(x, y) && !hole(x, y);

const STROKE = 0.085;
const GLYPH = 0.09;
const outline = minus(shield(), shield(STROKE));

const check = union(segment(0.36, 0.47, 0.47, 0.59, GLYPH), segment(0.47, 0.59, 0.66, 0.36, GLYPH));
const bar = segment(0.36, 0.46, 0.64, 0.46, GLYPH + 0.01);
const exclamation = union(segment(0.5, 0.27, 0.5, 0.52, GLYPH), disc(0.5, 0.66, GLYPH * 0.65));
const slash = segment(0.14, 0.1, 0.86, 0.92, STROKE);
const slashGap = segment(0.14, 0.1, 0.86, 0.92, STROKE * 2.6);
const question = union(
  arc(0.5, 0.34, 0.095, 0.07, Math.PI * 1.0, Math.PI * 2.45),
  segment(0.5, 0.45, 0.5, 0.5, 0.07),
  disc(0.5, 0.6, 0.045),
);

const padlock = union(
  minus(segment(0.39, 0.56, 0.61, 0.56, 0.17), segment(0.5, 0.54, 0.5, 0.58, 0.001)),
  arc(0.5, 0.4, 0.085, 0.055, Math.PI, Math.PI * 2),
  segment(0.415, 0.4, 0.415, 0.5, 0.055),
  segment(0.585, 0.4, 0.585, 0.5, 0.055),
);
const pause = union(segment(0.43, 0.32, 0.43, 0.6, GLYPH), segment(0.57, 0.32, 0.57, 0.6, GLYPH));
const ellipsis = union(disc(0.38, 0.38, 0.045), disc(0.5, 0.38, 0.045), disc(0.62, 0.38, 0.045));

/**
 * One shape per state (Alfred's state item shows it): filled while the rules are known to be loaded, outlined
 * when traffic can leave outside the VPN, the kill switch is off, or its state is unknown.
 */
const STATE_SHAPES = {
  protected: minus(shield(), check),
  blocking: minus(shield(), bar),
  "safe-mode": minus(shield(), padlock),
  unverified: minus(shield(), question),
  "watchdog-stopped": minus(shield(), pause),
  "not-protected": union(outline, exclamation),
  off: union(minus(outline, slashGap), slash),
  unknown: union(outline, ellipsis),
};

// ---------- Rasterising ----------

function coverage(shape, size, px, py) {
  let hits = 0;
  for (let sy = 0; sy < SAMPLES; sy++) {
    for (let sx = 0; sx < SAMPLES; sx++) {
      if (shape((px + (sx + 0.5) / SAMPLES) / size, (py + (sy + 0.5) / SAMPLES) / size)) hits++;
    }
  }
  return hits / (SAMPLES * SAMPLES);
}

function templateIcon(shape, size) {
  const rgba = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) rgba[(y * size + x) * 4 + 3] = Math.round(coverage(shape, size, x, y) * 255);
  }
  return encodePng(size, size, rgba);
}

/** The store icon: a white shield with a check on a deep-blue rounded square. */
function extensionIcon(size) {
  const rgba = new Uint8Array(size * size * 4);
  const radius = 0.22;
  const square = (x, y) => {
    const m = 0.04;
    const cx = Math.min(Math.max(x, m + radius), 1 - m - radius);
    const cy = Math.min(Math.max(y, m + radius), 1 - m - radius);
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius && x >= m && x <= 1 - m && y >= m && y <= 1 - m;
  };
  const scaled = (shape, scale) => (x, y) => shape(0.5 + (x - 0.5) / scale, 0.5 + (y - 0.5) / scale);
  const mark = scaled(minus(shield(), check), 0.78);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const background = coverage(square, size, x, y);
      const white = coverage(mark, size, x, y);
      const t = y / size;
      // Vertical gradient from #2563eb to #1e3a8a.
      const blue = [0x25 + (0x1e - 0x25) * t, 0x63 + (0x3a - 0x63) * t, 0xeb + (0x8a - 0xeb) * t];
      const i = (y * size + x) * 4;
      for (let c = 0; c < 3; c++) rgba[i + c] = Math.round(blue[c] * (1 - white) + 255 * white);
      rgba[i + 3] = Math.round(Math.max(background, white) * 255);
    }
  }
  return encodePng(size, size, rgba);
}

writeFileSync(join(ASSETS, "extension-icon.png"), extensionIcon(512));
for (const [state, shape] of Object.entries(STATE_SHAPES)) {
  writeFileSync(join(ASSETS, `state-${state}.png`), templateIcon(shape, 44));
}
console.log(`icons written to ${ASSETS}`);
