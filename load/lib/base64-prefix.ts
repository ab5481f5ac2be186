/**
 * A tiny pure-JS base64 decoder for the k6 side: the built-in engine has no
 * `k6/encoding`, and a load script needs only the first bytes of a binary feed message
 * (its header), so it decodes just those into a buffer it reuses — no allocation per
 * message.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

// Char code → 6-bit value; 255 marks a character outside the alphabet.
const SEXTETS = new Uint8Array(128).fill(255)
for (let i = 0; i < ALPHABET.length; i++) SEXTETS[ALPHABET.charCodeAt(i)] = i

const sextet = (text: string, at: number): number => {
  const code = text.charCodeAt(at)
  return code < 128 ? (SEXTETS[code] ?? 255) : 255
}

/**
 * Decodes the first `count` bytes of the standard base64 `text` into `target` (from
 * index 0). Returns how many bytes were written: fewer than `count` when the text is
 * shorter, or -1 when a character before that point is not base64.
 */
export function decodeBase64Prefix(text: string, target: Uint8Array, count: number): number {
  const wanted = Math.min(count, target.length)
  let written = 0
  for (let at = 0; written < wanted && at + 1 < text.length; at += 4) {
    const a = sextet(text, at)
    const b = sextet(text, at + 1)
    if (a === 255 || b === 255) return -1
    target[written++] = (a << 2) | (b >> 4)
    if (written === wanted || at + 2 >= text.length || text.charCodeAt(at + 2) === 61) break
    const c = sextet(text, at + 2)
    if (c === 255) return -1
    target[written++] = ((b & 15) << 4) | (c >> 2)
    if (written === wanted || at + 3 >= text.length || text.charCodeAt(at + 3) === 61) break
    const d = sextet(text, at + 3)
    if (d === 255) return -1
    target[written++] = ((c & 3) << 6) | d
  }
  return written
}
