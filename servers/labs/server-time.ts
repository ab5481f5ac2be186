/** The server's wall clock with sub-ms precision, as the feed stamps `t`. */
export function serverTime(): number {
  return performance.timeOrigin + performance.now()
}
